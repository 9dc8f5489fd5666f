package org.pilotflow.resource.config;

import java.util.Objects;

/**
 * A field of a pilot description does not fit the resource it names: a sandbox outside the resource's
 * {@code valid_roots}, a missing {@code mandatory_args} field, an unknown access schema or pilot id. Thrown by
 * {@link ResourceConfig#checkSandbox}, {@link ResourceConfig#checkMandatoryArgs}, {@link ResourceConfig#schema(String)}
 * and {@link ResourceConfig#defaultSandbox}. Carries the description field, the bad value (as given, may be
 * {@code null} when the field is missing) and what was expected; the message names all three.
 */
public class InvalidDescriptionException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String value;
    private final String expected;

    public InvalidDescriptionException(String field, String value, String expected) {
        super("field \"" + Objects.requireNonNull(field, "field") + "\" is "
                + (value == null ? "missing" : "\"" + value + "\"") + ", expected " + expected);
        this.field = field;
        this.value = value;
        this.expected = expected;
    }

    /** The description field, e.g. {@code sandbox}, {@code project}, {@code resource}. */
    public String field() { return field; }

    /** The value as given, or {@code null} if the field was missing. */
    public String value() { return value; }

    /** What was expected, in words. */
    public String expected() { return expected; }
}
