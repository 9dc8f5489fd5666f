package org.pilotflow.resource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The agent's executable jar, embedded in this module's jar at build time and written out at run time. Found as a
 * class-path resource, so it works however the application is packaged (local repository, lib folder, fat jar)
 * and never depends on a developer's build folder.
 */
public final class AgentBundle {

    static final String RESOURCE = "/org/pilotflow/resource/agent/pilotflow-agent.jar";

    private static volatile byte[] bytes;
    private static volatile String digest;

    private AgentBundle() {
    }

    /**
     * Writes the agent jar into {@code dir} (once per content: the file name carries its digest) and returns it.
     */
    public static Path materialize(Path dir) throws ResourceException {
        load();
        Path target = dir.resolve("pilotflow-agent-" + digest + ".jar");
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "pilotflow-agent", ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new ResourceException("cannot write the agent jar to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The first 12 hex digits of the jar's SHA-256: part of its file name, so a changed agent is copied again. */
    public static String digest() throws ResourceException {
        load();
        return digest;
    }

    /** The jar's content (for adapters that copy it to another machine). */
    public static byte[] content() throws ResourceException {
        load();
        return bytes.clone();
    }

    private static void load() throws ResourceException {
        if (bytes != null) {
            return;
        }
        synchronized (AgentBundle.class) {
            if (bytes != null) {
                return;
            }
            try (InputStream in = AgentBundle.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new ResourceException("the agent jar " + RESOURCE + " is missing from the "
                            + "pilotflow-delegates jar; build the project with 'mvn package' (or later), which embeds it");
                }
                byte[] b = in.readAllBytes();
                digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 12);
                bytes = b;
            } catch (IOException | NoSuchAlgorithmException e) {
                throw new ResourceException("cannot read the embedded agent jar: " + e.getMessage(), e);
            }
        }
    }
}
