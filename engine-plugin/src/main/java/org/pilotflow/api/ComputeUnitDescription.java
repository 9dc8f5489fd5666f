package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pilotflow.model.wire.StagingDirective;

/**
 * One task (RADICAL-Pilot's {@code ComputeUnitDescription}). Immutable; build it with {@link #builder()}.
 * {@code executable} and {@code arguments} form an argv that is never parsed by a shell; to use a shell, make it
 * the executable ({@code /bin/sh}, arguments {@code -c}, the command line). {@code preExec}/{@code postExec} are
 * shell command lines run in the unit sandbox before and after the executable (as in RADICAL-Pilot).
 *
 * @param timeout     the unit is killed and FAILED after this long; null for no limit
 * @param restartable when its pilot is lost, run the unit again on another pilot instead of failing it
 * @param pilot       pin the unit to this pilot uid
 * @param mpi         an MPI program: {@code cores} are its ranks, which may span the pilot's nodes; it is started
 *                    by the first MPI-capable launch method of the resource (MPIEXEC, MPIRUN, SRUN)
 * @param cpuProcesses RADICAL-Pilot's {@code cpu_processes}: the ranks of an MPI unit (then {@code cores} equals
 *                    it); 0 when not given
 * @param cpuThreads  RADICAL-Pilot's {@code cpu_threads}: threads of a one-process unit (then {@code cores}
 *                    equals it); the unit gets {@code OMP_NUM_THREADS}; 0 when not given
 * @param tags        scheduling tags; {@code colocate}: units with the same value run on the same node of their
 *                    pilot (the node the first of them got); the engine does not bind by tag, so with several
 *                    pilots pin such units to one with {@code pilot}
 * @param metadata    the application's own data about the unit, kept with it and never interpreted
 * @param sandbox     the unit sandbox's name below the pilot sandbox (a relative path of plain names); units
 *                    naming the same one on the same pilot share it; null for the unit's uid
 * @param priority    higher runs first among the units waiting for cores on a pilot; 0 by default
 * @param memoryMb    the most memory (MiB of {@code pss + swap}, the unit's processes together) the unit may use:
 *                    its agent kills it beyond that (FAILED, naming limit and peak); 0 for no limit. Memory is
 *                    sampled at the engine's {@code memorySampleInterval}, so a shorter peak can pass unseen
 * @param inputStaging  RADICAL-Pilot's {@code input_staging}: directives the agent carries out, in order, before the
 *                      unit runs (a relative source is on the client, a relative target in the unit sandbox);
 *                      stored resolved ({@link StagingDirective#resolved}). COPY, LINK, MOVE (and TRANSFER) between
 *                      {@code resource://}, {@code session://}, {@code pilot://} and {@code unit://} are the agent's;
 *                      a TRANSFER or TARBALL from {@code client://} (this machine, relative to the engine's working
 *                      directory) is the engine's, before the agent gets the unit (the unit process's "Transfer input
 *                      from the client", a Camunda job: copied locally, over SFTP on the pilot's SSH connection for a
 *                      remote resource)
 * @param outputStaging RP's {@code output_staging}: carried out after the unit ran (a relative source is in the unit
 *                      sandbox); a TRANSFER or TARBALL to {@code client://} is the engine's, after the agent's own
 *                      directives (the unit stays STAGING_OUTPUT until its files arrived); after DONE, or also after FAILED or CANCELED with {@code stageOnError}
 * @param stageOnError  RP's {@code stage_on_error}: output staging also after the unit FAILED or was CANCELED
 * @param inputData     BigJob's {@code input_data}: uids of READY data units whose files are linked into the unit
 *                      sandbox (from the replica the unit's pilot reaches) before the unit runs; the unit manager
 *                      places the unit on a pilot that reaches a replica of each, preferring the data's affinity
 * @param outputData    BigJob's {@code output_data}: after the unit ran DONE, the sandbox files matching each
 *                      entry's patterns are added to its data unit (see {@link OutputData})
 * @param function      a function unit (RP's {@code mode = TASK_FUNCTION}, RAPTOR): the fully qualified name of a
 *                      class implementing {@code org.pilotflow.function.PilotFunction} (artifact
 *                      {@code pilotflow-function-api}), run by the agent in a worker thread instead of as a process;
 *                      {@code executable} must then be null. Its cores come from the pilot's slots like any unit's, on
 *                      the agent's node; {@code arguments}, {@code environment}, {@code timeout}, cancel and staging
 *                      work as for a process; {@code memoryMb}, {@code mpi}, {@code preExec}, {@code postExec} and
 *                      the {@code colocate} tag are refused (a thread of the agent's JVM has no memory of its own)
 * @param functionJars  the jars {@code function} is loaded from (with its dependencies): absolute paths on the
 *                      resource, or paths relative to the pilot sandbox (plain names, no {@code ..}); like staging
 *                      sources, they must lie under the resource's sandbox root or its {@code valid_roots}
 */
public record ComputeUnitDescription(
        String name,
        String executable,
        List<String> arguments,
        Map<String, String> environment,
        int cores,
        int gpus,
        List<String> preExec,
        List<String> postExec,
        String stdout,
        String stderr,
        Duration timeout,
        boolean restartable,
        String pilot,
        boolean mpi,
        int cpuProcesses,
        int cpuThreads,
        Map<String, String> tags,
        Map<String, String> metadata,
        String sandbox,
        int priority,
        long memoryMb,
        List<StagingDirective> inputStaging,
        List<StagingDirective> outputStaging,
        boolean stageOnError,
        List<String> inputData,
        List<OutputData> outputData,
        String function,
        List<String> functionJars) {

    /** The tags a unit may carry. */
    public static final java.util.Set<String> TAGS = java.util.Set.of("colocate");

    @JsonCreator
    public ComputeUnitDescription(@JsonProperty("name") String name,
                                  @JsonProperty("executable") String executable,
                                  @JsonProperty("arguments") List<String> arguments,
                                  @JsonProperty("environment") Map<String, String> environment,
                                  @JsonProperty("cores") int cores,
                                  @JsonProperty("gpus") int gpus,
                                  @JsonProperty("preExec") List<String> preExec,
                                  @JsonProperty("postExec") List<String> postExec,
                                  @JsonProperty("stdout") String stdout,
                                  @JsonProperty("stderr") String stderr,
                                  @JsonProperty("timeout") Duration timeout,
                                  @JsonProperty("restartable") boolean restartable,
                                  @JsonProperty("pilot") String pilot,
                                  @JsonProperty("mpi") boolean mpi,
                                  @JsonProperty("cpuProcesses") int cpuProcesses,
                                  @JsonProperty("cpuThreads") int cpuThreads,
                                  @JsonProperty("tags") Map<String, String> tags,
                                  @JsonProperty("metadata") Map<String, String> metadata,
                                  @JsonProperty("sandbox") String sandbox,
                                  @JsonProperty("priority") int priority,
                                  @JsonProperty("memoryMb") long memoryMb,
                                  @JsonProperty("inputStaging") List<StagingDirective> inputStaging,
                                  @JsonProperty("outputStaging") List<StagingDirective> outputStaging,
                                  @JsonProperty("stageOnError") boolean stageOnError,
                                  @JsonProperty("inputData") List<String> inputData,
                                  @JsonProperty("outputData") List<OutputData> outputData,
                                  @JsonProperty("function") String function,
                                  @JsonProperty("functionJars") List<String> functionJars) {
        // checked before the copies: List.copyOf and Map.copyOf throw a bare NullPointerException on a null entry
        checkEntries("arguments", arguments);
        checkEntries("preExec", preExec);
        checkEntries("postExec", postExec);
        checkEntries("functionJars", functionJars);
        checkEnvironment(environment);
        checkMap("tags", tags);
        checkMap("metadata", metadata);
        this.name = name;
        this.executable = executable;
        this.arguments = arguments == null ? List.of() : List.copyOf(arguments);
        this.environment = environment == null ? Map.of() : Map.copyOf(environment);
        this.cores = cores;
        this.gpus = gpus;
        this.preExec = preExec == null ? List.of() : List.copyOf(preExec);
        this.postExec = postExec == null ? List.of() : List.copyOf(postExec);
        this.stdout = stdout == null ? "STDOUT" : stdout;
        this.stderr = stderr == null ? "STDERR" : stderr;
        this.timeout = timeout;
        this.restartable = restartable;
        this.pilot = pilot;
        this.mpi = mpi;
        this.cpuProcesses = cpuProcesses;
        this.cpuThreads = cpuThreads;
        this.tags = tags == null ? Map.of() : Map.copyOf(tags);
        this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        this.sandbox = sandbox;
        this.priority = priority;
        this.memoryMb = memoryMb;
        this.inputStaging = resolve("inputStaging", inputStaging, StagingDirective.Direction.INPUT);
        this.outputStaging = resolve("outputStaging", outputStaging, StagingDirective.Direction.OUTPUT);
        this.stageOnError = stageOnError;
        this.inputData = dataUids(inputData);
        this.outputData = outputData(outputData);
        this.function = function;
        this.functionJars = functionJars == null ? List.of() : List.copyOf(functionJars);
        validate("");
    }

    /** The description as it was before data units (kept for code that builds one by its components). */
    public ComputeUnitDescription(String name, String executable, List<String> arguments,
                                  Map<String, String> environment, int cores, int gpus, List<String> preExec,
                                  List<String> postExec, String stdout, String stderr, Duration timeout,
                                  boolean restartable, String pilot, boolean mpi, int cpuProcesses, int cpuThreads,
                                  Map<String, String> tags, Map<String, String> metadata, String sandbox,
                                  int priority, long memoryMb, List<StagingDirective> inputStaging,
                                  List<StagingDirective> outputStaging, boolean stageOnError) {
        this(name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr, timeout,
                restartable, pilot, mpi, cpuProcesses, cpuThreads, tags, metadata, sandbox, priority, memoryMb,
                inputStaging, outputStaging, stageOnError, null, null, null, null);
    }

    private static List<String> dataUids(List<String> uids) {
        if (uids == null) {
            return List.of();
        }
        for (int i = 0; i < uids.size(); i++) {
            String u = uids.get(i);
            if (u == null || u.isBlank() || u.length() > 100 || u.indexOf('\0') >= 0) {
                throw new BadParameter("inputData[" + i + "]", u, "the uid of a data unit");
            }
        }
        if (new java.util.HashSet<>(uids).size() != uids.size()) {
            throw new BadParameter("inputData", uids, "each data unit once");
        }
        return List.copyOf(uids);
    }

    private static List<OutputData> outputData(List<OutputData> entries) {
        if (entries == null) {
            return List.of();
        }
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) == null) {
                throw new BadParameter("outputData[" + i + "]", null, "an OutputData (a list without null entries)");
            }
            entries.get(i).validate("outputData[" + i + "]");
            // one entry per data unit: each entry's files are added to the data unit's list as it stood before the
            // unit ended, so a second entry for the same data unit would drop the first one's files from that list
            for (int j = 0; j < i; j++) {
                if (entries.get(j).dataUnit().equals(entries.get(i).dataUnit())) {
                    throw new BadParameter("outputData[" + i + "].dataUnit", entries.get(i).dataUnit(),
                            "a data unit no earlier entry names (outputData[" + j + "] does: put all its patterns "
                                    + "in one entry)");
                }
            }
        }
        return List.copyOf(entries);
    }

    /**
     * The most characters a description's strings may hold in all (executable, arguments, environment, preExec,
     * postExec, names): a unit is a row of the engine's database and a process's argv and environment, so a
     * description this large is a mistake (put bulk data in a file and stage it).
     */
    public static final int MAX_TEXT_CHARS = 128 * 1024;

    /** The largest memory limit a unit may name: 1 PiB in MiB (larger is a typo, and bytes would overflow). */
    public static final long MAX_MEMORY_MB = 1L << 30;

    /**
     * The checks every description passes, also one read back from the database: the shape of its fields. The
     * limits a new submission must also meet are in {@link #checkLimits}.
     */
    void validate(String prefix) {
        if (function != null) {
            checkFunction(prefix);
        } else if (executable == null || executable.isBlank()) {
            throw new BadParameter(prefix + "executable", executable, "a program path or name (or a function)");
        }
        if (cores <= 0) {
            throw new BadParameter(prefix + "cores", cores, "an integer > 0");
        }
        if (gpus < 0) {
            throw new BadParameter(prefix + "gpus", gpus, "an integer >= 0");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new BadParameter(prefix + "timeout", timeout, "a positive duration, or null for no limit");
        }
        checkLayout(prefix);
        if (memoryMb < 0 || memoryMb > MAX_MEMORY_MB) {
            throw new BadParameter(prefix + "memoryMb", memoryMb, "MiB between 1 and " + MAX_MEMORY_MB
                    + " (1 PiB), or 0 for no limit");
        }
        for (String tag : tags.keySet()) {
            if (!TAGS.contains(tag)) {
                throw new BadParameter(prefix + "tags", tag, "one of " + TAGS);
            }
        }
        if (sandbox != null && !isRelativeSandbox(sandbox)) {
            throw new BadParameter(prefix + "sandbox", sandbox, "a relative path of plain names below the pilot "
                    + "sandbox (no '..', '.', empty parts or NUL; at most 255 characters), or null for the unit uid");
        }
        checkFileName(prefix + "stdout", stdout);
        checkFileName(prefix + "stderr", stderr);
        for (String key : environment.keySet()) {
            if (key.isEmpty() || key.contains("=")) {
                throw new BadParameter(prefix + "environment", key, "variable names that are not empty, without "
                        + "'=' or NUL");
            }
        }
    }

    /** A function unit's own fields, and the process-only fields it must leave unset. */
    private void checkFunction(String prefix) {
        if (executable != null) {
            throw new BadParameter(prefix + "executable", executable, "null for a function unit (executable and "
                    + "function are mutually exclusive: function " + function + " is set)");
        }
        if (!isClassName(function)) {
            throw new BadParameter(prefix + "function", function, "a fully qualified Java class name, e.g. "
                    + "com.example.MyFunction (dot-separated identifiers; a nested class as Outer$Inner)");
        }
        if (functionJars.isEmpty()) {
            throw new BadParameter(prefix + "functionJars", functionJars, "at least one jar holding " + function
                    + " (absolute on the resource, or relative to the pilot sandbox)");
        }
        for (int i = 0; i < functionJars.size(); i++) {
            String jar = functionJars.get(i);
            if (!isJarPath(jar)) {
                throw new BadParameter(prefix + "functionJars[" + i + "]", jar, "an absolute path on the resource, "
                        + "or a relative path of plain names below the pilot sandbox (no '..', '.', empty parts or "
                        + "NUL; at most 4096 characters)");
            }
        }
        if (mpi) {
            throw new BadParameter(prefix + "mpi", true, "false for a function unit (it runs as a thread of the "
                    + "agent, on the agent's node)");
        }
        if (!preExec.isEmpty()) {
            throw new BadParameter(prefix + "preExec", preExec, "none for a function unit (no process runs: put "
                    + "the preparation in the function, or in input staging)");
        }
        if (!postExec.isEmpty()) {
            throw new BadParameter(prefix + "postExec", postExec, "none for a function unit (no process runs: put "
                    + "the work in the function, or in output staging)");
        }
        if (memoryMb != 0) {
            throw new BadParameter(prefix + "memoryMb", memoryMb, "0 for a function unit (it shares the agent's "
                    + "JVM heap: a limit per function cannot be enforced; run it as a process unit to have one)");
        }
        if (tags.containsKey("colocate")) {
            throw new BadParameter(prefix + "tags", "colocate", "no colocate tag for a function unit (function "
                    + "units always run on the agent's node)");
        }
    }

    /** Dot-separated Java identifiers (a binary name: {@code $} for nested classes is an identifier character). */
    static boolean isClassName(String name) {
        if (name == null || name.isEmpty() || name.length() > 1024) {
            return false;
        }
        for (String part : name.split("\\.", -1)) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.codePointAt(0))) {
                return false;
            }
            for (int i = 0; i < part.length(); i = part.offsetByCodePoints(i, 1)) {
                if (!Character.isJavaIdentifierPart(part.codePointAt(i)) || Character.isIdentifierIgnorable(
                        part.codePointAt(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isJarPath(String path) {
        if (path.isBlank() || path.length() > 4096 || path.indexOf('\0') >= 0) {
            return false;
        }
        if (path.startsWith("/")) {
            return !path.equals("/");
        }
        for (String part : path.split("/", -1)) {
            if (part.isBlank() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * What a new unit must also meet, beyond {@link #validate}'s shape (the builder and
     * {@link UnitManager#submitUnits} check it; a description stored by an older version and read back is not held
     * to it): no NUL where it would cut a string short in argv, the environment or a file name, file names of at
     * most 255 characters, and at most {@link #MAX_TEXT_CHARS} characters of text in all.
     *
     * @param prefix names the list position in the field, e.g. {@code units[3].}
     */
    public void checkLimits(String prefix) {
        noNul(prefix + "executable", executable);
        noNul(prefix + "name", name);
        noNul(prefix + "pilot", pilot);
        checkFileNameLength(prefix + "stdout", stdout);
        checkFileNameLength(prefix + "stderr", stderr);
        TextSize size = new TextSize();
        size.add(prefix + "name", name);
        size.add(prefix + "executable", executable);
        size.add(prefix + "pilot", pilot);
        size.add(prefix + "stdout", stdout);
        size.add(prefix + "stderr", stderr);
        size.add(prefix + "sandbox", sandbox);
        size.add(prefix + "function", function);
        listChars(prefix + "functionJars", functionJars, size);
        mapChars(prefix + "tags", tags, size);
        mapChars(prefix + "metadata", metadata, size);
        listChars(prefix + "arguments", arguments, size);
        listChars(prefix + "preExec", preExec, size);
        listChars(prefix + "postExec", postExec, size);
        for (int i = 0; i < inputStaging.size(); i++) {
            size.add(prefix + "inputStaging[" + i + "].source", inputStaging.get(i).source());
            size.add(prefix + "inputStaging[" + i + "].target", inputStaging.get(i).target());
        }
        for (int i = 0; i < outputStaging.size(); i++) {
            size.add(prefix + "outputStaging[" + i + "].source", outputStaging.get(i).source());
            size.add(prefix + "outputStaging[" + i + "].target", outputStaging.get(i).target());
        }
        for (Map.Entry<String, String> e : environment.entrySet()) {
            String key = e.getKey();
            if (key.indexOf('\0') >= 0) {
                throw new BadParameter(prefix + "environment", key, "variable names that are not empty, "
                        + "without '=' or NUL");
            }
            if (e.getValue().indexOf('\0') >= 0) { // the value may be a secret: named, not shown
                throw new BadParameter(prefix + "environment[" + key + "]", "(a value of " + e.getValue().length()
                        + " characters, not shown)", "text without NUL characters");
            }
            size.add(prefix + "environment", key);
            size.add(prefix + "environment[" + key + "]", e.getValue());
        }
        if (size.total > MAX_TEXT_CHARS) {
            // named by its largest string: that is the one to move into a file (an environment value, maybe a
            // secret, by its length only)
            Object shown = size.largestField.contains("environment[")
                    ? "(a value of " + size.largestValue.length() + " characters, not shown)" : size.largestValue;
            throw new BadParameter(size.largestField, shown, "a description of at most "
                    + MAX_TEXT_CHARS + " characters in all its strings, not " + size.total + " (put bulk data in a "
                    + "file)");
        }
    }

    /** The characters of a description's strings, and which field holds the largest. */
    private static final class TextSize {
        long total;
        String largestField;
        String largestValue = "";

        void add(String field, String value) {
            if (value != null) {
                total += value.length();
                if (value.length() >= largestValue.length()) {
                    largestField = field;
                    largestValue = value;
                }
            }
        }
    }

    /**
     * RADICAL-Pilot's process/thread layout, as far as PilotFlow launches it: an MPI unit's ranks
     * ({@code cpuProcesses}, one core each), or one process with {@code cpuThreads} threads.
     */
    private void checkLayout(String prefix) {
        if (cpuProcesses < 0) {
            throw new BadParameter(prefix + "cpuProcesses", cpuProcesses, "an integer >= 1, or 0 when not given");
        }
        if (cpuThreads < 0) {
            throw new BadParameter(prefix + "cpuThreads", cpuThreads, "an integer >= 1, or 0 when not given");
        }
        if (cpuProcesses > 1 && !mpi) {
            throw new BadParameter(prefix + "cpuProcesses", cpuProcesses, "1 for a non-MPI unit (several processes"
                    + " are an MPI unit's ranks: set mpi)");
        }
        if (cpuThreads > 1 && mpi) {
            throw new BadParameter(prefix + "cpuThreads", cpuThreads, "1 for an MPI unit (ranks with several "
                    + "threads each are not supported yet: use cores = ranks and start threads yourself)");
        }
        int layout = Math.max(1, cpuProcesses) * Math.max(1, cpuThreads);
        if ((cpuProcesses > 0 || cpuThreads > 0) && cores != layout) {
            throw new BadParameter(prefix + "cores", cores, layout + " (cpuProcesses x cpuThreads), or leave cores "
                    + "unset");
        }
    }

    private static boolean isRelativeSandbox(String name) {
        if (name.isEmpty() || name.length() > 255 || name.startsWith("/") || name.indexOf('\0') >= 0) {
            return false;
        }
        for (String part : name.split("/", -1)) {
            if (part.isBlank() || part.equals(".") || part.equals("..")) { // as the agent's rule
                return false;
            }
        }
        return true;
    }

    /**
     * Directives checked for their list and written out ({@link StagingDirective#resolved}); a bad one is a
     * BadParameter naming it, e.g. {@code inputStaging[1].action}.
     */
    static List<StagingDirective> resolve(String field, List<StagingDirective> directives,
                                          StagingDirective.Direction direction) {
        if (directives == null) {
            return List.of();
        }
        List<StagingDirective> out = new java.util.ArrayList<>(directives.size());
        for (int i = 0; i < directives.size(); i++) {
            StagingDirective d = directives.get(i);
            if (d == null) {
                throw new BadParameter(field + "[" + i + "]", null, "a staging directive (a list without null "
                        + "entries)");
            }
            try {
                out.add(d.resolved(field + "[" + i + "]", direction));
            } catch (StagingDirective.Invalid e) {
                throw new BadParameter(e.field(), e.value(), e.expected(), e);
            }
        }
        return List.copyOf(out);
    }

    /** RP's string shorthand ({@code "a > b"}, {@code "b < a"}, {@code "a"}), parsed; errors name the entry. */
    static List<StagingDirective> parse(String field, List<String> shorthand) {
        if (shorthand == null) {
            return null;
        }
        List<StagingDirective> out = new java.util.ArrayList<>(shorthand.size());
        for (int i = 0; i < shorthand.size(); i++) {
            try {
                out.add(StagingDirective.parse(field + "[" + i + "]", shorthand.get(i)));
            } catch (StagingDirective.Invalid e) {
                throw new BadParameter(e.field(), e.value(), e.expected(), e);
            }
        }
        return out;
    }

    private static void checkMap(String field, Map<String, String> values) {
        if (values != null) {
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new BadParameter(e.getKey() == null ? field : field + "[" + e.getKey() + "]", null,
                            "names and values that are strings, not null");
                }
            }
        }
    }

    private static void mapChars(String field, Map<String, String> values, TextSize size) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            noNul(field, e.getKey());
            noNul(field + "[" + e.getKey() + "]", e.getValue());
            size.add(field, e.getKey());
            size.add(field + "[" + e.getKey() + "]", e.getValue());
        }
    }

    private static void checkEntries(String field, List<String> values) {
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i) == null) {
                    throw new BadParameter(field + "[" + i + "]", null, "a string (a list without null entries)");
                }
            }
        }
    }

    private static void checkEnvironment(Map<String, String> environment) {
        if (environment != null) {
            for (Map.Entry<String, String> e : environment.entrySet()) {
                if (e.getKey() == null) {
                    throw new BadParameter("environment", null, "variable names that are not null");
                }
                if (e.getValue() == null) {
                    throw new BadParameter("environment[" + e.getKey() + "]", null,
                            "a string value (null is not a value; leave the variable out instead)");
                }
            }
        }
    }

    private static void listChars(String field, List<String> values, TextSize size) {
        for (int i = 0; i < values.size(); i++) {
            noNul(field + "[" + i + "]", values.get(i));
            size.add(field + "[" + i + "]", values.get(i));
        }
    }

    /** A NUL cannot pass through argv, the environment or a file name: it would end the string early there. */
    static void noNul(String field, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw new BadParameter(field, value, "text without NUL characters");
        }
    }

    // output files stay inside the unit sandbox
    private static void checkFileName(String field, String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new BadParameter(field, name, "a plain file name inside the unit sandbox (no '/' or NUL, not "
                    + "'..', at most 255 characters)");
        }
    }

    private static void checkFileNameLength(String field, String name) {
        noNul(field, name);
        if (name.length() > 255) {
            throw new BadParameter(field, name, "a plain file name inside the unit sandbox (no '/' or NUL, not "
                    + "'..', at most 255 characters)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. Cores default to 1. */
    public static final class Builder {
        private String name;
        private String executable;
        private List<String> arguments = List.of();
        private Map<String, String> environment = Map.of();
        private int cores = 1;
        private int gpus;
        private List<String> preExec = List.of();
        private List<String> postExec = List.of();
        private String stdout;
        private String stderr;
        private Duration timeout;
        private boolean restartable;
        private String pilot;
        private boolean mpi;
        private boolean coresGiven;
        private int cpuProcesses;
        private int cpuThreads;
        private Map<String, String> tags = Map.of();
        private Map<String, String> metadata = Map.of();
        private String sandbox;
        private int priority;
        private long memoryMb;
        private List<StagingDirective> inputStaging = List.of();
        private List<StagingDirective> outputStaging = List.of();
        private List<String> inputData = List.of();
        private List<OutputData> outputData = List.of();
        private boolean stageOnError;
        private String function;
        private List<String> functionJars = List.of();

        public Builder name(String v) { name = v; return this; }
        public Builder executable(String v) { executable = v; return this; }
        public Builder arguments(List<String> v) { arguments = v; return this; }
        public Builder arguments(String... v) { arguments = v == null ? null : java.util.Arrays.asList(v.clone()); return this; }
        public Builder environment(Map<String, String> v) { environment = v; return this; }
        public Builder cores(int v) { cores = v; coresGiven = true; return this; }
        public Builder gpus(int v) { gpus = v; return this; }
        public Builder preExec(List<String> v) { preExec = v; return this; }
        public Builder postExec(List<String> v) { postExec = v; return this; }
        public Builder stdout(String v) { stdout = v; return this; }
        public Builder stderr(String v) { stderr = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder restartable(boolean v) { restartable = v; return this; }
        public Builder pilot(String v) { pilot = v; return this; }
        public Builder mpi(boolean v) { mpi = v; return this; }
        /** RP's {@code cpu_processes}: an MPI unit's ranks; {@code cores} follows unless set. */
        public Builder cpuProcesses(int v) { cpuProcesses = v; return this; }
        /** RP's {@code cpu_threads}: threads of a one-process unit; {@code cores} follows unless set. */
        public Builder cpuThreads(int v) { cpuThreads = v; return this; }
        /** RP's {@code gpu_processes}: the GPUs the unit gets (the same as {@link #gpus}). */
        public Builder gpuProcesses(int v) { gpus = v; return this; }
        public Builder tags(Map<String, String> v) { tags = v; return this; }
        /** Shorthand for {@code tags(Map.of("colocate", name))}. */
        public Builder colocate(String name) { tags = Map.of("colocate", name); return this; }
        public Builder metadata(Map<String, String> v) { metadata = v; return this; }
        public Builder sandbox(String v) { sandbox = v; return this; }
        public Builder priority(int v) { priority = v; return this; }
        /** The memory limit in MiB ({@code pss + swap} of the unit's processes); 0 for none. */
        public Builder memoryMb(long v) { memoryMb = v; return this; }
        /** RP's {@code input_staging}: directives carried out before the unit runs. */
        public Builder inputStaging(List<StagingDirective> v) { inputStaging = v; return this; }
        /** Input staging in RP's shorthand: {@code "pilot:///in.dat > in.dat"}, {@code "pilot:///in.dat"}. */
        public Builder inputStaging(String... v) { inputStaging = parse("inputStaging", v == null ? null : java.util.Arrays.asList(v)); return this; }
        /** RP's {@code output_staging}: directives carried out after the unit ran. */
        public Builder outputStaging(List<StagingDirective> v) { outputStaging = v; return this; }
        /** BigJob's {@code input_data}: data unit uids linked into the unit sandbox. */
        public Builder inputData(String... uids) { inputData = uids == null ? null : java.util.Arrays.asList(uids); return this; }
        public Builder inputData(List<String> uids) { inputData = uids; return this; }
        /** BigJob's {@code output_data}: sandbox files matching patterns go to data units after DONE. */
        public Builder outputData(OutputData... v) { outputData = v == null ? null : java.util.Arrays.asList(v); return this; }
        public Builder outputData(List<OutputData> v) { outputData = v; return this; }
        /** Output staging in RP's shorthand: {@code "result.dat > pilot:///results/"}. */
        public Builder outputStaging(String... v) { outputStaging = parse("outputStaging", v == null ? null : java.util.Arrays.asList(v)); return this; }
        /** RP's {@code stage_on_error}: output staging also after the unit FAILED or was CANCELED. */
        public Builder stageOnError(boolean v) { stageOnError = v; return this; }
        /** A function unit: the class (implementing {@code org.pilotflow.function.PilotFunction}) the agent runs. */
        public Builder function(String className) { function = className; return this; }
        /** The jars the function is loaded from: absolute on the resource, or relative to the pilot sandbox. */
        public Builder functionJars(List<String> v) { functionJars = v; return this; }
        public Builder functionJars(String... v) { functionJars = v == null ? null : java.util.Arrays.asList(v.clone()); return this; }

        public ComputeUnitDescription build() {
            int c = cores;
            if (!coresGiven && (cpuProcesses > 0 || cpuThreads > 0)) {
                c = Math.max(1, cpuProcesses) * Math.max(1, cpuThreads);
            }
            ComputeUnitDescription d = new ComputeUnitDescription(name, executable, arguments, environment, c, gpus,
                    preExec, postExec, stdout, stderr, timeout, restartable, pilot, mpi, cpuProcesses, cpuThreads,
                    tags, metadata, sandbox, priority, memoryMb, inputStaging, outputStaging, stageOnError,
                    inputData, outputData, function, functionJars);
            d.checkLimits("");
            return d;
        }
    }
}
