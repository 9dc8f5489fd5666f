package org.pilotflow.api;

/**
 * An argument is invalid. Names the field, the value and what was expected; nothing was started and no state
 * changed.
 */
public class BadParameter extends PilotException {
    private final String field;
    private final transient Object value;
    private final String expected;

    public BadParameter(String field, Object value, String expected) {
        super(field + " is " + quote(value) + ", expected " + expected);
        this.field = field;
        this.value = value;
        this.expected = expected;
    }

    public BadParameter(String field, Object value, String expected, Throwable cause) {
        super(field + " is " + quote(value) + ", expected " + expected, cause);
        this.field = field;
        this.value = value;
        this.expected = expected;
    }

    private static String quote(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }

    /** The field, e.g. {@code cores} or {@code units[3].executable}. */
    public String field() {
        return field;
    }

    public Object value() {
        return value;
    }

    public String expected() {
        return expected;
    }
}
