package org.pilotflow.internal.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;

/**
 * A unit's output tail may hold binary bytes; PostgreSQL refuses a NUL in text, which made such a report
 * unappliable forever (found by GarbageInputPropertyTest on PostgreSQL). The endpoint replaces NUL before storing.
 */
class SyncRequestNulTest {

    @Test
    void everyNulInAReportBecomesTheReplacementCharacterAndCleanRequestsStayAsTheyAre() {
        Report binary = new Report(7, "unit.000001", "DONE", Map.of("DONE", 1L), 0, "re\0ason", "out\0\0put",
                "err\0", "/sand\0box", List.of("node\0:0"));
        SyncRequest req = new SyncRequest("pilot.0000", 1, 2, "ho\0st", List.of(binary), 3);
        SyncRequest clean = SyncService.withoutNul(req);
        Report r = clean.reports().get(0);
        assertThat(List.of(r.reason(), r.stdoutTail(), r.stderrTail(), r.sandbox(), r.slots().get(0), clean.host()))
                .containsExactly("re\uFFFDason", "out\uFFFD\uFFFDput", "err\uFFFD", "/sand\uFFFDbox", "node\uFFFD:0",
                        "ho\uFFFDst");
        assertThat(r.seq()).isEqualTo(7);
        assertThat(clean.lastCommandSeq()).isEqualTo(3);

        SyncRequest plain = new SyncRequest("pilot.0000", 1, 2, "host", List.of(new Report(8, "unit.000002",
                "DONE", Map.of(), 0, null, "ok", "", null, List.of())), 3);
        assertThat(SyncService.withoutNul(plain)).isSameAs(plain);
    }
}
