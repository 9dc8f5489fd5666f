package org.pilotflow.resource.batch;

import java.time.Duration;

/**
 * The wall time a pilot's batch job asks for: the pilot's runtime plus {@link #MARGIN}.
 *
 * <p>The agent ends the pilot itself when its runtime is over: it ends its units (FAILED, "pilot runtime
 * expired"), reports the pilot DONE and waits for the engine's acknowledgement. Its clock starts when the agent
 * starts, a little after the job does (the JVM's start, the resource's {@code pre_bootstrap}). The margin gives it
 * that time, so the pilot ends in the agent's words (DONE) and not by the batch system's kill (SLURM TIMEOUT, SGE
 * h_rt), which would leave units without their final state and the pilot lost. A {@code pre_bootstrap} that takes
 * minutes eats into the margin.
 */
public final class WallTime {

    /** Added to the runtime: JVM start, pre_bootstrap, ending units (kill grace) and the final report. */
    public static final Duration MARGIN = Duration.ofSeconds(60);

    private WallTime() {
    }

    /** The job's wall time for a pilot of {@code runtime}. */
    public static Duration of(Duration runtime) {
        return runtime.plus(MARGIN);
    }
}
