package org.pilotflow.internal.store;

/**
 * Where a pilot's job (its batch job or agent process) stands as far as the engine knows. The watchdog drives
 * every final pilot's job to {@link #ENDED}: the phase says what is left to do.
 */
public enum JobPhase {
    /** No launch attempt has started. */
    NONE,
    /** A launch attempt is (or was, before a crash) between recording its intent and recording the job. */
    SUBMITTING,
    /** The job's handle is recorded; it runs while the pilot is not final, and ends by itself after. */
    SUBMITTED,
    /** The engine wants the job gone now (the pilot was lost, killed, or its process deleted). */
    KILL,
    /** The job is gone: it ended, was killed, or never existed. */
    ENDED
}
