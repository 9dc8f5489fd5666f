package org.pilotflow.resource.shell;

import java.util.List;

/**
 * The outcome of a command run by a {@link ResourceShell}.
 *
 * @param argv     what was run (for messages)
 * @param exitCode the command's exit status
 * @param stdout   its standard output
 * @param stderr   its standard error
 */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {

    public CommandResult {
        argv = List.copyOf(argv);
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }

    public boolean ok() {
        return exitCode == 0;
    }

    /**
     * The command's own words for a failure: its stderr (or stdout when stderr is empty), trimmed to one
     * paragraph, e.g. {@code sbatch: error: invalid partition specified: nosuch}.
     */
    public String message() {
        String text = !stderr.isBlank() ? stderr : stdout;
        text = text.strip();
        return text.length() > 2000 ? text.substring(0, 2000) + " ..." : text;
    }

    /** {@code 'sbatch' exited with 1: sbatch: error: ...}, for error messages. */
    public String describe() {
        String m = message();
        return "'" + argv.get(0) + "' exited with " + exitCode + (m.isEmpty() ? "" : ": " + m);
    }
}
