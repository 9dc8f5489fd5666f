package org.pilotflow.resource.config;

/**
 * A resource configuration (a {@code resource_<site>.json} file, or a {@link ResourceConfig} built by API) is
 * invalid. The message names the file, the key, the bad value and what was expected, e.g.
 * {@code resource_mysite.json: key "mysite.cluster/cores_per_node" is -4, expected an integer > 0 or "auto"}.
 *
 * <p>Fields, each may be {@code null} when it does not apply:
 * <ul>
 *   <li>{@link #file()} - the file as given to the registry (a path, or {@code classpath:...} for built-ins);
 *       {@code null} for configs built by API;</li>
 *   <li>{@link #key()} - a JSON-pointer-like path {@code <site>.<machine>/<key>[/<sub key or index>]}, e.g.
 *       {@code local.localhost/schemas/local/job_manager_endpoint} or {@code x.y/valid_roots/0};
 *       {@code null} for invalid JSON and I/O errors;</li>
 *   <li>{@link #value()} - the offending value rendered as JSON (strings quoted), {@code null} if missing;</li>
 *   <li>{@link #expected()} - what was expected, in words;</li>
 *   <li>{@link #line()}/{@link #column()} - position of a JSON syntax error, {@code -1} otherwise.</li>
 * </ul>
 */
public final class ResourceConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String key;
    private final String value;
    private final String expected;
    private final int line;
    private final int column;
    private final String body;

    private ResourceConfigException(String file, String key, String value, String expected, int line, int column,
                                    String body, Throwable cause) {
        super((file == null ? "" : file + ": ") + body, cause);
        this.file = file;
        this.key = key;
        this.value = value;
        this.expected = expected;
        this.line = line;
        this.column = column;
        this.body = body;
    }

    /** {@code key "<key>" is <value>, expected <expected>}. */
    static ResourceConfigException badValue(String file, String key, String value, String expected) {
        return new ResourceConfigException(file, key, value, expected, -1, -1,
                "key \"" + key + "\" is " + value + ", expected " + expected, null);
    }

    /** A required key is absent. */
    static ResourceConfigException missing(String file, String key, String expected) {
        return new ResourceConfigException(file, key, null, expected, -1, -1,
                "key \"" + key + "\" is missing, expected " + expected, null);
    }

    /** A key that is not part of the format (and does not start with "_"). */
    static ResourceConfigException unknownKey(String file, String key, String value, String expected) {
        return new ResourceConfigException(file, key, value, expected, -1, -1,
                "unknown key \"" + key + "\" (value " + value + "), expected " + expected, null);
    }

    static ResourceConfigException invalidJson(String file, int line, int column, String detail, Throwable cause) {
        return new ResourceConfigException(file, null, null, "valid JSON", line, column,
                "invalid JSON at line " + line + ", column " + column + ": " + detail, cause);
    }

    static ResourceConfigException io(String file, String what, Throwable cause) {
        return new ResourceConfigException(file, null, null, "a readable file or directory", -1, -1,
                what + ": " + cause, cause);
    }

    /** The same error, attributed to {@code file} (used when a builder's check fires while loading a file). */
    ResourceConfigException inFile(String newFile) {
        ResourceConfigException e = new ResourceConfigException(newFile, key, value, expected, line, column, body,
                getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The file as given to the registry, or {@code null} for a config built by API. */
    public String file() { return file; }

    /** Path of the bad key, e.g. {@code mysite.cluster/cores_per_node}; {@code null} for JSON syntax errors. */
    public String key() { return key; }

    /** The bad value rendered as JSON, or {@code null} when the key is missing or not applicable. */
    public String value() { return value; }

    /** What was expected, in words. */
    public String expected() { return expected; }

    /** 1-based line of a JSON syntax error, or -1. */
    public int line() { return line; }

    /** 1-based column of a JSON syntax error, or -1. */
    public int column() { return column; }
}
