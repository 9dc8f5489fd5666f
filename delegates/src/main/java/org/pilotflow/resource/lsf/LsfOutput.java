package org.pilotflow.resource.lsf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the output of bsub and bjobs -json as PilotFlow calls them. */
final class LsfOutput {

    /** {@code Job <1234> is submitted to queue <normal>.} (or {@code to default queue <normal>.}) */
    private static final Pattern BSUB = Pattern.compile("Job <(\\d+)> is submitted to (?:default )?queue <[^>]*>");
    /** {@code Job <1234> is not found}: how bjobs names the job of an ERROR record. */
    private static final Pattern ERROR_JOB = Pattern.compile("Job <(\\d+)>");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One record of {@code bjobs -json}.
     *
     * @param stat       {@code STAT}, e.g. {@code RUN}, {@code DONE}, {@code EXIT}; null for an ERROR record
     * @param exitCode   {@code EXIT_CODE}, "" when none (a DONE job has none)
     * @param exitReason {@code EXIT_REASON}, "" when none
     * @param error      {@code ERROR} (e.g. {@code Job <7> is not found}), or null
     */
    record LsfJob(String id, String stat, String exitCode, String exitReason, String error) { }

    private LsfOutput() {
    }

    /** The job id in bsub's {@code Job <1234> is submitted to queue <normal>.} line. */
    static Optional<String> bsubJobId(String stdout) {
        Matcher m = BSUB.matcher(stdout);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The records of {@code bjobs -json} output, by job id.
     *
     * @throws IllegalArgumentException naming the field, its value and what was expected
     */
    static Map<String, LsfJob> bjobsJson(String stdout) {
        JsonNode root;
        try {
            root = JSON.readTree(stdout);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bjobs -json printed no JSON (" + e.getOriginalMessage() + "): '"
                    + head(stdout) + "'");
        }
        JsonNode records = root == null ? null : root.get("RECORDS");
        if (records == null || !records.isArray()) {
            throw new IllegalArgumentException("bjobs -json: field RECORDS is " + (records == null ? "missing"
                    : records.toString()) + ", expected a list of job records; output '" + head(stdout) + "'");
        }
        Map<String, LsfJob> out = new LinkedHashMap<>();
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = records.get(i);
            String error = text(r, "ERROR");
            String id = text(r, "JOBID");
            if (id == null && error != null) {
                Matcher m = ERROR_JOB.matcher(error);
                id = m.find() ? m.group(1) : null;
            }
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("bjobs -json: field RECORDS[" + i + "].JOBID is "
                        + r.get("JOBID") + ", expected a job id; record " + r);
            }
            String stat = text(r, "STAT");
            if (error == null && (stat == null || stat.isEmpty())) {
                throw new IllegalArgumentException("bjobs -json: field RECORDS[" + i + "].STAT of job " + id + " is "
                        + r.get("STAT") + ", expected a state such as \"RUN\" or \"DONE\"");
            }
            out.put(id, new LsfJob(id, stat, orEmpty(text(r, "EXIT_CODE")), orEmpty(text(r, "EXIT_REASON")), error));
        }
        return out;
    }

    private static String text(JsonNode record, String field) {
        JsonNode v = record.get(field);
        return v == null || v.isNull() ? null : v.asText().strip();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String head(String text) {
        String t = text.strip();
        return t.length() > 200 ? t.substring(0, 200) + " ..." : t;
    }
}
