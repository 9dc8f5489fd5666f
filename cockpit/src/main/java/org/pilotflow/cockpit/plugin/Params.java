package org.pilotflow.cockpit.plugin;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.camunda.bpm.engine.rest.exception.InvalidRequestException;

/**
 * The query parameters of the PilotFlow resource, checked before any SQL is built: a bad one is a 400 naming the
 * parameter, its value and what was expected (Camunda's {@code {"type", "message"}} error body).
 */
final class Params {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final int MAX_OFFSET = 1_000_000;
    /** Session, pilot and unit uids: {@code session.20261121.101500.a1b2c3}, {@code pilot.0000}. */
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private final MultivaluedMap<String, String> query;

    Params(MultivaluedMap<String, String> query, Set<String> known) {
        this.query = query;
        for (String name : query.keySet()) {
            if (!known.contains(name)) {
                throw bad(name, String.join(",", query.get(name)), "no such parameter; known: " + known.stream()
                        .sorted().toList());
            }
            if (query.get(name).size() > 1) {
                throw bad(name, String.join(",", query.get(name)), "one value");
            }
        }
    }

    int limit() {
        return number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    }

    int offset() {
        return number("offset", 0, 0, MAX_OFFSET);
    }

    /** A uid, or null when not given. */
    String uid(String name) {
        String v = query.getFirst(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (!UID.matcher(v).matches()) {
            throw bad(name, v, "a uid (letters, digits, '.', '_', '-'; at most 100)");
        }
        return v;
    }

    /** States of {@code type}, comma-separated; empty when not given. */
    <E extends Enum<E>> List<String> states(String name, Class<E> type) {
        String v = query.getFirst(name);
        List<String> out = new ArrayList<>();
        if (v == null || v.isEmpty()) {
            return out;
        }
        List<String> known = Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
        for (String s : v.split(",", -1)) {
            if (!known.contains(s.strip())) {
                throw bad(name, v, "one or more of " + String.join(", ", known) + ", separated by commas");
            }
            out.add(s.strip());
        }
        return out;
    }

    private int number(String name, int dflt, int min, int max) {
        String v = query.getFirst(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw bad(name, v, "a whole number " + min + ".." + max);
    }

    private static InvalidRequestException bad(String name, String value, String expected) {
        String shown = value.length() > 120 ? value.substring(0, 120) + "..." : value;
        return new InvalidRequestException(Status.BAD_REQUEST,
                "query parameter " + name + " is '" + shown + "', expected " + expected);
    }
}
