package org.pilotflow.internal.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.camunda.bpm.engine.delegate.VariableScope;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.internal.store.Json;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.Uids;

/**
 * Builds a unit from the variables a BPMN call activity passed in (the "PilotFlow: run compute unit" element
 * template). {@link Field} is the one table of those variables: each sets the same builder method the Java API
 * uses, so a variable's value goes through the same {@link ComputeUnitDescription} checks and a bad one is
 * rejected with the same message, naming the variable. The README's table is generated from it
 * ({@code UnitVariablesDocTest}).
 */
public final class UnitFromVariables {
    private UnitFromVariables() {
    }

    /** The variable naming the unit manager that runs the unit (its uid); empty for the session's first open one. */
    public static final String VAR_UNIT_MANAGER = "unitManager";

    /** The kinds of value a variable may hold, with how each is read and what the message says is expected. */
    public enum Kind {
        TEXT("text", "text"),
        INTEGER("integer", "an integer"),
        BOOLEAN("boolean", "true or false"),
        LIST("list", "a JSON array of strings such as [\"-c\", \"echo hi\"], or a List"),
        MAP("map", "a JSON object of strings such as {\"A\": \"1\"}, or a Map"),
        DIRECTIVES("directives", "a JSON array of RADICAL-Pilot's shorthand strings such as [\"a.dat > b.dat\"] or "
                + "objects such as {\"source\": \"pilot:///in.dat\", \"action\": \"LINK\"}, or a List");

        private final String shown;
        private final String expected;

        Kind(String shown, String expected) {
            this.shown = shown;
            this.expected = expected;
        }

        public String shown() {
            return shown;
        }

        public String expected() {
            return expected;
        }
    }

    /**
     * One input variable of a BPMN task that builds a description ({@link Field} here, {@link PilotFromVariables.Field}
     * for a pilot): its name, kind, what an empty value means, and how it sets the builder {@code B}.
     */
    public interface Variable<B> {
        String variable();

        Kind kind();

        String whenEmpty();

        String meaning();

        /** Sets the builder's field from {@code value}, already read as {@link #kind()} says. */
        void set(B builder, Object value);
    }

    /**
     * Sets {@code builder} from {@code variables} (by name) for each of {@code fields}; an empty variable leaves the
     * default.
     *
     * @throws BadParameter naming the variable, its value and what was expected
     */
    static <B> B fill(B builder, Variable<B>[] fields, Function<String, Object> variables) {
        for (Variable<B> f : fields) {
            Object raw = variables.apply(f.variable());
            if (raw == null || raw instanceof String s && s.isBlank()) {
                continue; // the Modeler saves an empty field as an empty string: the default applies
            }
            f.set(builder, read(f.variable(), f.kind(), raw));
        }
        return builder;
    }

    /** One input variable: its name, kind, what an empty value means, and the builder field it sets. */
    public enum Field implements Variable<ComputeUnitDescription.Builder> {
        EXECUTABLE("executable", Kind.TEXT, "required", "program to run (argv[0])",
                (b, v) -> b.executable((String) v)),
        ARGUMENTS("arguments", Kind.LIST, "none", "argv after the executable, never parsed by a shell",
                (b, v) -> b.arguments(strings(v))),
        ENVIRONMENT("environment", Kind.MAP, "none", "environment variables added for the unit",
                (b, v) -> b.environment(stringMap(v))),
        NAME("name", Kind.TEXT, "none", "a name shown in logs and Cockpit", (b, v) -> b.name((String) v)),
        CORES("cores", Kind.INTEGER, "1 (or cpuProcesses x cpuThreads)", "cores",
                (b, v) -> b.cores((Integer) v)),
        GPUS("gpus", Kind.INTEGER, "0", "GPUs", (b, v) -> b.gpus((Integer) v)),
        MPI("mpi", Kind.BOOLEAN, "false", "an MPI program: cores are its ranks", (b, v) -> b.mpi((Boolean) v)),
        CPU_PROCESSES("cpuProcesses", Kind.INTEGER, "0 (not given)", "an MPI unit's ranks",
                (b, v) -> b.cpuProcesses((Integer) v)),
        CPU_THREADS("cpuThreads", Kind.INTEGER, "0 (not given)", "threads of a one-process unit (OMP_NUM_THREADS)",
                (b, v) -> b.cpuThreads((Integer) v)),
        PRE_EXEC("preExec", Kind.LIST, "none", "shell command lines run in the unit sandbox before the executable",
                (b, v) -> b.preExec(strings(v))),
        POST_EXEC("postExec", Kind.LIST, "none", "shell command lines run after it",
                (b, v) -> b.postExec(strings(v))),
        STDOUT("stdout", Kind.TEXT, "STDOUT", "file name of the unit's standard output in its sandbox",
                (b, v) -> b.stdout((String) v)),
        STDERR("stderr", Kind.TEXT, "STDERR", "file name of its standard error", (b, v) -> b.stderr((String) v)),
        SANDBOX("sandbox", Kind.TEXT, "the unit uid", "the unit sandbox's relative path below the pilot sandbox",
                (b, v) -> b.sandbox((String) v)),
        TIMEOUT_SECONDS("timeoutSeconds", Kind.INTEGER, "0 (no limit)",
                "seconds after which the unit is killed and FAILED",
                (b, v) -> b.timeout(timeout((Integer) v))),
        RESTARTABLE("restartable", Kind.BOOLEAN, "false", "run again on another pilot when its pilot is lost",
                (b, v) -> b.restartable((Boolean) v)),
        PRIORITY("priority", Kind.INTEGER, "0", "higher runs first among units waiting on a pilot",
                (b, v) -> b.priority((Integer) v)),
        MEMORY_MB("memoryMb", Kind.INTEGER, "0 (no limit)", "the most memory (MiB) the unit may use",
                (b, v) -> b.memoryMb((Integer) v)),
        INPUT_STAGING("inputStaging", Kind.DIRECTIVES, "none", "staging directives carried out before the unit runs, "
                + "e.g. [\"pilot:///in.dat > in.dat\"] or, to link instead of copy, [{\"source\": \"pilot:///in.dat\", "
                + "\"target\": \"in.dat\", \"action\": \"LINK\"}] (see Data staging)",
                (b, v) -> b.inputStaging(directives("inputStaging", v))),
        OUTPUT_STAGING("outputStaging", Kind.DIRECTIVES, "none", "staging directives carried out after it ran, e.g. "
                + "[\"out.dat > pilot:///results/\"]", (b, v) -> b.outputStaging(directives("outputStaging", v))),
        STAGE_ON_ERROR("stageOnError", Kind.BOOLEAN, "false", "output staging also after the unit failed or was "
                + "canceled", (b, v) -> b.stageOnError((Boolean) v)),
        TAGS("tags", Kind.MAP, "none", "scheduling tags ({\"colocate\": \"name\"})", (b, v) -> b.tags(stringMap(v))),
        METADATA("metadata", Kind.MAP, "none", "the application's own data, kept with the unit",
                (b, v) -> b.metadata(stringMap(v))),
        PILOT("pilot", Kind.TEXT, "the scheduler chooses", "uid of the pilot to run on",
                (b, v) -> b.pilot((String) v)),
        UNIT_MANAGER(VAR_UNIT_MANAGER, Kind.TEXT, "the session's first open unit manager",
                "uid of the unit manager (of the session) that schedules the unit", (b, v) -> { });

        private final String variable;
        private final Kind kind;
        private final String whenEmpty;
        private final String meaning;
        private final java.util.function.BiConsumer<ComputeUnitDescription.Builder, Object> setter;

        Field(String variable, Kind kind, String whenEmpty, String meaning,
              java.util.function.BiConsumer<ComputeUnitDescription.Builder, Object> setter) {
            this.variable = variable;
            this.kind = kind;
            this.whenEmpty = whenEmpty;
            this.meaning = meaning;
            this.setter = setter;
        }

        @Override
        public String variable() {
            return variable;
        }

        @Override
        public Kind kind() {
            return kind;
        }

        @Override
        public String whenEmpty() {
            return whenEmpty;
        }

        @Override
        public String meaning() {
            return meaning;
        }

        @Override
        public void set(ComputeUnitDescription.Builder builder, Object value) {
            setter.accept(builder, value);
        }
    }

    /**
     * The description {@code variables} (by name) give, checked as the Java API checks one.
     *
     * @throws BadParameter naming the variable, its value and what was expected
     */
    public static ComputeUnitDescription describe(Function<String, Object> variables) {
        return fill(ComputeUnitDescription.builder(), Field.values(), variables).build();
    }

    /** The unit the call activity's variables describe, for the manager they name; not stored yet. */
    static UnitRecord create(Transactions txs, Tx tx, String sessionId, VariableScope ex)
            throws UnitRejectedException, SQLException {
        if (sessionId == null) {
            throw new UnitRejectedException("variable pilotflowSession is missing; pass the session id into the "
                    + "call activity");
        }
        if (SessionTable.session(tx.connection(), sessionId) == null) {
            throw new UnitRejectedException("variable pilotflowSession is '" + sessionId + "', which is not a session"
                    + " in this engine's database");
        }
        ComputeUnitDescription d;
        try {
            d = describe(ex::getVariable);
        } catch (BadParameter e) {
            throw new UnitRejectedException("variable " + e.getMessage());
        }
        String wanted = blankToNull(ex.getVariable(VAR_UNIT_MANAGER));
        SessionTable.ManagerRow manager = null;
        List<String> open = new java.util.ArrayList<>();
        for (SessionTable.ManagerRow m : SessionTable.managers(tx.connection(), sessionId)) {
            if ("unit".equals(m.kind()) && !m.closed()) {
                open.add(m.uid());
                if (manager == null && (wanted == null || wanted.equals(m.uid()))) {
                    manager = m;
                }
            }
        }
        if (manager == null) {
            throw new UnitRejectedException(wanted == null
                    ? "session " + sessionId + " has no open UnitManager to run units; create one with "
                            + "session.createUnitManager()"
                    : "variable " + new BadParameter(VAR_UNIT_MANAGER, wanted, "the uid of an open unit manager of "
                            + "session " + sessionId + " " + open).getMessage());
        }
        long n = txs.runAlone(t -> SessionTable.take(t.connection(), sessionId, SessionTable.Counter.UNIT, 1));
        return UnitRecord.created(sessionId, Uids.unit(n), manager.uid(), d);
    }

    private static Duration timeout(int seconds) {
        if (seconds < 0) {
            throw new BadParameter(Field.TIMEOUT_SECONDS.variable, seconds, "whole seconds > 0, or 0 for no limit");
        }
        return seconds == 0 ? null : Duration.ofSeconds(seconds);
    }

    static String blankToNull(Object v) {
        return v == null || v.toString().isBlank() ? null : v.toString();
    }

    /**
     * The value {@code v} of variable {@code variable} as {@code kind} says (a Modeler field holds text).
     *
     * @throws BadParameter naming the variable, the value and what was expected
     */
    static Object read(String variable, Kind kind, Object v) {
        switch (kind) {
            case TEXT -> {
                if (v instanceof String || v instanceof Number) {
                    return v.toString();
                }
            }
            case INTEGER -> {
                if (v instanceof Integer || v instanceof Long || v instanceof Short) {
                    long l = ((Number) v).longValue();
                    if (l == (int) l) {
                        return (int) l;
                    }
                } else if (v instanceof String s) {
                    try {
                        return Integer.parseInt(s.strip());
                    } catch (NumberFormatException e) {
                        // the message below
                    }
                }
            }
            case BOOLEAN -> {
                if (v instanceof Boolean bool) {
                    return bool;
                }
                if (v instanceof String s && (s.strip().equalsIgnoreCase("true") || s.strip().equalsIgnoreCase("false"))) {
                    return Boolean.parseBoolean(s.strip());
                }
            }
            case LIST -> {
                if (v instanceof List<?> l) {
                    return l;
                }
                if (v instanceof String s) {
                    try {
                        return Json.MAPPER.readValue(s, new TypeReference<List<String>>() { });
                    } catch (Exception e) {
                        // the message below
                    }
                }
            }
            case MAP -> {
                if (v instanceof Map<?, ?> m) {
                    return m;
                }
                if (v instanceof String s) {
                    try {
                        return Json.MAPPER.readValue(s, new TypeReference<Map<String, String>>() { });
                    } catch (Exception e) {
                        // the message below
                    }
                }
            }
            case DIRECTIVES -> {
                if (v instanceof List<?> l) {
                    return l;
                }
                if (v instanceof String s) {
                    try {
                        return Json.MAPPER.readValue(s, new TypeReference<List<Object>>() { });
                    } catch (Exception e) {
                        // the message below
                    }
                }
            }
            default -> throw new IllegalStateException(kind.name());
        }
        throw new BadParameter(variable, v, kind.expected);
    }

    /** Staging directives: RP's shorthand strings or its dictionary form (source, target, action, flags). */
    private static List<StagingDirective> directives(String variable, Object v) {
        List<StagingDirective> out = new java.util.ArrayList<>();
        List<?> l = (List<?>) v;
        for (int i = 0; i < l.size(); i++) {
            String field = variable + "[" + i + "]";
            Object d = l.get(i);
            try {
                if (d instanceof String text) {
                    out.add(StagingDirective.parse(field, text));
                } else if (d instanceof Map<?, ?> m) {
                    out.add(StagingDirective.fromMap(field, m));
                } else {
                    throw new BadParameter(field, d, "a directive: 'a.dat > b.dat' or {\"source\": ..., \"target\": "
                            + "..., \"action\": \"LINK\"}");
                }
            } catch (StagingDirective.Invalid e) {
                throw new BadParameter(e.field(), e.value(), e.expected(), e);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object v) {
        List<?> l = (List<?>) v;
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i) != null && !(l.get(i) instanceof String)) {
                return l.stream().map(x -> x == null ? null : String.valueOf(x)).toList();
            }
        }
        return (List<String>) l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> stringMap(Object v) {
        Map<?, ?> m = (Map<?, ?>) v;
        Map<String, String> out = new java.util.LinkedHashMap<>();
        m.forEach((k, x) -> out.put(k == null ? null : String.valueOf(k), x == null ? null : String.valueOf(x)));
        return out;
    }
}
