package org.pilotflow.internal.session;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.pilotflow.api.StateEntry;

/**
 * Writes a session's state histories as one profile in RADICAL-Pilot's CSV shape, {@code time,event,comp,thread,uid,
 * state,msg}, so tools written for RP's {@code *.prof} files (radical.analytics) can read it: one {@code advance}
 * event per state entry, {@code time} in seconds since the epoch (millisecond precision), {@code comp} the clock that
 * saw the state ({@code agent} or {@code engine}, {@code unknown} for old entries), {@code thread} empty, and
 * {@code msg} the attempt and, for a unit, the pilot it is bound to now or last ran on ({@code attempt=2
 * pilot=pilot.0001}; an earlier attempt may have run on another). Rows are in time order.
 */
final class ProfileWriter {

    static final String HEADER = "#time,event,comp,thread,uid,state,msg";

    /** One row before it is written. */
    private record Row(long millis, String comp, String uid, String state, String msg) { }

    private final List<Row> rows = new ArrayList<>();

    <S extends Enum<S>> void add(String uid, List<StateEntry<S>> history, String pilot) {
        for (StateEntry<S> e : history) {
            rows.add(new Row(e.time().toEpochMilli(), e.clock() == null ? "unknown" : e.clock(), uid,
                    e.state().name(), "attempt=" + e.attempt() + (pilot == null ? "" : " pilot=" + pilot)));
        }
    }

    /** Writes the rows to {@code file} (replacing it); returns how many. */
    int write(Path file) throws IOException {
        rows.sort(Comparator.comparingLong(Row::millis));
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write(HEADER);
            w.newLine();
            for (Row r : rows) {
                // uids, states and clocks never hold a comma; pilot uids neither
                w.write(String.format(Locale.ROOT, "%s,advance,%s,,%s,%s,%s",
                        java.math.BigDecimal.valueOf(r.millis(), 3).toPlainString(), r.comp(), r.uid(), r.state(),
                        r.msg()));
                w.newLine();
            }
        }
        return rows.size();
    }
}
