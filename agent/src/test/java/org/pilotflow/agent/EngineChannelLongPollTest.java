package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pilotflow.agent.FakeEngine.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pilotflow.agent.channel.EngineChannel;
import org.pilotflow.agent.channel.ReportQueue;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;

/** The channel against an engine that holds syncs with nothing to carry (a long poll), on a real port. */
class EngineChannelLongPollTest {
    static final String SECRET = "s3cret";
    /** Far longer than any wait below: a report that waited for the hold to end would fail the test. */
    static final long HOLD_MILLIS = 60_000;

    private final ReportQueue queue = new ReportQueue();
    private FakeEngine engine;
    private EngineChannel channel;
    private Thread channelThread;

    @AfterEach
    void close() throws Exception {
        if (channel != null) {
            channel.stop();
            queue.wakeUp();
            channelThread.join(5000);
        }
        if (engine != null) {
            engine.close();
        }
    }

    private void start() {
        channel = new EngineChannel("pilot.0", List.of(engine.endpoint()), true, SECRET, 1000, 600_000, queue,
                new EngineChannel.Listener() {
                    @Override
                    public void commands(List<Command> commands) {
                    }

                    @Override
                    public void orphaned(long silentMillis) {
                    }
                }, "test-host");
        channelThread = new Thread(channel, "channel-under-test");
        channelThread.setDaemon(true);
        channelThread.start();
    }

    @Test
    void aReportQueuedWhileTheEngineHoldsASyncGoesAtOnce() throws Exception {
        engine = new FakeEngine(SECRET);
        engine.holdEmptyMillis = HOLD_MILLIS;
        start();
        await("a sync with nothing in it is held", Duration.ofSeconds(30), () -> !engine.requests.isEmpty());

        long queued = System.nanoTime();
        queue.offer(new Report(0, "u1", "DONE", Map.of("DONE", 1L), 0, null, null, null, null, List.of()));
        await("the report arrived while the first sync was still held", Duration.ofSeconds(30),
                () -> engine.applied.size() == 1);
        long tookMillis = (System.nanoTime() - queued) / 1_000_000;

        assertThat(tookMillis).as("the report did not wait for the held sync").isLessThan(HOLD_MILLIS / 2);
        assertThat(channel.cutShortCount()).isEqualTo(1);
        assertThat(engine.applied.get(0).unitId()).isEqualTo("u1");
        await("the acknowledgement came back", Duration.ofSeconds(30), queue::allAcked);
        assertThat(channel.failureCount()).as("abandoning the held sync cost no failed sync").isZero();
        // the abandoned sync's thread is free again: the next long poll goes out while the first is still held
        await("the next long poll reached the engine", Duration.ofSeconds(30), () -> engine.requests.size() >= 3);
        assertThat(channel.failureCount()).as("no interrupt of the abandoned sync reached the next one").isZero();
    }

    @Test
    void anEngineThatAnswersEmptySyncsAtOnceIsNotPolledInATightLoop() throws Exception {
        engine = new FakeEngine(SECRET); // holds nothing: the agent paces itself
        start();
        await("a first sync", Duration.ofSeconds(30), () -> !engine.requests.isEmpty());
        long first = channel.syncCount();
        Thread.sleep(1500); // a window to count in, not a wait for an event
        long perSecond = (channel.syncCount() - first) * 1000 / 1500;
        assertThat(perSecond).as("syncs a second with an idle pause of %d ms", EngineChannel.IDLE_PAUSE_MILLIS)
                .isLessThanOrEqualTo(1000 / EngineChannel.IDLE_PAUSE_MILLIS + 1);
        assertThat(channel.cutShortCount()).isZero();
    }
}
