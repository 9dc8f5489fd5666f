package org.pilotflow.resource.slurm;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the output of sbatch, squeue, scontrol and sacct as PilotFlow calls them. */
final class SlurmOutput {

    /** {@code 4711} or {@code 4711;cluster}: {@code sbatch --parsable}. */
    private static final Pattern SBATCH = Pattern.compile("(\\d+)(;\\S*)?");
    /** A key of {@code scontrol show job -o} output: a word followed by '=' after a space. */
    private static final Pattern SCONTROL_KEY = Pattern.compile("(?:^| )([A-Za-z][A-Za-z0-9_/:.]*)=");

    private SlurmOutput() {
    }

    /** The job id in {@code sbatch --parsable} output (the last non-blank line; the cluster suffix dropped). */
    static Optional<String> sbatchJobId(String stdout) {
        String[] lines = stdout.strip().split("\n");
        Matcher m = SBATCH.matcher(lines[lines.length - 1].strip());
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The jobs of {@code squeue -h -o '%i|%T|%r'} output, by id. */
    static Map<String, SlurmJob> squeue(String stdout) {
        Map<String, SlurmJob> out = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            String[] f = line.strip().split("\\|", 3);
            if (f.length == 3 && !f[0].isEmpty()) {
                out.put(f[0], new SlurmJob(f[0], f[1], f[2], ""));
            }
        }
        return out;
    }

    /**
     * The job of {@code scontrol show job -o <id>} output (one line of {@code Key=Value} pairs; a value such as a
     * pending reason may contain spaces), or empty when it names none.
     */
    static Optional<SlurmJob> scontrol(String stdout) {
        Map<String, String> kv = new LinkedHashMap<>();
        String line = stdout.strip();
        int nl = line.indexOf('\n');
        if (nl >= 0) {
            line = line.substring(0, nl);
        }
        Matcher m = SCONTROL_KEY.matcher(line);
        String key = null;
        int valueStart = 0;
        while (m.find()) {
            if (key != null) {
                kv.putIfAbsent(key, line.substring(valueStart, m.start()).strip());
            }
            key = m.group(1);
            valueStart = m.end();
        }
        if (key != null) {
            kv.putIfAbsent(key, line.substring(valueStart).strip());
        }
        String id = kv.get("JobId");
        String state = kv.get("JobState");
        if (id == null || state == null) {
            return Optional.empty();
        }
        return Optional.of(new SlurmJob(id, state, kv.getOrDefault("Reason", ""), kv.getOrDefault("ExitCode", "")));
    }

    /**
     * The jobs of {@code sacct -n -X -P -o JobID,State,ExitCode,Reason} output, by id. When an id appears more
     * than once (a jobcomp file that outlived a reset of the job ids), the last record wins.
     */
    static Map<String, SlurmJob> sacct(String stdout) {
        Map<String, SlurmJob> out = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            String[] f = line.strip().split("\\|", -1);
            if (f.length >= 3 && !f[0].isEmpty()) {
                out.put(f[0], new SlurmJob(f[0], f[1], f.length > 3 ? f[3] : "", f[2]));
            }
        }
        return out;
    }
}
