package org.pilotflow.model;

/**
 * Why a unit ended other than DONE, as a stable code a program can act on (the PanDA pilot's error codes are the
 * model). The number and the name never change meaning; new codes get new numbers. {@link #recoverable()} says
 * whether running the unit again elsewhere may succeed: a {@code restartable} unit ending with a recoverable code
 * runs again, up to {@link #MAX_ATTEMPTS} attempts in all; a fatal code ends it.
 */
public enum ErrorCode {
    /** The executable exited with a non-zero code (the unit's {@code exitCode}). */
    EXIT_CODE(1101, false),
    /** The executable died of a signal PilotFlow did not send (a crash, the kernel's OOM killer, an operator). */
    SIGNAL(1102, false),
    /** A preExec line exited non-zero; the executable did not run. */
    PRE_EXEC_FAILED(1103, false),
    /** A postExec line exited non-zero after the executable succeeded. */
    POST_EXEC_FAILED(1104, false),
    /**
     * The executable (or {@code /bin/sh} for a pre/postExec line) could not be started: not found, not executable;
     * for a function unit, its class could not be loaded from its jars or made an instance of.
     */
    LAUNCH_FAILED(1105, false),
    /** The unit ran longer than its {@code timeout}. */
    TIMEOUT(1106, false),
    /** The unit's processes used more memory than its {@code memoryMb}. */
    MEMORY_EXCEEDED(1107, false),
    /** The agent cannot run the unit as described: it never fits the pilot, no launch method runs it, a bad name. */
    INVALID_UNIT(1108, false),
    /** The unit sandbox could not be created on the pilot's file system (full, read-only, a name in the way). */
    SANDBOX_FAILED(1109, true),
    /** An input staging directive failed (a missing source, a target outside its sandbox, a full disk). */
    STAGING_INPUT_FAILED(1110, false),
    /** An output staging directive failed after the executable succeeded. */
    STAGING_OUTPUT_FAILED(1111, false),
    /** A function unit's {@code call} threw an exception (the reason names its class and message). */
    FUNCTION_EXCEPTION(1112, false),
    /** The unit's pilot FAILED: its agent or job was lost, or it never started. */
    PILOT_LOST(1201, true),
    /** The pilot's runtime ended before the unit did. */
    PILOT_RUNTIME_EXPIRED(1202, true),
    /** The agent could not reach the engine for its orphan timeout and ended its units. */
    AGENT_ORPHANED(1203, true),
    /**
     * A node of the unit's pilot was lost (down, cut off) while the unit ran on it. The pilot goes on with its other
     * nodes, so the unit may run again on it at once.
     */
    NODE_LOST(1204, true),
    /** No pilot of the unit manager can ever hold the unit (too many cores or GPUs, a pinned pilot gone). */
    NO_PILOT(1301, false),
    /** The unit was canceled on request (the API, Cockpit, its process instance deleted). */
    CANCELED(1401, false),
    /** The unit's pilot was canceled before the unit ended. */
    PILOT_CANCELED(1402, false),
    /** Ended by an agent that sends no codes (a version before them). */
    UNKNOWN(1999, false);

    /** The most attempts a restartable unit gets: the first run and two more. */
    public static final int MAX_ATTEMPTS = 3;

    private final int number;
    private final boolean recoverable;

    ErrorCode(int number, boolean recoverable) {
        this.number = number;
        this.recoverable = recoverable;
    }

    /** The stable number (PanDA style: 11xx the unit itself, 12xx its pilot, 13xx scheduling, 14xx a cancel). */
    public int number() {
        return number;
    }

    public boolean recoverable() {
        return recoverable;
    }

    /**
     * A code about the unit's pilot ending (12xx but {@link #NODE_LOST}, after which the pilot goes on): another run
     * must wait for another pilot.
     */
    public boolean aboutThePilot() {
        return number / 100 == 12 && this != NODE_LOST;
    }

    /** The code of a name on the wire or in the database; {@link #UNKNOWN} for null or a name this version lacks. */
    public static ErrorCode parse(String name) {
        if (name == null) {
            return UNKNOWN;
        }
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
