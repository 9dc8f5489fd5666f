package org.pilotflow.resource.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.shell.ShellQuote;

/**
 * A pilot's batch job script, the same shape for every batch system:
 *
 * <pre>
 * #!/bin/sh
 * &lt;prefix&gt; &lt;directive&gt;            one per line, e.g. "#SBATCH --ntasks=2" or "#$ -pe smp 2"
 * # PilotFlow pilot &lt;id&gt;: ...         what the script is (one comment line)
 * &lt;setup lines&gt;                     the system's own, e.g. "unset SLURM_EXPORT_ENV"
 * &lt;pre_bootstrap lines&gt;             the resource's, verbatim
 * exec &lt;agent argv&gt; &gt;&gt; &lt;sandbox&gt;/agent.log 2&gt;&amp;1
 * </pre>
 *
 * The agent argv is quoted with {@link ShellQuote}; directives cannot be quoted portably (sbatch and qsub parse
 * them with their own rules), so their words are checked instead and a value with whitespace, quotes, a
 * backslash or a control character is refused. Nothing secret goes into the script: the pilot secret is in
 * agent.json (mode 0600), and the script exports no environment of the engine.
 */
public final class JobScript {

    private static final Pattern DIRECTIVE_WORD = Pattern.compile("[^\\s'\"\\\\\\p{Cntrl}]+");

    private final String prefix;
    private final List<String> directives = new ArrayList<>();
    private final List<String> setup = new ArrayList<>();

    private JobScript(String prefix) {
        this.prefix = prefix;
    }

    /** A script whose directives start with {@code prefix}, e.g. {@code #SBATCH} or {@code #$}. */
    public static JobScript withDirectivePrefix(String prefix) {
        return new JobScript(prefix);
    }

    /**
     * Adds a directive line of these words, e.g. {@code ("--ntasks=2")} or {@code ("-pe", "smp", "2")}.
     *
     * @throws IllegalArgumentException for a word a directive cannot carry, naming it
     */
    public JobScript directive(String... words) {
        for (String w : words) {
            if (w.isEmpty() || !DIRECTIVE_WORD.matcher(w).matches()) {
                throw new IllegalArgumentException("'" + w + "' cannot be written into a " + prefix
                        + " directive of the job script (no whitespace, quotes, backslashes or control characters)");
            }
        }
        directives.add(prefix + " " + String.join(" ", words));
        return this;
    }

    /** Adds a shell line that runs before the resource's pre_bootstrap lines. */
    public JobScript setup(String line) {
        setup.add(line);
        return this;
    }

    /** The script for {@code launch}, whose agent was staged as {@code staged}. */
    public String render(PilotLaunch launch, AgentStaging.Staged staged) {
        StringBuilder sb = new StringBuilder("#!/bin/sh\n");
        directives.forEach(d -> sb.append(d).append('\n'));
        sb.append("# PilotFlow pilot ").append(launch.pilotId()).append(": starts its agent (log: ")
                .append(AgentStaging.AGENT_LOG).append("); the pilot secret is in ").append(AgentStaging.AGENT_CONFIG)
                .append(" (0600), not here\n");
        setup.forEach(l -> sb.append(l).append('\n'));
        launch.resource().preBootstrap().forEach(l -> sb.append(l).append('\n'));
        sb.append("exec ").append(ShellQuote.join(staged.agentArgv()))
                .append(" >> ").append(ShellQuote.quote(staged.file(AgentStaging.AGENT_LOG))).append(" 2>&1\n");
        return sb.toString();
    }
}
