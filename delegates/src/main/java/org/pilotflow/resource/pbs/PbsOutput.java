package org.pilotflow.resource.pbs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the output of qsub, qstat -f -F json and qselect as PilotFlow calls them. */
final class PbsOutput {

    /** {@code 1234.pbs-server} (the server's name after the dot; Torque may print the full domain). */
    private static final Pattern JOB_ID = Pattern.compile("\\d+(\\.[A-Za-z0-9._-]+)?");
    private static final Pattern UNKNOWN = Pattern.compile("(?m)^qstat: Unknown Job Id (\\S+)\\s*$");
    /**
     * Lenient: OpenPBS's {@code qstat -F json} is known to print invalid JSON (numbers with leading zeros, a
     * backslash before any character, nan/inf, a repeated attribute); the fields PilotFlow reads survive all of it.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_LEADING_ZEROS_FOR_NUMBERS, JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
                    JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /**
     * One job of {@code qstat -f -F json}.
     *
     * @param state      {@code job_state}, one letter
     * @param exitStatus {@code Exit_status} of a finished job, or null
     * @param comment    the server's {@code comment}, or ""
     */
    record PbsJob(String id, String state, Integer exitStatus, String comment) { }

    private PbsOutput() {
    }

    /** The job id qsub prints ({@code 1234.pbs-server}), its last non-blank line. */
    static Optional<String> qsubJobId(String stdout) {
        String[] lines = stdout.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        return JOB_ID.matcher(last).matches() ? Optional.of(last) : Optional.empty();
    }

    /**
     * The jobs of {@code qstat -f -F json} output, by the ids it prints.
     *
     * @throws IllegalArgumentException naming the field, its value and what was expected
     */
    static Map<String, PbsJob> qstatJson(String stdout) {
        JsonNode root;
        try {
            root = JSON.readTree(stdout);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("qstat -f -F json printed no JSON (" + e.getOriginalMessage()
                    + "): '" + head(stdout) + "'");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("qstat -f -F json printed '" + head(stdout)
                    + "', expected an object with \"Jobs\"");
        }
        JsonNode jobs = root.get("Jobs");
        Map<String, PbsJob> out = new LinkedHashMap<>();
        if (jobs == null) {
            return out; // PBS leaves "Jobs" out when it lists none
        }
        if (!jobs.isObject()) {
            throw new IllegalArgumentException("qstat -f -F json: field Jobs is " + jobs
                    + ", expected an object of job id -> attributes");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = jobs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String id = e.getKey();
            JsonNode job = e.getValue();
            JsonNode state = job.get("job_state");
            if (state == null || !state.isTextual() || state.asText().length() != 1) {
                throw new IllegalArgumentException("qstat -f -F json: field Jobs." + id + ".job_state is "
                        + state + ", expected one state letter such as \"Q\", \"R\" or \"F\"");
            }
            JsonNode exit = job.get("Exit_status");
            if (exit != null && !exit.isInt()) {
                throw new IllegalArgumentException("qstat -f -F json: field Jobs." + id + ".Exit_status is " + exit
                        + ", expected an integer");
            }
            JsonNode comment = job.get("comment");
            out.put(id, new PbsJob(id, state.asText(), exit == null ? null : exit.asInt(),
                    comment == null ? "" : comment.asText()));
        }
        return out;
    }

    /** The job {@code id} in a listing: by its id, else by its sequence number (qsub and qstat may differ in domain). */
    static PbsJob find(Map<String, PbsJob> listed, String id) {
        PbsJob exact = listed.get(id);
        if (exact != null) {
            return exact;
        }
        String seq = sequenceNumber(id);
        return listed.values().stream().filter(j -> sequenceNumber(j.id()).equals(seq)).findFirst().orElse(null);
    }

    /** The ids qstat names in {@code qstat: Unknown Job Id <id>} lines. */
    static List<String> unknownJobIds(String stderr) {
        List<String> out = new ArrayList<>();
        Matcher m = UNKNOWN.matcher(stderr);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** One job id per line, as qselect prints them. */
    static List<String> jobIdLines(String stdout) {
        List<String> out = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty()) {
                if (!JOB_ID.matcher(l).matches()) {
                    throw new IllegalArgumentException("qselect printed '" + l + "', expected a job id such as "
                            + "1234.server");
                }
                out.add(l);
            }
        }
        return out;
    }

    /** {@code 1234} of {@code 1234.pbs-server}. */
    static String sequenceNumber(String id) {
        int dot = id.indexOf('.');
        return dot < 0 ? id : id.substring(0, dot);
    }

    private static String head(String text) {
        String t = text.strip();
        return t.length() > 200 ? t.substring(0, 200) + " ..." : t;
    }
}
