package org.pilotflow.resource.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * A parsed {@code job_manager_endpoint}: {@code fork://localhost/}, {@code ssh://[user@]host[:port]/}, and for
 * every installed batch system ({@link BatchSystemCatalog}) {@code <scheme>://localhost/} and
 * {@code <scheme>+ssh://[user@]host[:port]/}, e.g. {@code slurm://localhost/}, {@code pbs+ssh://login1/}. The path
 * must be empty or {@code /}.
 *
 * @param uri      the endpoint as written
 * @param scheme   e.g. {@code slurm+ssh}
 * @param access   {@link Access#SSH} for {@code ssh} and {@code *+ssh}, else {@link Access#LOCAL}
 * @param type     the job manager ({@code ssh://} starts a plain process remotely: {@link JobManagerType#FORK})
 * @param user     the user of an SSH endpoint, or {@code null}
 * @param host     the host (for local access informational, e.g. {@code localhost})
 * @param port     the SSH port, or -1 for the default
 */
public record JobManagerEndpoint(String uri, String scheme, Access access, JobManagerType type, String user,
                                 String host, int port) {

    /** {@code one of fork://localhost/, ssh://<host>/, lsf://localhost/, lsf+ssh://<host>/, ...}: the installed. */
    static String expected() {
        return expected(BatchSystemCatalog.installed());
    }

    /** The hosts a local scheme may name: this machine. */
    static final java.util.Set<String> LOCAL_HOSTS = java.util.Set.of("localhost", "127.0.0.1", "[::1]");

    public JobManagerEndpoint {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(host, "host");
    }

    /**
     * Parses an endpoint.
     *
     * @throws IllegalArgumentException naming what is wrong; the registry turns it into a
     *                                  {@link ResourceConfigException} with the file and key
     */
    public static JobManagerEndpoint parse(String text) {
        URI u = parseUri(text);
        String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
        Access access;
        JobManagerType type;
        if (scheme.equals("fork") || scheme.equals("ssh")) {
            access = scheme.equals("ssh") ? Access.SSH : Access.LOCAL;
            type = JobManagerType.FORK;
        } else {
            boolean ssh = scheme.endsWith("+ssh");
            String base = ssh ? scheme.substring(0, scheme.length() - "+ssh".length()) : scheme;
            BatchSystemCatalog catalog = BatchSystemCatalog.installed();
            if (catalog.forScheme(base) == null) {
                throw new IllegalArgumentException("unknown scheme '" + scheme + "': this build knows "
                        + catalog.schemes());
            }
            access = ssh ? Access.SSH : Access.LOCAL;
            type = JobManagerType.batch(base);
        }
        if (access == Access.LOCAL && (u.getUserInfo() != null || u.getPort() != -1)) {
            throw new IllegalArgumentException("a local endpoint takes no user or port");
        }
        // a local scheme runs its commands on the engine's machine, whatever host is written: only a name that
        // means this machine is honest (to reach another host, use ssh:// or <batch>+ssh://)
        if (access == Access.LOCAL && !LOCAL_HOSTS.contains(u.getHost().toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException(scheme + "://" + u.getHost() + "/ would run on this machine, not on "
                    + u.getHost() + ": write " + scheme + "://localhost/, or " + ("fork".equals(scheme) ? "ssh"
                    : scheme + "+ssh") + "://" + u.getHost() + "/ to reach that host");
        }
        return new JobManagerEndpoint(text, scheme, access, type, u.getUserInfo(), u.getHost(), u.getPort());
    }

    static String expected(BatchSystemCatalog catalog) {
        StringBuilder sb = new StringBuilder("one of fork://localhost/, ssh://<host>/");
        catalog.schemes().stream().filter(s -> !s.equals("fork") && !s.equals("ssh"))
                .forEach(s -> sb.append(", ").append(s).append(s.endsWith("+ssh") ? "://<host>/" : "://localhost/"));
        return sb.toString();
    }

    static URI parseUri(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URI: " + e.getMessage());
        }
        if (u.getScheme() == null || u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("need <scheme>://<host>/");
        }
        if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("no path, query or fragment allowed");
        }
        return u;
    }

    @Override
    public String toString() {
        return uri;
    }
}
