package org.pilotflow.resource.ssh;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.ConfigRepository;
import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.OpenSSHConfig;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.pilotflow.resource.ResourceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH connection (one JSch {@link Session}, one TCP connection) to one {@code [user@]host[:port]}, shared by
 * every caller: each command or file operation gets its own channel on it. Connecting costs a key exchange and an
 * authentication (about 0.1-0.2 s, more far away); a channel costs one round trip.
 *
 * <ul>
 *   <li><b>Reconnects</b> transparently: a dropped session is replaced on next use, and an operation whose channel
 *       could not be opened because the session had dropped is retried once on the new one. A command whose
 *       channel was open when the connection broke is <em>not</em> retried (it may have run; running it twice could
 *       submit a job twice); idempotent file operations are.</li>
 *   <li><b>Limits channels</b>: sshd refuses more than {@code MaxSessions} (10 by default) open session channels per
 *       connection, so at most {@code maxChannels} run at once; further callers wait their turn.</li>
 *   <li><b>Remote port forwards</b> (the agents' way back to the engine) are remembered and re-established on the
 *       same remote port after a reconnect, since agents were told that port.</li>
 * </ul>
 * Thread-safe; the session is created and replaced under one lock, channels are used without it.
 */
final class SshConnection {

    private static final Logger LOG = LoggerFactory.getLogger(SshConnection.class);
    private static final String LOOPBACK = "127.0.0.1";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Looks up the credentials for a host when (re)connecting, so newly registered ones apply. */
    interface CredentialsLookup {
        SshCredentials credentialsFor(String host) throws ResourceException;
    }

    /** Called when this connection gets its first remote port forward, so someone watches over it. */
    interface TunnelWatch {
        void watch(SshConnection connection);
    }

    /**
     * One operation on one channel. A fresh instance is made for every attempt (a retry after a reconnect must not
     * see the streams of the failed attempt).
     */
    interface Operation<C extends Channel, T> {
        /** Configures the channel before it is connected (command, streams). */
        default void prepare(C channel) throws Exception {
        }

        /** Does the work on the connected channel. */
        T run(Session session, C channel) throws Exception;
    }

    private final SshAddress address;
    private final boolean hostKeyChecking;
    private final SshConnections.Settings settings;
    private final CredentialsLookup credentials;
    private final TunnelWatch tunnelWatch;
    private final Semaphore channels;
    private final SshShell shell;

    private final Object lock = new Object();
    /** Guarded by lock. */
    private Session session;
    private KeyRepository keys;
    private boolean everConnected;
    private boolean closed;
    /** Remote port forwards: local port here -> port on the remote host's loopback. */
    private final Map<Integer, Integer> forwards = new LinkedHashMap<>();
    /** Local ports whose forward is not (yet) on the current session. */
    private final Set<Integer> unrestored = new LinkedHashSet<>();
    /** Local ports whose failed restore was logged at WARN in the current outage. */
    private final Set<Integer> restoreWarned = new HashSet<>();
    /** Whether the current session holds a forward whose port the server chose (JSch allows only one). */
    private boolean serverChosePort;

    /** Channels being opened, with their session: see {@link #wakeOpensOnDeadSessions()}. */
    private final Map<Channel, Session> opening = new ConcurrentHashMap<>();

    /** {@code user@host:port} once known; the address as written before the first connect. */
    private volatile String target;
    private volatile boolean tunnelsWarned;

    SshConnection(SshAddress address, boolean hostKeyChecking, SshConnections.Settings settings,
                  CredentialsLookup credentials, TunnelWatch tunnelWatch) {
        this.address = address;
        this.hostKeyChecking = hostKeyChecking;
        this.settings = settings;
        this.credentials = credentials;
        this.tunnelWatch = tunnelWatch;
        this.channels = new Semaphore(settings.maxChannels(), true);
        this.target = address.toString();
        this.shell = new SshShell(this, settings);
    }

    SshShell shell() {
        return shell;
    }

    /** {@code user@host:port}, for messages. */
    String target() {
        return target;
    }

    // --------------------------------------------------------------------------------------------- the session

    /** The connected session, connecting (or reconnecting) first if needed. */
    Session session() throws ResourceException {
        synchronized (lock) {
            return sessionLocked();
        }
    }

    /** Replaces {@code stale} unless another caller did already, and returns the connected session. */
    Session reconnect(Session stale) throws ResourceException {
        synchronized (lock) {
            if (session != null && session == stale) {
                dropLocked();
            }
            return sessionLocked();
        }
    }

    private Session sessionLocked() throws ResourceException {
        if (closed) {
            throw new ResourceException("the SSH connection to " + target + " is closed (the engine is shutting down)");
        }
        if (session != null && !session.isConnected()) {
            dropLocked();
        }
        if (session == null) {
            session = connectLocked();
            if (everConnected) {
                LOG.info("reconnected to {}", target);
            } else {
                LOG.info("connected to {}", target);
            }
            everConnected = true;
        }
        if (!unrestored.isEmpty()) {
            restoreForwardsLocked(session);
        }
        return session;
    }

    private void dropLocked() {
        session.disconnect();
        session = null;
        if (keys != null) {
            keys.clear();
            keys = null;
        }
        unrestored.addAll(forwards.keySet());
        serverChosePort = false;
    }

    /** Where to connect after ~/.ssh/config had its say. */
    private record Resolved(String user, String host, int port, List<Path> identityFiles) {
    }

    private Session connectLocked() throws ResourceException {
        SshCredentials creds = credentials.credentialsFor(address.host());
        Resolved r = resolve(creds);
        SshErrors.Attempt attempt = new SshErrors.Attempt(r.user(), r.host(), r.port(), creds.knownHosts(),
                creds.describeKeys(), settings.connectTimeout(), null);
        target = attempt.target();
        JSch jsch = new JSch();
        jsch.setInstanceLogger(JschLog.INSTANCE);
        Session s = null;
        KeyRepository k = null;
        try {
            if (hostKeyChecking) {
                jsch.setKnownHosts(creds.knownHosts().toString()); // read-only use: StrictHostKeyChecking=yes never adds
            } // else: JSch's empty in-memory repository, so the user's known_hosts is never written
            k = KeyRepository.load(creds, r.identityFiles());
            jsch.setIdentityRepository(k);
            s = jsch.getSession(r.user(), r.host(), r.port());
            s.setConfig("StrictHostKeyChecking", hostKeyChecking ? "yes" : "no");
            s.setConfig("PreferredAuthentications", "publickey");
            s.setDaemonThread(true);
            s.setServerAliveInterval((int) settings.serverAliveInterval().toMillis());
            s.setServerAliveCountMax(3);
            s.connect((int) settings.connectTimeout().toMillis());
            keys = k;
            return s;
        } catch (JSchException e) {
            String offered = s == null ? null : offeredKey(jsch, s);
            if (s != null) {
                s.disconnect();
            }
            if (k != null) {
                k.clear();
            }
            throw SshErrors.connectFailed(new SshErrors.Attempt(attempt.user(), attempt.host(), attempt.port(),
                    attempt.knownHosts(), attempt.keys(), attempt.timeout(), offered), e);
        }
    }

    private static String offeredKey(JSch jsch, Session s) {
        HostKey hk = s.getHostKey();
        return hk == null ? null : hk.getType() + " key " + hk.getFingerPrint(jsch);
    }

    private Resolved resolve(SshCredentials creds) throws ResourceException {
        ConfigRepository.Config cfg = null;
        Path configFile = creds.sshConfig().orElse(null);
        if (configFile != null && Files.isReadable(configFile)) {
            try {
                cfg = OpenSSHConfig.parseFile(configFile.toString()).getConfig(address.bareHost());
            } catch (IOException e) {
                throw new ResourceException("cannot read ssh config " + configFile + " for " + address + ": "
                        + e.getMessage(), e);
            }
        }
        String host = cfg != null && cfg.getHostname() != null ? cfg.getHostname() : address.bareHost();
        String configUser = cfg != null ? cfg.getUser() : null;
        String user = address.user() != null ? address.user()
                : creds.user().orElse(configUser != null ? configUser : System.getProperty("user.name"));
        int port = address.port() > 0 ? address.port() : cfg != null && cfg.getPort() > 0 ? cfg.getPort() : 22;
        List<Path> ids = new ArrayList<>();
        String[] files = cfg == null ? null : cfg.getValues("IdentityFile");
        if (files != null) {
            for (String f : files) {
                ids.add(f.startsWith("~/") ? Path.of(System.getProperty("user.home"), f.substring(2)) : Path.of(f));
            }
        }
        return new Resolved(user, host, port, ids);
    }

    // --------------------------------------------------------------------------------------------- channels

    /**
     * Runs {@code operation} on a new channel of type {@code type} ({@code exec}, {@code sftp}).
     *
     * @param what       for messages: {@code write /x/agent.json}, {@code run 'sbatch'}
     * @param permitWait how long to wait for a free channel
     * @param idempotent whether the operation may be repeated after the connection broke while it ran
     */
    <C extends Channel, T> T withChannel(String type, String what, Duration permitWait, boolean idempotent,
                                         Supplier<? extends Operation<C, T>> operation) throws ResourceException {
        Session s = session();
        for (int attempt = 1; ; attempt++) {
            acquire(permitWait, what);
            C channel = null;
            try {
                Operation<C, T> op = operation.get();
                try {
                    @SuppressWarnings("unchecked")
                    C c = (C) s.openChannel(type);
                    channel = c;
                    op.prepare(channel);
                    // With a timeout JSch waits for the server to accept the exec/subsystem request, so a failure
                    // here means the command did not start.
                    opening.put(channel, s);
                    try {
                        channel.connect((int) settings.connectTimeout().toMillis());
                    } finally {
                        opening.remove(channel);
                    }
                } catch (Exception e) {
                    if (attempt == 1 && !s.isConnected()) {
                        LOG.debug("the connection to {} dropped before {} could start ({}); retrying", target, what,
                                e.toString());
                        s = reconnect(s); // nothing ran yet: safe to try again on a fresh connection
                        continue;
                    }
                    throw new ResourceException("cannot " + what + " on " + target + ": opening an SSH " + type
                            + " channel failed: " + e.getMessage(), e);
                }
                try {
                    return op.run(s, channel);
                } catch (ResourceException e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ResourceException("interrupted during " + what + " on " + target, e);
                } catch (Exception e) {
                    if (!s.isConnected()) {
                        if (idempotent && attempt == 1) {
                            LOG.debug("the connection to {} dropped during {} ({}); repeating it", target, what,
                                    e.toString());
                            s = reconnect(s);
                            continue;
                        }
                        throw new ResourceException("cannot " + what + " on " + target + ": the connection was lost"
                                + (idempotent ? "" : "; it may have run partly or not at all"), e);
                    }
                    throw new ResourceException("cannot " + what + " on " + target + ": " + (e instanceof SftpException se
                            ? SshErrors.sftpMessage(se) : e.getMessage()), e);
                }
            } finally {
                if (channel != null) {
                    channel.disconnect();
                }
                channels.release();
            }
        }
    }

    private void acquire(Duration wait, String what) throws ResourceException {
        try {
            if (!channels.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new ResourceException("cannot " + what + " on " + target + ": all " + settings.maxChannels()
                        + " channels of its SSH connection stayed busy for " + SshErrors.seconds(wait));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResourceException("interrupted while waiting to " + what + " on " + target, e);
        }
    }

    // --------------------------------------------------------------------------------------------- forwards

    /**
     * A remote port forward from {@code 127.0.0.1:<port chosen by the server>} on the remote host to
     * {@code 127.0.0.1:localPort} here; set up once and returned again on later calls.
     */
    int reverseForward(int localPort) throws ResourceException {
        if (localPort < 1 || localPort > 65535) {
            throw new IllegalArgumentException("local port " + localPort + " is not a TCP port");
        }
        synchronized (lock) {
            Session s = sessionLocked();
            Integer remote = forwards.get(localPort);
            if (remote != null) {
                if (unrestored.contains(localPort)) {
                    throw new ResourceException("the reverse tunnel 127.0.0.1:" + remote + " on " + target
                            + " to port " + localPort + " here is down and could not be restored on the same port"
                            + " (see the log); agents there cannot reach the engine until it is");
                }
                return remote;
            }
            int allocated;
            try {
                allocated = allocateForward(s, localPort);
            } catch (JSchException e) {
                if (s.isConnected()) {
                    throw new ResourceException("cannot forward a port on " + target + " to port " + localPort
                            + " here: " + e.getMessage() + " (does its sshd allow AllowTcpForwarding?)", e);
                }
                dropLocked();
                s = sessionLocked();
                try {
                    allocated = allocateForward(s, localPort);
                } catch (JSchException e2) {
                    throw new ResourceException("cannot forward a port on " + target + " to port " + localPort
                            + " here: " + e2.getMessage(), e2);
                }
            }
            forwards.put(localPort, allocated);
            LOG.info("reverse tunnel: 127.0.0.1:{} on {} -> 127.0.0.1:{} here", allocated, target, localPort);
            tunnelWatch.watch(this);
            return allocated;
        }
    }

    /**
     * A new forward to {@code localPort} on a port of the server's choice. JSch 0.2.21 files remote forwards under
     * the port <em>requested</em>, so one session can hold only one requested as port 0 (a second fails with
     * "remote port 0 is already registered", after the server already bound a port). Further forwards on the same
     * session therefore ask for a random port of Linux's ephemeral range, trying others while the server refuses.
     */
    private int allocateForward(Session s, int localPort) throws JSchException {
        if (!serverChosePort) {
            int port = requestForward(s, 0, localPort);
            serverChosePort = true;
            return port;
        }
        JSchException last = null;
        for (int attempt = 0; attempt < 20 && s.isConnected(); attempt++) {
            int candidate = 32768 + RANDOM.nextInt(61000 - 32768);
            try {
                return requestForward(s, candidate, localPort);
            } catch (JSchException e) {
                last = e; // most likely taken there; try another
            }
        }
        throw last != null ? last : new JSchException("session is down");
    }

    /**
     * Asks the server to listen on {@code 127.0.0.1:remotePort} (0: any free port); returns the port.
     *
     * <p>The request runs on a thread of its own: JSch wakes the requesting thread with {@code interrupt()} when
     * the server's reply arrives, and that interrupt can land after {@code setPortForwardingR} has returned. On
     * the caller's thread it broke the next blocking call (a channel open failed at once with "channel is not
     * opened."). A throwaway thread absorbs it.
     */
    private static int requestForward(Session s, int remotePort, int localPort) throws JSchException {
        String spec = LOOPBACK + ":" + remotePort + ":" + LOOPBACK + ":" + localPort;
        FutureTask<Integer> request = new FutureTask<>(() -> s.setPortForwardingR(spec));
        Thread t = new Thread(request, "pilotflow-ssh-forward-" + localPort);
        t.setDaemon(true);
        t.start();
        try {
            return request.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof JSchException je) {
                throw je;
            }
            throw new JSchException(String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JSchException("interrupted while asking for the port forward " + spec, e);
        }
    }

    private void restoreForwardsLocked(Session s) {
        for (var it = unrestored.iterator(); it.hasNext(); ) {
            int local = it.next();
            int remote = forwards.get(local);
            try {
                requestForward(s, remote, local);
                it.remove();
                restoreWarned.remove(local);
                LOG.info("restored reverse tunnel 127.0.0.1:{} on {} -> 127.0.0.1:{} here", remote, target, local);
            } catch (JSchException e) {
                if (restoreWarned.add(local)) {
                    LOG.warn("cannot restore reverse tunnel 127.0.0.1:{} on {} -> 127.0.0.1:{} here: {}; agents there "
                                    + "cannot reach the engine until it is back (retrying; is the port still held by the "
                                    + "old connection's sshd?)", remote, target, local, e.getMessage());
                } else {
                    LOG.debug("still cannot restore reverse tunnel 127.0.0.1:{} on {}: {}", remote, target,
                            e.getMessage());
                }
            }
        }
    }

    /**
     * Works around a JSch race: when a connection drops, JSch's session thread disconnects the session's channels
     * and only then marks the session down, so a channel opened in between waits on its own monitor for the whole
     * connect timeout (10 s) before it fails with "session is down". Called every few hundred milliseconds; wakes
     * such a waiter, which then sees the session is down at once (and the call is retried on a new connection).
     */
    void wakeOpensOnDeadSessions() {
        for (Map.Entry<Channel, Session> e : opening.entrySet()) {
            if (!e.getValue().isConnected()) {
                Channel channel = e.getKey();
                synchronized (channel) {
                    channel.notifyAll();
                }
            }
        }
    }

    /** The watchdog's check: reconnects (restoring the tunnels) when the session dropped. */
    void checkTunnels() {
        synchronized (lock) {
            if (closed || forwards.isEmpty()) {
                return;
            }
        }
        try {
            session();
            tunnelsWarned = false;
        } catch (ResourceException e) {
            if (!tunnelsWarned) {
                tunnelsWarned = true;
                LOG.warn("reverse tunnels to {} are down: {}; retrying", target, e.getMessage());
            }
        }
    }

    /** The remote ports of the forwards, by local port (for tests and diagnostics). */
    Map<Integer, Integer> forwards() {
        synchronized (lock) {
            return Map.copyOf(forwards);
        }
    }

    /** The current session if connected, else {@code null} (for tests: identity of the TCP connection). */
    Session currentSession() {
        synchronized (lock) {
            return session != null && session.isConnected() ? session : null;
        }
    }

    void close() {
        synchronized (lock) {
            closed = true;
            if (session != null) {
                dropLocked();
                LOG.info("disconnected from {}", target);
            }
            unrestored.clear();
        }
    }
}
