package org.pilotflow.resource.ssh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's SSH connections: one shared connection per {@code [user@]host[:port]}, handed out as
 * {@link SshShell}s, with the credentials registered per host (or one default for all hosts). One per engine;
 * {@link #close()} at shutdown.
 *
 * <p>Host keys are checked against the credentials' known_hosts file ({@code StrictHostKeyChecking=yes}: an
 * unknown or changed key fails with a message saying what to do). Only a resource config with
 * {@code host_key_checking: false} turns that off for its host, with a warning in the log.
 *
 * <p>Connections that carry reverse tunnels are watched: when one drops it is reconnected and its tunnels are
 * restored on the same remote ports within {@link Builder#tunnelCheckInterval}, even if no command needs the
 * connection (the agents on the host need the tunnel to report).
 *
 * <pre>{@code
 * SshConnections ssh = SshConnections.builder()
 *         .defaultCredentials(SshCredentials.ofKey("alice", Path.of("/home/alice/.ssh/id_ed25519")))
 *         .build();
 * ResourceShell shell = ssh.forLocation("login.example.org");
 * }</pre>
 */
public final class SshConnections implements ShellProvider {

    private static final Logger LOG = LoggerFactory.getLogger(SshConnections.class);

    /** Timeouts and limits, fixed at construction. */
    record Settings(Duration connectTimeout, int maxChannels, Duration channelWait, Duration serverAliveInterval,
                    Duration tunnelCheckInterval, Duration commandTimeout) {
    }

    private record Key(SshAddress address, boolean hostKeyChecking) {
    }

    private final Settings settings;
    private volatile SshCredentials defaultCredentials;
    private final Map<String, SshCredentials> hostCredentials = new ConcurrentHashMap<>();
    private final Map<String, Boolean> hostKeyChecking = new ConcurrentHashMap<>();
    private final Set<String> warnedNoHostKeyChecking = ConcurrentHashMap.newKeySet();
    private final Map<Key, SshConnection> connections = new ConcurrentHashMap<>();
    private final Set<SshConnection> tunnelled = new CopyOnWriteArraySet<>();
    private final Object watchdogLock = new Object();
    private ScheduledExecutorService watchdog; // guarded by watchdogLock
    private volatile boolean closed;

    private SshConnections(Builder b) {
        this.settings = new Settings(b.connectTimeout, b.maxChannels, b.channelWait, b.serverAliveInterval,
                b.tunnelCheckInterval, b.commandTimeout);
        this.defaultCredentials = b.defaultCredentials;
        this.hostCredentials.putAll(b.hostCredentials);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Connections with {@code credentials} for every host and the default settings. */
    public static SshConnections withDefault(SshCredentials credentials) {
        return builder().defaultCredentials(credentials).build();
    }

    /**
     * Registers the credentials for {@code host} (as written in endpoints: an alias or name, no user or port).
     * They apply to the next connect to that host; an open connection keeps its login.
     */
    public SshConnections credentials(String host, SshCredentials credentials) {
        hostCredentials.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(credentials, "credentials"));
        return this;
    }

    /** Sets the credentials for hosts without their own. */
    public SshConnections defaultCredentials(SshCredentials credentials) {
        this.defaultCredentials = Objects.requireNonNull(credentials, "credentials");
        return this;
    }

    private SshCredentials credentialsFor(String host) throws ResourceException {
        SshCredentials c = hostCredentials.get(host);
        if (c == null) {
            c = defaultCredentials;
        }
        if (c == null) {
            throw new ResourceException("no SSH credentials for host " + host + ": register them with "
                    + "SshConnections.credentials(\"" + host + "\", ...) or set default credentials");
        }
        return c;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Connects (or reuses the connection) right away, so a wrong key or host key fails here.
     */
    @Override
    public ResourceShell forEndpoint(JobManagerEndpoint endpoint, boolean hostKeyChecking) throws ResourceException {
        if (endpoint.access() == Access.LOCAL) {
            return LocalShell.INSTANCE;
        }
        SshAddress address;
        try {
            address = new SshAddress(endpoint.user(), endpoint.host(), endpoint.port());
        } catch (IllegalArgumentException e) {
            throw new ResourceException("job manager endpoint " + endpoint + ": " + e.getMessage(), e);
        }
        this.hostKeyChecking.put(address.host(), hostKeyChecking);
        return shell(address, hostKeyChecking);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Host keys are checked unless an endpoint of the same host was last given with host key checking off.
     */
    @Override
    public ResourceShell forLocation(String location) throws ResourceException {
        if (location == null) {
            return LocalShell.INSTANCE;
        }
        SshAddress address;
        try {
            address = SshAddress.parse(location);
        } catch (IllegalArgumentException e) {
            throw new ResourceException(e.getMessage(), e);
        }
        return shell(address, hostKeyChecking.getOrDefault(address.host(), true));
    }

    private SshShell shell(SshAddress address, boolean checkHostKey) throws ResourceException {
        if (closed) {
            throw new ResourceException("SSH connections are closed (the engine is shutting down); cannot reach "
                    + address);
        }
        if (!checkHostKey && warnedNoHostKeyChecking.add(address.host())) {
            LOG.warn("host key checking is OFF for {} (its resource config says host_key_checking: false): the "
                    + "connection cannot tell the real host from an impostor", address.host());
        }
        startWatchdog();
        SshConnection c = connections.computeIfAbsent(new Key(address, checkHostKey),
                k -> new SshConnection(address, checkHostKey, settings, this::credentialsFor, this::watch));
        if (closed) { // close() ran while the connection was made: it must not outlive it
            c.close();
        }
        c.session(); // connect now: a wrong key or host key fails here, naming the host
        return c.shell();
    }

    /** The connection behind {@code shell} (for tests in this package). */
    static SshConnection connectionOf(ResourceShell shell) {
        if (!(shell instanceof SshShell)) {
            throw new IllegalArgumentException("not an SSH shell: " + shell);
        }
        return ((SshShell) shell).connection();
    }

    private void watch(SshConnection connection) {
        tunnelled.add(connection);
    }

    /**
     * Starts the one housekeeping thread: it restores dropped tunnels and wakes channel opens stuck on a dropped
     * session ({@link SshConnection#wakeOpensOnDeadSessions()}).
     */
    private void startWatchdog() {
        synchronized (watchdogLock) {
            if (watchdog == null && !closed) {
                watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "pilotflow-ssh-watchdog");
                    t.setDaemon(true);
                    return t;
                });
                long ms = settings.tunnelCheckInterval().toMillis();
                watchdog.scheduleWithFixedDelay(this::checkTunnels, ms, ms, TimeUnit.MILLISECONDS);
                watchdog.scheduleWithFixedDelay(this::wakeStuckOpens, 200, 200, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void wakeStuckOpens() {
        for (SshConnection c : connections.values()) {
            c.wakeOpensOnDeadSessions();
        }
    }

    private void checkTunnels() {
        for (SshConnection c : tunnelled) {
            try {
                c.checkTunnels();
            } catch (RuntimeException e) {
                LOG.warn("checking the SSH tunnels to {} failed", c.target(), e);
            }
        }
    }

    /** Disconnects every connection (their tunnels end with them). Later lookups fail. */
    @Override
    public void close() {
        closed = true;
        synchronized (watchdogLock) {
            if (watchdog != null) {
                watchdog.shutdownNow();
            }
        }
        List<SshConnection> all = new ArrayList<>(connections.values());
        connections.clear();
        tunnelled.clear();
        for (SshConnection c : all) {
            c.close();
        }
    }

    /** Options of {@link SshConnections}; every setting has a default. */
    public static final class Builder {
        private SshCredentials defaultCredentials;
        private final Map<String, SshCredentials> hostCredentials = new ConcurrentHashMap<>();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private int maxChannels = 8;
        private Duration channelWait = Duration.ofSeconds(60);
        private Duration serverAliveInterval = Duration.ofSeconds(15);
        private Duration tunnelCheckInterval = Duration.ofSeconds(5);
        private Duration commandTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** Credentials for hosts without their own. */
        public Builder defaultCredentials(SshCredentials c) {
            this.defaultCredentials = c;
            return this;
        }

        /** Credentials for {@code host} as written in endpoints. */
        public Builder credentials(String host, SshCredentials c) {
            hostCredentials.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(c, "credentials"));
            return this;
        }

        /** TCP connect plus SSH handshake and authentication, and opening a channel; default 10 s. */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /**
         * Channels open at once per connection; default 8, under OpenSSH's default {@code MaxSessions} of 10.
         */
        public Builder maxChannels(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("SshConnections maxChannels " + n + ": expected at least 1");
            }
            this.maxChannels = n;
            return this;
        }

        /** How long a file operation waits for a free channel; default 60 s (commands wait up to their timeout). */
        public Builder channelWait(Duration d) {
            this.channelWait = positive(d, "channelWait");
            return this;
        }

        /**
         * Keepalive probe interval; after 3 unanswered probes a silently dead connection counts as dropped.
         * Default 15 s.
         */
        public Builder serverAliveInterval(Duration d) {
            this.serverAliveInterval = positive(d, "serverAliveInterval");
            return this;
        }

        /** How often connections with reverse tunnels are checked and restored; default 5 s. */
        public Builder tunnelCheckInterval(Duration d) {
            this.tunnelCheckInterval = positive(d, "tunnelCheckInterval");
            return this;
        }

        /** Timeout of the shell's own helper commands (reading variables); default 60 s. */
        public Builder commandTimeout(Duration d) {
            this.commandTimeout = positive(d, "commandTimeout");
            return this;
        }

        public SshConnections build() {
            return new SshConnections(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("SshConnections " + name + " " + d
                        + ": expected a positive duration (milliseconds fit an int)");
            }
            return d;
        }
    }
}
