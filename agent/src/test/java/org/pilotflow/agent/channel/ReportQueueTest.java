package org.pilotflow.agent.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.pilotflow.model.wire.Report;

class ReportQueueTest {

    private static Report r(String unit, String state, long ts) {
        return new Report(0, unit, state, Map.of(state, ts), null, null, null, null, null, List.of());
    }

    @Test
    void numbersReportsWhenSentAndResendsUntilAcked() {
        ReportQueue q = new ReportQueue();
        q.offer(r(null, "ACTIVE", 1));
        q.offer(r("u1", "ALLOCATING", 2));
        List<Report> first = q.nextBatch(10);
        assertThat(first).extracting(Report::seq).containsExactly(1L, 2L);
        q.offer(r("u2", "ALLOCATING", 3));
        assertThat(q.nextBatch(10)).extracting(Report::seq).containsExactly(1L, 2L, 3L);
        q.ack(2);
        assertThat(q.nextBatch(10)).extracting(Report::seq).containsExactly(3L);
        q.ack(1); // stale ack is harmless
        q.ack(3);
        assertThat(q.allAcked()).isTrue();
        assertThat(q.nextBatch(10)).isEmpty();
    }

    @Test
    void coalescesPendingReportsPerUnitButNeverChangesSentOnes() {
        ReportQueue q = new ReportQueue();
        q.offer(r("u1", "ALLOCATING", 1));
        q.offer(r("u1", "EXECUTING", 2));
        List<Report> b = q.nextBatch(10);
        assertThat(b).hasSize(1);
        assertThat(b.get(0).state()).isEqualTo("EXECUTING");
        assertThat(b.get(0).timestamps()).containsEntry("ALLOCATING", 1L).containsEntry("EXECUTING", 2L);
        q.offer(new Report(0, "u1", "DONE", Map.of("DONE", 3L), 0, null, "out", "", "/sb", List.of("h:0")));
        List<Report> b2 = q.nextBatch(10);
        assertThat(b2).extracting(Report::state).containsExactly("EXECUTING", "DONE");
        assertThat(b2).extracting(Report::seq).containsExactly(1L, 2L);
        assertThat(b2.get(1).slots()).containsExactly("h:0");
    }

    @Test
    void batchesAreBounded() {
        ReportQueue q = new ReportQueue();
        for (int i = 0; i < 5; i++) {
            q.offer(r("u" + i, "ALLOCATING", i));
        }
        assertThat(q.nextBatch(3)).extracting(Report::seq).containsExactly(1L, 2L, 3L);
        assertThat(q.nextBatch(3)).extracting(Report::seq).containsExactly(1L, 2L, 3L);
        q.ack(3);
        assertThat(q.nextBatch(3)).extracting(Report::seq).containsExactly(4L, 5L);
    }

    @Test
    void batchesStayUnderTheirSizeAndALargeReportStillGoesAlone() throws Exception {
        List<org.pilotflow.model.memory.MemorySample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < org.pilotflow.model.memory.MemoryProfile.MAX_SAMPLES - 1; i++) {
            samples.add(new org.pilotflow.model.memory.MemorySample(i * 2000L, 1L << 40, 1L << 40, 1L << 30));
        }
        var profile = org.pilotflow.model.memory.MemoryProfile.of(0, 2000, samples);
        ReportQueue q = new ReportQueue();
        for (int i = 0; i < 4; i++) {
            q.offer(new Report(0, "unit.00000" + i, "DONE", Map.of("DONE", 1L), 0, null, "x".repeat(4096),
                    "y".repeat(4096), "/sandbox/unit.00000" + i, List.of("localhost:0"), profile, null));
        }
        Report one = q.nextBatch(10, 1).get(0);
        long actual = org.pilotflow.model.wire.Wire.mapper().writeValueAsBytes(one).length;
        assertThat(ReportQueue.estimatedBytes(one)).as("the estimate is an upper bound").isGreaterThanOrEqualTo(actual);
        assertThat(q.nextBatch(10, 1)).as("one report however large").hasSize(1);
        assertThat(q.nextBatch(10, 2 * ReportQueue.estimatedBytes(one))).extracting(Report::seq)
                .containsExactly(1L, 2L);
        q.ack(2);
        assertThat(q.nextBatch(10, Long.MAX_VALUE)).extracting(Report::seq).containsExactly(3L, 4L);
    }
}
