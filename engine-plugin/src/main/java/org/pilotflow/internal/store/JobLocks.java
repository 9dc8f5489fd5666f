package org.pilotflow.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * Camunda's job locks, where a PilotFlow job holds one longer than the job executor's lock time: a transfer of a
 * unit's files runs inside its job for as long as the bytes take.
 */
public final class JobLocks {
    private JobLocks() {
    }

    /**
     * Moves the lock of a job its owner still holds to {@code until}. {@code REV_} stays as it is, so the job's own
     * transaction commits undisturbed; a job whose owner died is no longer renewed and is taken again once its lock
     * expired.
     *
     * @return whether the job was still locked by {@code owner}
     */
    public static boolean extend(Connection c, String camundaPrefix, String jobId, String owner, Instant until)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + camundaPrefix + "ACT_RU_JOB SET LOCK_EXP_TIME_ = ?"
                + " WHERE ID_ = ? AND LOCK_OWNER_ = ?")) {
            ps.setTimestamp(1, Timestamp.from(until));
            ps.setString(2, jobId);
            ps.setString(3, owner);
            return ps.executeUpdate() == 1;
        }
    }
}
