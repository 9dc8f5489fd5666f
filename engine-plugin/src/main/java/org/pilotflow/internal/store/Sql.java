package org.pilotflow.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/** Small JDBC helpers shared by the tables; plain SQL that H2 and PostgreSQL both accept. */
public final class Sql {

    /** The text column type of every JSON or long text (valid in H2 and PostgreSQL). */
    static final String TEXT = "VARCHAR(1000000)";

    private Sql() {
    }

    /** The database's clock, in epoch milliseconds: every node compares times written by others on this clock. */
    public static long dbNow(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT CURRENT_TIMESTAMP");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant().toEpochMilli();
        }
    }

    static void setNullableInt(PreparedStatement ps, int i, Integer v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            ps.setInt(i, v);
        }
    }

    static Integer nullableInt(ResultSet rs, int i) throws SQLException {
        int v = rs.getInt(i);
        return rs.wasNull() ? null : v;
    }

    /** {@code ?, ?, ?} with n marks. */
    static String marks(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    /** {@code 'A', 'B'}: for enum names only (never user input). */
    static String names(Collection<? extends Enum<?>> values) {
        StringBuilder b = new StringBuilder();
        for (Enum<?> v : values) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append('\'').append(v.name()).append('\'');
        }
        return b.toString();
    }

    static <T> List<List<T>> chunks(List<T> all, int size) {
        List<List<T>> out = new java.util.ArrayList<>();
        for (int from = 0; from < all.size(); from += size) {
            out.add(all.subList(from, Math.min(all.size(), from + size)));
        }
        return out;
    }

    /**
     * Whether a table exists in the connection's current schema (PostgreSQL folds unquoted names to lower case, H2
     * to upper case).
     */
    static boolean tableExists(Connection c, String name) throws SQLException {
        String schema = c.getSchema();
        for (String n : Set.of(name.toUpperCase(java.util.Locale.ROOT), name.toLowerCase(java.util.Locale.ROOT))) {
            try (ResultSet rs = c.getMetaData().getTables(null, schema, n, new String[] {"TABLE"})) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }
}
