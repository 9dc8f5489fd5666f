package org.pilotflow.resource.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Output samples captured from this project's test daemons (see the README.md beside them). */
public final class Samples {

    private Samples() {
    }

    /** The sample {@code name} of {@code system} ({@code slurm}, {@code sge}). */
    public static String read(String system, String name) {
        String path = "/org/pilotflow/resource/" + system + "/" + name;
        try (InputStream in = Samples.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no sample " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
