package org.pilotflow.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/** A compute unit (RADICAL-Pilot's {@code ComputeUnit}): a live view of the latest committed state. */
public interface ComputeUnit {

    String uid();

    UnitState state();

    /** Every state the unit passed, each once, in order, with the time it was entered and the attempt. */
    List<StateEntry<UnitState>> stateHistory();

    ComputeUnitDescription description();

    /** The executable's exit code, once it ended. */
    Optional<Integer> exitCode();

    /** The last lines of the unit's stdout, once it ended. */
    String stdout();

    /** The last lines of the unit's stderr, once it ended. */
    String stderr();

    /** Why the unit FAILED or was CANCELED ("exit code 3; stderr: ...", "pilot lost", ...). */
    Optional<String> failureReason();

    /**
     * Why the unit FAILED or was CANCELED, as a stable code a program can act on (empty while it runs and for DONE);
     * {@link ErrorCode#recoverable()} says whether another run may succeed.
     */
    Optional<ErrorCode> errorCode();

    /** The unit sandbox on its pilot's resource, once the agent created it. */
    Optional<String> sandbox();

    /** The uid of the pilot the unit is bound to. */
    Optional<String> pilot();

    /** The slots the unit ran on, as {@code host:core} entries. */
    List<String> slots();

    /**
     * What its agent saw of the unit's memory, once it ended: peaks, the sampled series and the leak analysis
     * ({@link org.pilotflow.model.memory.LeakRule}); empty when the unit ended before its first sample or the
     * agent samples no memory.
     */
    Optional<MemoryProfile> memory();

    /**
     * What its output staging put in place (PanDA's stage-out record): each file with its size and adler32 (a LINK's
     * size only), read back where it landed: the agent's targets on the resource, known once the agent reported the
     * unit's end, then the engine's on the client, once the unit ended; in directive order. A directory staged whole is
     * listed file by file, at most {@link StagedFile#MAX_PER_UNIT}. Empty for a unit without output staging.
     */
    List<StagedFile> outputFiles();

    /** Blocks until the unit has reached or passed one of {@code states}, or is final (any final state when empty). */
    UnitState waitFor(Duration timeout, UnitState... states);

    /** Requests the cancel and returns; {@link #waitFor} sees it end ({@link UnitManager#cancelUnits} waits). */
    void cancel();

    /**
     * Completes (never exceptionally) once the unit reached DONE, FAILED or CANCELED; at once for a final unit.
     * Otherwise it completes on one of PilotFlow's own threads ({@code pilotflow-async-*}), a moment after the unit's
     * end was committed (a future taken before the end may still be pending when {@link #waitFor} returns or a
     * callback tells the end): what is chained on it never runs on an engine thread, and may block. Each call on a
     * pending unit hands a new future over: take it once and keep it; to ask whether a unit ended, use
     * {@link #state()}.
     */
    CompletableFuture<ComputeUnit> completion();

    void registerCallback(UnitCallback callback);

    /** Like {@link #registerCallback(UnitCallback)}, passing {@code data} to every call (RP's {@code cb_data}). */
    <T> void registerCallback(UnitDataCallback<T> callback, T data);

    /** Removes every registration of {@code callback}; false when it was not registered. */
    boolean unregisterCallback(UnitCallback callback);

    /** Removes every registration of {@code callback} (whatever its data); false when it was not registered. */
    boolean unregisterCallback(UnitDataCallback<?> callback);
}
