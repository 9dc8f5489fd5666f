package org.pilotflow.resource.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Paths in {@code valid_roots} and {@code default_remote_workdir}: absolute, or starting with one variable
 * {@code $NAME} / {@code ${NAME}} followed by nothing or {@code /...}. Variables elsewhere are not expanded.
 */
public final class PathVariables {

    private static final Pattern LEADING_VAR =
            Pattern.compile("^\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)}|([A-Za-z_][A-Za-z0-9_]*))(/.*)?$");

    private PathVariables() {
    }

    /** True for an absolute path or a path starting with a variable. */
    public static boolean isWellFormed(String path) {
        // a NUL cannot be in a path (the OS would cut it there; Path.of refuses it)
        return path != null && path.indexOf('\0') < 0
                && (path.startsWith("/") || LEADING_VAR.matcher(path).matches());
    }

    /** The leading variable's name, if any. */
    public static Optional<String> variable(String path) {
        Matcher m = LEADING_VAR.matcher(path);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1) != null ? m.group(1) : m.group(2));
    }

    /** The path with its leading variable replaced, or empty if the variable is not in {@code vars}. */
    public static Optional<Path> expand(String path, Map<String, String> vars) {
        Matcher m = LEADING_VAR.matcher(path);
        if (!m.matches()) {
            return Optional.of(Path.of(path).normalize());
        }
        String name = m.group(1) != null ? m.group(1) : m.group(2);
        String value = vars.get(name);
        if (value == null || !value.startsWith("/")) {
            return Optional.empty();
        }
        String rest = m.group(3) == null ? "" : m.group(3);
        return Optional.of(Path.of(value + rest).normalize());
    }

    /**
     * The value of {@code name} on this machine: {@code HOME} is {@code user.home}, {@code TMPDIR} is
     * {@code java.io.tmpdir}, anything else comes from the environment; {@code null} if undefined.
     */
    public static String localValue(String name) {
        return switch (name) {
            case "HOME" -> System.getProperty("user.home");
            case "TMPDIR" -> System.getProperty("java.io.tmpdir");
            default -> System.getenv(name);
        };
    }
}
