package org.pilotflow.agent.function;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.pilotflow.function.PilotFunction;

/**
 * (The same as delegates' test helper org.pilotflow.testing.FunctionJar: the agent's tests cannot depend on it.)
 * A real, separate jar of function classes for tests: the sources are compiled with the JDK's compiler against
 * pilotflow-function-api only, and the classes written into a jar, all in a directory of the test's.
 */
final class FunctionJar {
    private FunctionJar() {
    }

    /**
     * @param sources fully qualified class name -> its source
     * @return the jar, {@code dir/name}
     */
    public static Path build(Path dir, String name, Map<String, String> sources) throws IOException {
        Path src = Files.createDirectories(dir.resolve(name + ".src"));
        Path classes = Files.createDirectories(dir.resolve(name + ".classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", apiPath(),
                "--release", "17", "-nowarn"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        if (javac.run(null, errors, errors, args.toArray(String[]::new)) != 0) {
            throw new IllegalStateException("function sources do not compile: " + errors);
        }
        Path jar = dir.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                Files.copy(f, out); // leaves the jar stream open
                out.closeEntry();
            }
        }
        return jar;
    }

    /** Where pilotflow-function-api's classes are (its jar, or its classes directory in the reactor). */
    private static String apiPath() {
        try {
            return Path.of(PilotFunction.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
