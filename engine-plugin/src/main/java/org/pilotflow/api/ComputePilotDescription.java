package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;
import org.pilotflow.model.wire.StagingDirective;

/**
 * What a pilot should acquire (RADICAL-Pilot's {@code ComputePilotDescription}). Immutable; build it with
 * {@link #builder()}. {@link Builder#build()} checks what can be checked alone (a resource label, a positive
 * runtime and core count); {@link PilotManager#submitPilots} checks it against the resource's configuration
 * ({@code mandatory_args}, {@code valid_roots}).
 *
 * @param resource     the resource label, e.g. {@code local.localhost} (required)
 * @param runtime      how long the pilot may run (required); at expiry its agent ends and the pilot is DONE
 * @param cores        cores to acquire (required, &gt; 0)
 * @param gpus         GPUs to acquire (&ge; 0)
 * @param memoryMb     memory to request in MiB, 0 for the resource's default
 * @param queue        batch queue (partition); the resource's {@code default_queue} when null
 * @param project      account / project to charge
 * @param sandbox      where pilot sandboxes are made (as in RADICAL-Pilot): this pilot's is
 *                     {@code <sandbox>/<session id>/<pilot id>}, so pilots never share one; must lie under one of
 *                     the resource's {@code valid_roots}; the resource's default when null
 * @param accessSchema a schema name of the resource; its {@code default_schema} when null
 * @param cleanup      remove the sandbox when the pilot ends
 * @param inputStaging RADICAL-Pilot's pilot {@code input_staging}: directives its agent carries out once, before the
 *                     pilot is ACTIVE (a relative target is in the pilot sandbox, {@code pilot://}); units then
 *                     LINK or COPY from {@code pilot://}. A failed directive (not NON_FATAL) fails the pilot
 * @param affinity     BigJob's affinity labels: units whose input data has the same labels prefer this pilot
 */
public record ComputePilotDescription(
        String resource,
        Duration runtime,
        int cores,
        int gpus,
        long memoryMb,
        String queue,
        String project,
        String sandbox,
        String accessSchema,
        boolean cleanup,
        List<StagingDirective> inputStaging,
        Affinity affinity) {

    @JsonCreator
    public ComputePilotDescription(@JsonProperty("resource") String resource,
                                   @JsonProperty("runtime") Duration runtime,
                                   @JsonProperty("cores") int cores,
                                   @JsonProperty("gpus") int gpus,
                                   @JsonProperty("memoryMb") long memoryMb,
                                   @JsonProperty("queue") String queue,
                                   @JsonProperty("project") String project,
                                   @JsonProperty("sandbox") String sandbox,
                                   @JsonProperty("accessSchema") String accessSchema,
                                   @JsonProperty("cleanup") boolean cleanup,
                                   @JsonProperty("inputStaging") List<StagingDirective> inputStaging,
                                   @JsonProperty("affinity") Affinity affinity) {
        this.resource = resource;
        this.runtime = runtime;
        this.cores = cores;
        this.gpus = gpus;
        this.memoryMb = memoryMb;
        this.queue = queue;
        this.project = project;
        this.sandbox = sandbox;
        this.accessSchema = accessSchema;
        this.cleanup = cleanup;
        this.inputStaging = ComputeUnitDescription.resolve("inputStaging", inputStaging,
                StagingDirective.Direction.PILOT_INPUT);
        this.affinity = affinity == null ? Affinity.NONE : affinity;
        validate("");
    }

    /** The description as it was before affinity labels. */
    public ComputePilotDescription(String resource, Duration runtime, int cores, int gpus, long memoryMb,
                                   String queue, String project, String sandbox, String accessSchema,
                                   boolean cleanup, List<StagingDirective> inputStaging) {
        this(resource, runtime, cores, gpus, memoryMb, queue, project, sandbox, accessSchema, cleanup, inputStaging,
                null);
    }

    /** Checks the fields that need no resource configuration; {@code prefix} names the list position. */
    void validate(String prefix) {
        if (resource == null || resource.isBlank()) {
            throw new BadParameter(prefix + "resource", resource, "a resource label such as 'local.localhost'");
        }
        if (runtime == null || runtime.isZero() || runtime.isNegative()) {
            throw new BadParameter(prefix + "runtime", runtime, "a positive duration such as PT10M");
        }
        if (cores <= 0) {
            throw new BadParameter(prefix + "cores", cores, "an integer > 0");
        }
        if (gpus < 0) {
            throw new BadParameter(prefix + "gpus", gpus, "an integer >= 0");
        }
        if (memoryMb < 0) {
            throw new BadParameter(prefix + "memoryMb", memoryMb, "an integer >= 0 (MiB)");
        }
    }

    /**
     * What a new pilot must also meet (the builder and {@link PilotManager#submitPilots} check it; a description
     * stored by an older version and read back is not held to it): no NUL, and lengths batch scripts, paths and
     * database columns take.
     *
     * @param prefix names the list position in the field, e.g. {@code pilots[1].}
     */
    public void checkLimits(String prefix) {
        text(prefix + "resource", resource, 200);
        text(prefix + "queue", queue, 200);
        text(prefix + "project", project, 200);
        text(prefix + "accessSchema", accessSchema, 200);
        text(prefix + "sandbox", sandbox, 1000);
        if (inputStaging.size() > MAX_STAGING) {
            throw new BadParameter(prefix + "inputStaging", inputStaging.size() + " directives", "at most "
                    + MAX_STAGING);
        }
    }

    /** The most pilot input directives (they travel in the agent's configuration). */
    public static final int MAX_STAGING = 1000;

    // these go into batch scripts, paths and database columns: no NUL, and a length any of them takes
    private static void text(String field, String value, int maxChars) {
        ComputeUnitDescription.noNul(field, value);
        if (value != null && value.length() > maxChars) {
            throw new BadParameter(field, value, "at most " + maxChars + " characters");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().resource(resource).runtime(runtime).cores(cores).gpus(gpus).memoryMb(memoryMb)
                .queue(queue).project(project).sandbox(sandbox).accessSchema(accessSchema).cleanup(cleanup)
                .inputStaging(inputStaging).affinity(affinity);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String resource;
        private Duration runtime;
        private int cores;
        private int gpus;
        private long memoryMb;
        private String queue;
        private String project;
        private String sandbox;
        private String accessSchema;
        private boolean cleanup;
        private List<StagingDirective> inputStaging = List.of();
        private Affinity affinity = Affinity.NONE;

        public Builder resource(String v) { resource = v; return this; }
        public Builder runtime(Duration v) { runtime = v; return this; }
        public Builder cores(int v) { cores = v; return this; }
        public Builder gpus(int v) { gpus = v; return this; }
        public Builder memoryMb(long v) { memoryMb = v; return this; }
        public Builder queue(String v) { queue = v; return this; }
        public Builder project(String v) { project = v; return this; }
        public Builder sandbox(String v) { sandbox = v; return this; }
        public Builder accessSchema(String v) { accessSchema = v; return this; }
        public Builder cleanup(boolean v) { cleanup = v; return this; }
        /** RP's pilot {@code input_staging}: directives carried out once into the pilot sandbox. */
        public Builder inputStaging(List<StagingDirective> v) { inputStaging = v; return this; }
        /** Pilot input staging in RP's shorthand: {@code "resource:///data/db.sqlite"} (to {@code pilot://}). */
        public Builder inputStaging(String... v) { inputStaging = ComputeUnitDescription.parse("inputStaging", v == null ? null : java.util.Arrays.asList(v)); return this; }

        /** BigJob's affinity labels: units whose data has the same labels prefer this pilot. */
        public Builder affinity(Affinity v) { affinity = v; return this; }
        public Builder affinity(String datacenter, String machine) { affinity = Affinity.of(datacenter, machine); return this; }

        public ComputePilotDescription build() {
            ComputePilotDescription d = new ComputePilotDescription(resource, runtime, cores, gpus, memoryMb, queue,
                    project, sandbox, accessSchema, cleanup, inputStaging, affinity);
            d.checkLimits("");
            return d;
        }
    }
}
