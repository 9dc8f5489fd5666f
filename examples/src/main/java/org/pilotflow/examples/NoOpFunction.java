package org.pilotflow.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.pilotflow.function.FunctionContext;
import org.pilotflow.function.PilotFunction;

/**
 * A function unit that does nothing (the benchmark's no-op task, as Dask's {@code lambda: None}). It depends on the
 * function API only, so {@link #writeJar} can put it alone in a jar the agent loads.
 */
public final class NoOpFunction implements PilotFunction {

    @Override
    public Object call(FunctionContext context) {
        return null;
    }

    /** Writes a jar holding this class alone (what a user's own jar would be); returns {@code jar}. */
    static Path writeJar(Path jar) throws IOException {
        String entry = NoOpFunction.class.getName().replace('.', '/') + ".class";
        Files.createDirectories(jar.getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             InputStream in = NoOpFunction.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) {
                throw new IOException(entry + " not on the classpath");
            }
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
