package org.pilotflow.model.wire;

import java.util.List;
import java.util.Map;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * One state report from an agent. Reports of one pilot share one sequence: the engine applies them exactly once
 * and in {@code seq} order, and acknowledges a sequence number only after the transaction that applied it (and
 * every earlier one) committed.
 *
 * @param unitId     the unit this report is about, or {@code null} for a report about the pilot itself
 * @param state      a {@code UnitState} name (unit report) or a {@code PilotState} name (pilot report)
 * @param timestamps epoch milliseconds at which the agent entered each state it passed since its last report
 *                   for this unit (the engine fills the skipped states from these)
 * @param exitCode   the executable's exit code, once known
 * @param reason     why the unit or pilot FAILED or was CANCELED, in words a person can act on
 * @param slots      the slots the unit ran on, as {@code host:core} entries (GPUs as {@code host:gpuN})
 * @param memory     the unit's memory profile, with its final report (null when not sampled)
 * @param errorCode  an {@code ErrorCode} name with a unit's FAILED or CANCELED report (null otherwise, and from
 *                   agents older than the codes)
 * @param outputs    with a unit's final report after output staging: the files it put in place, measured (size and
 *                   adler32, PanDA's stage-out); empty otherwise
 */
public record Report(
        long seq,
        String unitId,
        String state,
        Map<String, Long> timestamps,
        Integer exitCode,
        String reason,
        String stdoutTail,
        String stderrTail,
        String sandbox,
        List<String> slots,
        MemoryProfile memory,
        String errorCode,
        List<StagedFile> outputs) {

    /** A report without output files. */
    public Report(long seq, String unitId, String state, Map<String, Long> timestamps, Integer exitCode,
                  String reason, String stdoutTail, String stderrTail, String sandbox, List<String> slots,
                  MemoryProfile memory, String errorCode) {
        this(seq, unitId, state, timestamps, exitCode, reason, stdoutTail, stderrTail, sandbox, slots, memory,
                errorCode, null);
    }

    /** A report without a memory profile. */
    public Report(long seq, String unitId, String state, Map<String, Long> timestamps, Integer exitCode,
                  String reason, String stdoutTail, String stderrTail, String sandbox, List<String> slots) {
        this(seq, unitId, state, timestamps, exitCode, reason, stdoutTail, stderrTail, sandbox, slots, null, null);
    }

    public Report {
        timestamps = timestamps == null ? Map.of() : Map.copyOf(timestamps);
        slots = slots == null ? List.of() : List.copyOf(slots);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /** This report under another sequence number. */
    public Report withSeq(long number) {
        return new Report(number, unitId, state, timestamps, exitCode, reason, stdoutTail, stderrTail, sandbox, slots,
                memory, errorCode, outputs);
    }

    /** This report ending the unit in another way: {@code state}, {@code reason} and {@code errorCode} replaced. */
    public Report withEnd(String endState, String endReason, String endErrorCode) {
        return new Report(seq, unitId, endState, timestamps, exitCode, endReason, stdoutTail, stderrTail, sandbox,
                slots, memory, endErrorCode, outputs);
    }

    public boolean isPilotReport() {
        return unitId == null;
    }
}
