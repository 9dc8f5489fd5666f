package org.pilotflow.internal.session;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import org.h2.tools.Server;
import org.pilotflow.api.PersistenceFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the embedded H2 database of a running session reachable by a second process (Cockpit): an H2 TCP server in
 * the session's JVM that serves the very database the engine has open (H2's own "mixed mode" is refused with
 * {@code DB_CLOSE_ON_EXIT=FALSE}, which the engine needs). H2 refuses connections from other hosts (no
 * {@code -tcpAllowOthers}); and, as H2's own AUTO_SERVER does, the server answers only to a random database name,
 * its key, written with its port into {@value #FILE_NAME} beside the database (mode 0600): whoever may read the
 * work directory's database may use the server, nobody else on the host.
 */
public final class EmbeddedDatabaseServer implements AutoCloseable {

    /** In {@code <work directory>/db/}: the JDBC URL ({@code url}) and user ({@code user}) of the running server. */
    public static final String FILE_NAME = "pilotflow.server";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabaseServer.class);

    private final Server server;
    private final Path file;
    private final String url;

    private EmbeddedDatabaseServer(Server server, Path file, String url) {
        this.server = server;
        this.file = file;
        this.url = url;
    }

    /**
     * Starts a server for the database the engine opened as {@code jdbc:h2:<database>} ({@code database} with its
     * file-system prefix, e.g. {@code async:/work/db/pilotflow}: H2 shares a database between embedded and served
     * connections only under the same name) and writes its address into {@code <dbDirectory>/}{@value #FILE_NAME}.
     */
    public static EmbeddedDatabaseServer start(String database, Path dbDirectory, String user) {
        SecureRandom random = new SecureRandom();
        String key = "pilotflow-" + randomHex(random);
        Server server;
        try {
            server = Server.createTcpServer("-tcpPort", "0", "-tcpDaemon", "-ifExists", "-key", key, database,
                    // shutting the server down over the network needs this password; nobody is told it
                    "-tcpPassword", randomHex(random)).start();
        } catch (SQLException e) {
            throw new PersistenceFailure("cannot start the H2 server that lets Cockpit reach " + database + ": "
                    + e.getMessage(), e);
        }
        String url = "jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/" + key;
        Path file = dbDirectory.resolve(FILE_NAME);
        try {
            write(file, url, user);
        } catch (IOException e) {
            server.stop();
            throw new PersistenceFailure("cannot write " + file + ": " + e.getMessage(), e);
        }
        LOG.info("the session's H2 database is reachable from this host on port {} (for bin/pilotflow cockpit;"
                + " address and key in {})", server.getPort(), file);
        return new EmbeddedDatabaseServer(server, file, url);
    }

    /** The JDBC URL of the server a session on {@code dbDirectory}'s database runs now, if its file says so. */
    public static Optional<String> url(Path dbDirectory) {
        Path file = dbDirectory.resolve(FILE_NAME);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Properties p = new Properties();
            p.load(r);
            return Optional.ofNullable(p.getProperty("url"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new PersistenceFailure("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server (its connections are closed) and removes its file, unless another server wrote it since. */
    @Override
    public void close() {
        server.stop();
        try {
            if (url(file.getParent()).filter(url::equals).isPresent()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }

    private static void write(Path file, String url, String user) throws IOException {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) { // not a POSIX file system
            Files.createFile(tmp);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("another session is writing " + tmp, e);
        }
        Properties p = new Properties();
        p.setProperty("url", url);
        p.setProperty("user", user);
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "the H2 server of the PilotFlow session running on this database; removed when it ends");
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String randomHex(SecureRandom random) {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
