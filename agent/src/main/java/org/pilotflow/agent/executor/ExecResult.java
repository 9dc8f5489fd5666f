package org.pilotflow.agent.executor;

import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * How a unit ended.
 *
 * @param state       DONE, FAILED or CANCELED
 * @param exitCode    the executable's exit code, null when it never ran (launch error, preExec failed, killed
 *                    before it started)
 * @param reason      null for DONE
 * @param startedAt   epoch ms of the first process start (0 when nothing started)
 * @param exitedAt    epoch ms at which the last process exited (PENDING_OUTPUT_STAGING)
 * @param stagingAt   epoch ms at which the output tails were read (STAGING_OUTPUT)
 * @param finishedAt  epoch ms of the end
 * @param errorCode   why it did not end DONE (null for DONE)
 * @param memory      what the memory monitor saw; null without a monitor or when the unit ended before its first
 *                    sample
 */
public record ExecResult(UnitState state, Integer exitCode, String reason, String stdoutTail, String stderrTail,
                         long startedAt, long exitedAt, long stagingAt, long finishedAt, ErrorCode errorCode,
                         MemoryProfile memory) {
}
