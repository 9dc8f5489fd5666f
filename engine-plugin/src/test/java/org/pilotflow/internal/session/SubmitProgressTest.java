package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SubmitProgressTest {

    private static final long S = 1_000_000_000L;

    @Test
    void theLineSaysHowFarHowFastAndHowLong() {
        SubmitProgress p = new SubmitProgress("umgr.0000", 100_000, 0);
        assertThat(p.line(12_400, 10 * S))
                .isEqualTo("unit manager umgr.0000: 12,400 of 100,000 units stored; 1,240.0/s over 10 s, "
                        + "about 1 min 11 s left");
        assertThat(p.line(100_000, 80 * S)).endsWith("1,250.0/s over 1 min 20 s, all stored");
        assertThat(p.line(0, 10 * S)).endsWith("no estimate yet");
    }

    @Test
    void oneLinePerIntervalAndAtTheEndOfALongSubmissionOnly() {
        Logger log = (Logger) LoggerFactory.getLogger("org.pilotflow.progress");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            SubmitProgress quick = new SubmitProgress("umgr.0000", 400, 0);
            quick.stored(200, S);
            quick.stored(400, 2 * S);
            quick.finished(2 * S);
            assertThat(lines.list).as("a submission shorter than the interval says nothing").isEmpty();

            SubmitProgress slow = new SubmitProgress("umgr.0001", 1000, 0);
            slow.stored(200, 9 * S);
            slow.stored(400, 10 * S);
            slow.stored(600, 15 * S);
            slow.stored(800, 20 * S);
            slow.stored(1000, 21 * S);
            slow.finished(21 * S);
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "unit manager umgr.0001: 400 of 1,000 units stored; 40.0/s over 10 s, about 15 s left",
                    "unit manager umgr.0001: 800 of 1,000 units stored; 40.0/s over 20 s, about 5 s left",
                    "unit manager umgr.0001: 1,000 of 1,000 units stored; 47.6/s over 21 s, all stored");
        } finally {
            log.detachAppender(lines);
        }
    }
}
