package org.pilotflow.agent.launch;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options a launch method takes from the resource config's {@code launch_methods} object: {@code executable}
 * (the launcher's program, found on {@code PATH} unless it contains a '/') and {@code args} (extra arguments for it,
 * a list of strings). Other keys (RADICAL-Pilot configs carry some, e.g. {@code pre_exec_cached}) are not used by
 * the agent; they are kept in {@link #ignoredKeys} so the agent can say so.
 *
 * @param executable null for a method without a launcher program ({@code FORK})
 */
public record MethodOptions(String executable, List<String> args, Set<String> ignoredKeys) {

    public MethodOptions {
        args = List.copyOf(args);
        ignoredKeys = Set.copyOf(ignoredKeys);
    }

    /**
     * @param defaultExecutable the launcher's program when the options name none; null for a method without one
     * @throws IllegalArgumentException naming the option and what it should be
     */
    static MethodOptions parse(String method, String defaultExecutable, Map<String, Object> raw) {
        Map<String, Object> options = raw == null ? Map.of() : raw;
        Set<String> ignored = new TreeSet<>(options.keySet());
        if (defaultExecutable == null) {
            return new MethodOptions(null, List.of(), ignored);
        }
        ignored.remove("executable");
        ignored.remove("args");
        String field = "launchMethodOptions." + method;
        Object exe = options.getOrDefault("executable", defaultExecutable);
        if (!(exe instanceof String executable) || executable.isBlank()) {
            throw new IllegalArgumentException("field '" + field + ".executable' must be a program name or path, was "
                    + exe);
        }
        Object rawArgs = options.getOrDefault("args", List.of());
        List<String> args = new ArrayList<>();
        if (!(rawArgs instanceof List<?> list)) {
            throw new IllegalArgumentException("field '" + field + ".args' must be a list of strings, was " + rawArgs);
        }
        for (Object a : list) {
            if (!(a instanceof String arg)) {
                throw new IllegalArgumentException("field '" + field + ".args' must be a list of strings, was "
                        + rawArgs);
            }
            args.add(arg);
        }
        return new MethodOptions(executable.strip(), args, ignored);
    }

    /**
     * Where {@link #executable} is: itself when it contains a '/', else the first executable file of that name on
     * {@code path} (a {@code PATH} value); empty when there is none.
     */
    public Optional<Path> find(String path) {
        if (executable.contains("/")) {
            Path p = Path.of(executable);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, executable);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
