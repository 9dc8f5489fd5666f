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

    /**
     * {@code value}, or a BadParameter naming {@code field} when it is null (a null where the API needs a value is
     * a bad argument like any other, not a NullPointerException from deep inside).
     */
    public static <T> T requireNonNull(T value, String field, String expected) {
        if (value == null) {
            throw new BadParameter(field, null, expected);
        }
        return value;
    }

    /** {@code values}, or a BadParameter naming the list or its first null entry ({@code field[i]}). */
    public static <C extends java.util.Collection<?>> C requireNoNulls(C values, String field, String expected) {
        requireNonNull(values, field, "a list of " + expected + " (empty for all, where the call allows it)");
        int i = 0;
        for (Object v : values) {
            if (v == null) {
                throw new BadParameter(field + "[" + i + "]", null, expected);
            }
            i++;
        }
        return values;
    }

    /** The longest rendering of a bad value in a message; longer values are cut (the full one is {@link #value()}). */
    static final int SHOWN_CHARS = 80;

    /**
     * The value as a message shows it: strings quoted, control characters escaped (a NUL shows as {@code \0}), and
     * cut to {@link #SHOWN_CHARS} characters with the full length named.
     */
    static String quote(Object v) {
        String text = String.valueOf(v);
        StringBuilder sb = new StringBuilder(Math.min(text.length(), SHOWN_CHARS) + 32);
        int shown = Math.min(text.length(), SHOWN_CHARS);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (c == 0) {
                sb.append("\\0");
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (text.length() > shown) {
            sb.append("... (").append(text.length()).append(" characters)");
        }
        return v instanceof String ? "'" + sb + "'" : sb.toString();
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
