package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.h2.tools.Shell;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.Session;

/**
 * A session on the embedded H2 database lets a second process in (Cockpit): that process reads the session's rows
 * through the loopback server whose address and key the session wrote, only with that key; the file is the
 * owner's alone and goes when the session ends, and so does the server. H2 only (the default it is for).
 */
class EmbeddedDatabaseServerTest {

    @TempDir
    Path work;

    @Test
    void aSecondProcessReadsTheRunningSessionsDatabaseWithTheKeyOnly() throws Exception {
        Assumptions.assumeFalse(LocalFixture.onPostgres(), "the server is for the embedded H2 database");
        String url;
        try (Session session = Session.builder().config(LocalFixture.config(work)).create()) {
            url = Session.embeddedDatabaseUrl(work).orElseThrow();
            assertThat(url).startsWith("jdbc:h2:tcp://127.0.0.1:");
            Path file = work.resolve("db").resolve("pilotflow.server");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

            // H2's own shell, in a JVM of its own, as Cockpit is
            Process shell = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", Path.of(Shell.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString(), Shell.class.getName(), "-url", url, "-user", "sa", "-password", "",
                    "-sql", "SELECT ID FROM PF_SESSION")
                    .redirectErrorStream(true).start();
            assertThat(shell.waitFor(2, TimeUnit.MINUTES)).as("H2's shell ended").isTrue();
            String out = new String(shell.getInputStream().readAllBytes());
            assertThat(shell.exitValue()).as(out).isZero();
            assertThat(out).contains(session.uid());

            // the database's own name is not enough: the server answers only to its key
            String port = url.substring("jdbc:h2:tcp://127.0.0.1:".length(), url.lastIndexOf('/'));
            String byPath = "jdbc:h2:tcp://127.0.0.1:" + port + "/async:" + work.resolve("db").resolve("pilotflow");
            Assertions.assertThatThrownBy(() -> DriverManager.getConnection(byPath, "sa", "").close())
                    .isInstanceOf(SQLException.class).hasMessageContaining("Wrong user name or password");
        }
        assertThat(Session.embeddedDatabaseUrl(work)).as("the server's file after the session ended").isEmpty();
        Assertions.assertThatThrownBy(() -> DriverManager.getConnection(url, "sa", "").close())
                .as("the server after the session ended").isInstanceOf(SQLException.class);
    }
}
