package org.pilotflow.internal.store;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.DataFile;
import org.pilotflow.api.DataUnitDescription;
import org.pilotflow.api.DataUnitState;
import org.pilotflow.api.PilotDataDescription;

/**
 * Pilot-Data (BigJob's): {@code PF_PILOT_DATA} (a directory on a resource), {@code PF_DATA_UNIT} (a set of files,
 * its state and file list) and {@code PF_DATA_REPLICA} (which pilot-data holds a complete copy of which data unit).
 * A replica row is written only once its files are in place.
 */
public final class DataTable {

    private static final TypeReference<PilotDataDescription> PD_TYPE = new TypeReference<>() { };
    private static final TypeReference<DataUnitDescription> DU_TYPE = new TypeReference<>() { };
    private static final TypeReference<List<DataFile>> FILES_TYPE = new TypeReference<>() { };

    /** Counter names in {@code PF_COUNTER}. */
    public static final String PILOT_DATA_COUNTER = "pilotdata";
    public static final String DATA_UNIT_COUNTER = "dataunit";

    private DataTable() {
    }

    public record PilotDataRow(String sessionId, String uid, PilotDataDescription description, String path) { }

    public record DataUnitRow(String sessionId, String uid, DataUnitDescription description, DataUnitState state,
                              String reason, List<DataFile> files) {
        public long bytes() {
            long n = 0;
            for (DataFile f : files) {
                n += f.size() == null ? 0 : f.size();
            }
            return n;
        }
    }

    public static String pilotDataUid(long n) {
        return String.format("pd.%04d", n);
    }

    public static String dataUnitUid(long n) {
        return String.format("du.%06d", n);
    }

    /** A number from a session's counter {@code name}, made on first use (sessions older than Pilot-Data lack it). */
    public static long take(Connection c, String sessionId, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT NEXT_VALUE FROM PF_COUNTER WHERE SESSION_ID = ?"
                + " AND NAME = ? FOR UPDATE")) {
            ps.setString(1, sessionId);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    try (PreparedStatement ins = c.prepareStatement("INSERT INTO PF_COUNTER (SESSION_ID, NAME,"
                            + " NEXT_VALUE) VALUES (?, ?, 1)")) { // a racing insert: duplicate key, retried
                        ins.setString(1, sessionId);
                        ins.setString(2, name);
                        ins.executeUpdate();
                    }
                    return 0;
                }
            }
        }
        return SessionTable.take(c, sessionId, name, 1);
    }

    // ---------------------------------------------------------------- pilot-data

    public static void insertPilotData(Connection c, PilotDataRow r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_PILOT_DATA (SESSION_ID, UID, DESCRIPTION,"
                + " RESOURCE, PATH, CREATED) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.sessionId());
            ps.setString(2, r.uid());
            ps.setString(3, Json.write(r.description()));
            ps.setString(4, r.description().resource());
            ps.setString(5, r.path());
            ps.setLong(6, System.currentTimeMillis());
            ps.executeUpdate();
        }
    }

    /** The pilot-data row, locked when {@code lock} (its replicas' sizes are checked against its limit under it). */
    public static PilotDataRow pilotData(Connection c, String sessionId, String uid, boolean lock)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT DESCRIPTION, PATH FROM PF_PILOT_DATA WHERE"
                + " SESSION_ID = ? AND UID = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, sessionId);
            ps.setString(2, uid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new PilotDataRow(sessionId, uid, Json.read(rs.getString(1), PD_TYPE),
                        rs.getString(2)) : null;
            }
        }
    }

    public static List<PilotDataRow> pilotDataOf(Connection c, String sessionId) throws SQLException {
        List<PilotDataRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT UID, DESCRIPTION, PATH FROM PF_PILOT_DATA WHERE"
                + " SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new PilotDataRow(sessionId, rs.getString(1), Json.read(rs.getString(2), PD_TYPE),
                            rs.getString(3)));
                }
            }
        }
        return out;
    }

    /** The bytes a pilot-data's replicas hold. */
    public static long usedBytes(Connection c, String sessionId, String pilotData) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(BYTES), 0) FROM PF_DATA_REPLICA WHERE"
                + " SESSION_ID = ? AND PILOT_DATA = ?")) {
            ps.setString(1, sessionId);
            ps.setString(2, pilotData);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    // ---------------------------------------------------------------- data units

    public static void insertDataUnit(Connection c, DataUnitRow r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_DATA_UNIT (SESSION_ID, UID, DESCRIPTION,"
                + " STATE, REASON, FILES, CREATED) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.sessionId());
            ps.setString(2, r.uid());
            ps.setString(3, Json.write(r.description()));
            ps.setString(4, r.state().name());
            ps.setString(5, r.reason());
            ps.setString(6, Json.write(r.files()));
            ps.setLong(7, System.currentTimeMillis());
            ps.executeUpdate();
        }
    }

    public static void updateDataUnit(Connection c, DataUnitRow r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_DATA_UNIT SET STATE = ?, REASON = ?, FILES = ?"
                + " WHERE SESSION_ID = ? AND UID = ?")) {
            ps.setString(1, r.state().name());
            ps.setString(2, r.reason());
            ps.setString(3, Json.write(r.files()));
            ps.setString(4, r.sessionId());
            ps.setString(5, r.uid());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("data unit " + r.uid() + " of session " + r.sessionId() + " is gone");
            }
        }
    }

    public static DataUnitRow dataUnit(Connection c, String sessionId, String uid, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT DESCRIPTION, STATE, REASON, FILES FROM PF_DATA_UNIT"
                + " WHERE SESSION_ID = ? AND UID = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, sessionId);
            ps.setString(2, uid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new DataUnitRow(sessionId, uid, Json.read(rs.getString(1), DU_TYPE),
                        DataUnitState.valueOf(rs.getString(2)), rs.getString(3), Json.read(rs.getString(4),
                        FILES_TYPE)) : null;
            }
        }
    }

    public static List<String> dataUnitUids(Connection c, String sessionId) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT UID FROM PF_DATA_UNIT WHERE SESSION_ID = ?"
                + " ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- replicas

    public static void putReplica(Connection c, String sessionId, String dataUnit, String pilotData, long bytes)
            throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM PF_DATA_REPLICA WHERE SESSION_ID = ? AND"
                + " DATA_UNIT = ? AND PILOT_DATA = ?");
             PreparedStatement ins = c.prepareStatement("INSERT INTO PF_DATA_REPLICA (SESSION_ID, DATA_UNIT,"
                     + " PILOT_DATA, BYTES, ADDED) VALUES (?, ?, ?, ?, ?)")) {
            del.setString(1, sessionId);
            del.setString(2, dataUnit);
            del.setString(3, pilotData);
            del.executeUpdate();
            ins.setString(1, sessionId);
            ins.setString(2, dataUnit);
            ins.setString(3, pilotData);
            ins.setLong(4, bytes);
            ins.setLong(5, System.currentTimeMillis());
            ins.executeUpdate();
        }
    }

    /** The pilot-data holding a replica of each data unit, in the order they were placed. */
    public static Map<String, List<String>> replicas(Connection c, String sessionId, List<String> dataUnits)
            throws SQLException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String du : dataUnits) {
            List<String> pds = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT PILOT_DATA FROM PF_DATA_REPLICA WHERE"
                    + " SESSION_ID = ? AND DATA_UNIT = ? ORDER BY ADDED, PILOT_DATA")) {
                ps.setString(1, sessionId);
                ps.setString(2, du);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        pds.add(rs.getString(1));
                    }
                }
            }
            out.put(du, pds);
        }
        return out;
    }

    public static List<String> dataUnitsOn(Connection c, String sessionId, String pilotData) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DATA_UNIT FROM PF_DATA_REPLICA WHERE SESSION_ID = ?"
                + " AND PILOT_DATA = ? ORDER BY DATA_UNIT")) {
            ps.setString(1, sessionId);
            ps.setString(2, pilotData);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The session's open unit managers (they drain when a data unit becomes READY). */
    public static List<String> unitManagers(Connection c, String sessionId) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT UID FROM PF_MANAGER WHERE SESSION_ID = ? AND"
                + " POLICY IS NOT NULL AND CLOSED = FALSE ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
