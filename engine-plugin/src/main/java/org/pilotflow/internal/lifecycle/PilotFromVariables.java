package org.pilotflow.internal.lifecycle;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.internal.lifecycle.UnitFromVariables.Kind;

/**
 * Builds a pilot description from the variables of a "Submit pilot" task (element template
 * {@code org.pilotflow.SubmitPilot}). {@link Field} is the one table of those variables, named as the Java API's
 * fields; each sets the same builder method, so a bad value is refused with the API's message, naming the variable.
 */
public final class PilotFromVariables {
    private PilotFromVariables() {
    }

    /** The pilot manager to submit to (its uid); empty for the session's first open one. */
    public static final String VAR_PILOT_MANAGER = "pilotManager";

    /** One input variable: its name, kind, what an empty value means, and the builder field it sets. */
    public enum Field implements UnitFromVariables.Variable<ComputePilotDescription.Builder> {
        RESOURCE("resource", Kind.TEXT, "required", "the resource label, e.g. local.localhost",
                (b, v) -> b.resource((String) v)),
        RUNTIME("runtime", Kind.TEXT, "required", "how long the pilot may run, an ISO-8601 duration such as PT30M",
                (b, v) -> b.runtime(duration((String) v))),
        CORES("cores", Kind.INTEGER, "required", "cores to acquire", (b, v) -> b.cores((Integer) v)),
        GPUS("gpus", Kind.INTEGER, "0", "GPUs to acquire", (b, v) -> b.gpus((Integer) v)),
        MEMORY_MB("memoryMb", Kind.INTEGER, "the resource's default", "memory to request (MiB)",
                (b, v) -> b.memoryMb((Integer) v)),
        QUEUE("queue", Kind.TEXT, "the resource's default_queue", "batch queue (partition)",
                (b, v) -> b.queue((String) v)),
        PROJECT("project", Kind.TEXT, "none", "account or project to charge", (b, v) -> b.project((String) v)),
        SANDBOX("sandbox", Kind.TEXT, "the resource's default", "where pilot sandboxes are made (under valid_roots)",
                (b, v) -> b.sandbox((String) v)),
        ACCESS_SCHEMA("accessSchema", Kind.TEXT, "the resource's default_schema", "a schema name of the resource",
                (b, v) -> b.accessSchema((String) v)),
        CLEANUP("cleanup", Kind.BOOLEAN, "false", "remove the sandbox when the pilot ends",
                (b, v) -> b.cleanup((Boolean) v)),
        PILOT_MANAGER(VAR_PILOT_MANAGER, Kind.TEXT, "the session's first open pilot manager",
                "uid of the pilot manager (of the session) the pilot belongs to", (b, v) -> { }),
        UNIT_MANAGER(UnitFromVariables.VAR_UNIT_MANAGER, Kind.TEXT, "the session's first open unit manager, if any",
                "uid of the unit manager that schedules units onto the pilot", (b, v) -> { });

        private final String variable;
        private final Kind kind;
        private final String whenEmpty;
        private final String meaning;
        private final BiConsumer<ComputePilotDescription.Builder, Object> setter;

        Field(String variable, Kind kind, String whenEmpty, String meaning,
              BiConsumer<ComputePilotDescription.Builder, Object> setter) {
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
        public void set(ComputePilotDescription.Builder builder, Object value) {
            setter.accept(builder, value);
        }
    }

    /**
     * The description {@code variables} (by name) give, checked as the Java API checks one.
     *
     * @throws BadParameter naming the variable, its value and what was expected
     */
    public static ComputePilotDescription describe(Function<String, Object> variables) {
        return UnitFromVariables.fill(ComputePilotDescription.builder(), Field.values(), variables).build();
    }

    /** The manager a variable names, or null when it is empty (the session's first open one then). */
    public static String manager(Function<String, Object> variables, Field which) {
        return UnitFromVariables.blankToNull(variables.apply(which.variable));
    }

    private static Duration duration(String text) {
        try {
            return Duration.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new BadParameter(Field.RUNTIME.variable, text, "an ISO-8601 duration such as PT30M or PT2H");
        }
    }
}
