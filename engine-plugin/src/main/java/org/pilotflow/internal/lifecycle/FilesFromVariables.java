package org.pilotflow.internal.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.FileSpec;
import org.pilotflow.internal.store.Json;
import org.pilotflow.model.wire.StagingDirective;

/**
 * Reads the variables of a "Stage data" task (element template {@code org.pilotflow.StageData}) into the Data API's
 * {@link FileSpec}s, and the specs after the transfer back into a variable's value. Every variable is checked before
 * anything moves; a bad one is refused naming it ({@code files[2].checksum}), its value and what was expected.
 */
public final class FilesFromVariables {
    private FilesFromVariables() {
    }

    public static final String VAR_PILOT = "pilot";
    public static final String VAR_DIRECTION = "direction";
    public static final String VAR_FILES = "files";
    public static final String VAR_TOLERATE = "tolerateFailedFiles";

    static final String FILES_EXPECTED = "a JSON array of 'source > target' strings or {\"source\", \"target\", "
            + "\"size\", \"checksum\"} objects, lines of 'source > target', or a List of those";
    private static final List<String> KEYS = List.of("source", "target", "size", "checksum");

    /**
     * What a task asks for.
     *
     * @param in       true for stage-in (this machine to the resource), false for stage-out
     * @param tolerate true when failed files do not fail the task
     */
    public record Request(String pilot, boolean in, List<FileSpec> files, boolean tolerate) {
        public String direction() {
            return in ? "stage-in to" : "stage-out from";
        }
    }

    /**
     * The request {@code variables} (by name) give.
     *
     * @throws BadParameter naming the variable, its value and what was expected
     */
    public static Request read(Function<String, Object> variables) {
        Object pilot = variables.apply(VAR_PILOT);
        if (!(pilot instanceof String p) || p.isBlank()) {
            throw new BadParameter(VAR_PILOT, pilot, "the uid of a pilot of the workflow's session, e.g. ${pilot} as "
                    + "'Submit pilot' set it");
        }
        Object direction = variables.apply(VAR_DIRECTION);
        String d = direction instanceof String s ? s.strip().toLowerCase(Locale.ROOT) : null;
        if (!"in".equals(d) && !"out".equals(d)) {
            throw new BadParameter(VAR_DIRECTION, direction, "in (from this machine to the pilot's resource) or out "
                    + "(from the resource to this machine)");
        }
        List<FileSpec> files = files(variables.apply(VAR_FILES));
        Object tolerate = variables.apply(VAR_TOLERATE);
        boolean t;
        if (tolerate == null || (tolerate instanceof String s && s.isBlank())) {
            t = false;
        } else if (tolerate instanceof Boolean b) {
            t = b;
        } else if (tolerate instanceof String s && (s.strip().equalsIgnoreCase("true")
                || s.strip().equalsIgnoreCase("false"))) {
            t = Boolean.parseBoolean(s.strip());
        } else {
            throw new BadParameter(VAR_TOLERATE, tolerate, "true or false");
        }
        return new Request(p.strip(), "in".equals(d), files, t);
    }

    /** The specs a {@code files} value lists: a List, a JSON array, or shorthand lines (blank and # lines skipped). */
    static List<FileSpec> files(Object value) {
        List<?> entries;
        if (value instanceof List<?> l) {
            entries = l;
        } else if (value instanceof String s && s.strip().startsWith("[")) {
            try {
                entries = Json.MAPPER.readValue(s, new TypeReference<List<Object>>() { });
            } catch (Exception e) {
                String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
                throw new BadParameter(VAR_FILES, value, FILES_EXPECTED + " (not JSON: " + why + ")");
            }
        } else if (value instanceof String s) {
            entries = s.lines().map(String::strip).filter(x -> !x.isEmpty() && !x.startsWith("#")).toList();
        } else {
            throw new BadParameter(VAR_FILES, value, FILES_EXPECTED);
        }
        if (entries.isEmpty()) {
            throw new BadParameter(VAR_FILES, value, FILES_EXPECTED + ", with at least one file");
        }
        List<FileSpec> specs = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            specs.add(spec(VAR_FILES + "[" + i + "]", entries.get(i)));
        }
        return specs;
    }

    private static FileSpec spec(String field, Object entry) {
        if (entry instanceof String text) {
            try {
                StagingDirective d = StagingDirective.parse(field, text);
                return FileSpec.of(d.source(), d.target());
            } catch (StagingDirective.Invalid e) {
                throw new BadParameter(e.field(), e.value(), e.expected(), e);
            }
        }
        if (!(entry instanceof Map<?, ?> m)) {
            throw new BadParameter(field, entry, "'source > target' or {\"source\": ..., \"target\": ...}");
        }
        for (Object k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new BadParameter(field + "." + k, m.get(k), "no such key: a file has " + KEYS);
            }
        }
        String key = "source";
        try {
            FileSpec.Builder b = FileSpec.builder();
            b.source(text(m.get("source")));
            key = "target";
            b.target(text(m.get("target")));
            key = "size";
            Object size = m.get("size");
            if (size != null && !(size instanceof String s && s.isBlank())) {
                b.size(size(size));
            }
            key = "checksum";
            Object checksum = m.get("checksum");
            if (checksum != null && !(checksum instanceof String s && s.isBlank())) {
                b.checksum(text(checksum));
            }
            return b.build();
        } catch (BadParameter e) {
            throw new BadParameter(field + "." + key, m.get(key), e.expected(), e);
        }
    }

    private static String text(Object v) {
        if (v != null && !(v instanceof String)) {
            throw new BadParameter("", v, "text");
        }
        return (String) v;
    }

    private static long size(Object v) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                // the message below
            }
        }
        throw new BadParameter("size", v, "the file's size in bytes (a whole number >= 0)");
    }

    /** The specs after a transfer as a variable's value: one map each, readable by expressions. */
    public static ArrayList<Map<String, Object>> result(List<FileSpec> moved) {
        ArrayList<Map<String, Object>> out = new ArrayList<>(moved.size());
        for (FileSpec f : moved) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", f.source());
            m.put("target", f.target());
            m.put("status", f.status().name());
            m.put("size", f.transferredSize());
            m.put("checksum", f.transferredChecksum());
            m.put("adler32", f.transferredAdler32());
            m.put("md5", f.transferredMd5());
            m.put("error", f.error() == null ? null : f.error().name());
            m.put("reason", f.reason());
            out.add(m);
        }
        return out;
    }
}
