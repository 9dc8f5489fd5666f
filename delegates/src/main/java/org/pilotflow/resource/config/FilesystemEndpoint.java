package org.pilotflow.resource.config;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * A parsed {@code filesystem_endpoint}: {@code file://localhost/} (local access) or
 * {@code sftp://[user@]host[:port]/} (SSH access). The path must be empty or {@code /}.
 */
public record FilesystemEndpoint(String uri, String scheme, Access access, String user, String host, int port) {

    static final String EXPECTED = "one of file://localhost/, sftp://<host>/";

    public FilesystemEndpoint {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(host, "host");
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static FilesystemEndpoint parse(String text) {
        URI u = JobManagerEndpoint.parseUri(text);
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        Access access = switch (scheme) {
            case "file" -> Access.LOCAL;
            case "sftp" -> Access.SSH;
            default -> throw new IllegalArgumentException("unknown scheme " + scheme);
        };
        if (access == Access.LOCAL && (u.getUserInfo() != null || u.getPort() != -1)) {
            throw new IllegalArgumentException("a local endpoint takes no user or port");
        }
        return new FilesystemEndpoint(text, scheme, access, u.getUserInfo(), u.getHost(), u.getPort());
    }

    @Override
    public String toString() {
        return uri;
    }
}
