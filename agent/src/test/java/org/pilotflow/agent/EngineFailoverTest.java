package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pilotflow.agent.FakeEngine.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.channel.EngineChannel;
import org.pilotflow.agent.channel.ReportQueue;
import org.pilotflow.agent.channel.TlsFixture;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;

/**
 * An agent with several engine endpoints (nodes of one engine cluster, {@link FakeEngine#sibling()}) on real
 * ports: closed, stopped mid-run, frozen, or naming other nodes in their responses.
 */
class EngineFailoverTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String SECRET = "s3cret";

    @TempDir
    Path sandbox;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ReportQueue queue = new ReportQueue();
    private final CompletableFuture<Long> orphaned = new CompletableFuture<>();
    private EngineChannel channel;
    private Thread channelThread;

    @AfterEach
    void close() throws Exception {
        if (channel != null) {
            channel.stop();
            channelThread.join(5000);
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private FakeEngine engine() throws IOException {
        return closeLater(new FakeEngine(SECRET));
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    /** An address where nothing listens: connections are refused. */
    private static String closedEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    /** A frozen node (as if SIGSTOPped): the kernel accepts connections, nobody ever reads or answers. */
    private String frozenEndpoint() throws IOException {
        ServerSocket s = closeLater(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
        return "http://127.0.0.1:" + s.getLocalPort();
    }

    private EngineChannel start(List<String> endpoints, boolean fixed, long heartbeatMillis, long orphanMillis) {
        channel = new EngineChannel("pilot.0", endpoints, fixed, SECRET, heartbeatMillis, orphanMillis, queue,
                new EngineChannel.Listener() {
                    @Override
                    public void commands(List<Command> commands) {
                    }

                    @Override
                    public void orphaned(long silentMillis) {
                        orphaned.complete(silentMillis);
                    }
                }, "test-host");
        channelThread = new Thread(channel, "channel-under-test");
        channelThread.setDaemon(true);
        channelThread.start();
        return channel;
    }

    private void offer(int from, int to) {
        for (int i = from; i < to; i++) {
            queue.offer(new Report(0, "u" + i, "ALLOCATING", Map.of("ALLOCATING", (long) i), null, null, null, null,
                    null, List.of()));
        }
    }

    /** Every report the queue numbered was applied exactly once, in order. */
    private static void assertAppliedOnceEach(FakeEngine engine, long reports) {
        assertThat(engine.applied).extracting(Report::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, reports).boxed().toList());
    }

    @Test
    void aClosedFirstEndpointCostsOneSwitchAndTheReportsArriveAtTheSecond() throws Exception {
        FakeEngine second = engine();
        String closed = closedEndpoint();
        offer(0, 10);
        start(List.of(closed, second.endpoint()), false, 1000, 30_000);
        await("all reports acknowledged", WAIT, queue::allAcked);
        assertAppliedOnceEach(second, 10);
        assertThat(channel.currentEndpoint()).isEqualTo(second.endpoint());
        assertThat(channel.switchCount()).isEqualTo(1);
        assertThat(channel.failureCount()).isEqualTo(1);
    }

    @Test
    void whenTheFirstNodeDiesMidRunTheAgentGoesOnWithTheSecondAndEveryReportIsAppliedOnce() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        start(List.of(first.endpoint(), second.endpoint()), false, 200, 30_000);
        Thread producer = new Thread(() -> {
            for (int i = 0; i < 300; i++) {
                offer(i, i + 1);
                try {
                    Thread.sleep(1); // spread the reports over many syncs, before and after the node dies
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "producer");
        producer.start();
        await("some reports applied through the first node", WAIT, () -> first.ackedSeq() >= 50);
        first.close();
        producer.join();
        await("all reports acknowledged", WAIT, queue::allAcked);
        assertThat(queue.lastSeq()).isEqualTo(300);
        assertAppliedOnceEach(first, 300); // first and second share the database
        assertThat(second.requests).isNotEmpty();
        assertThat(channel.currentEndpoint()).isEqualTo(second.endpoint());
        assertThat(channel.switchCount()).isEqualTo(1);
    }

    @Test
    void aFrozenNodeIsLeftWithinTheFailoverTimeout() throws Exception {
        FakeEngine second = engine();
        String frozen = frozenEndpoint();
        offer(0, 5);
        long t0 = System.nanoTime();
        // heartbeat 100 ms: the failover timeout is max(2 s, 10 heartbeats) = 2 s, not the 30 s of one endpoint
        start(List.of(frozen, second.endpoint()), false, 100, 60_000);
        await("all reports acknowledged by the second node", WAIT, queue::allAcked);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(millis).as("time to leave the frozen node").isBetween(1500L, 8000L);
        assertAppliedOnceEach(second, 5);
        assertThat(channel.currentEndpoint()).isEqualTo(second.endpoint());
        assertThat(channel.switchCount()).isEqualTo(1);
    }

    @Test
    void aNodeAnswering503OrRefusingTheSecretIsLeftForTheNext() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        FakeEngine third = closeLater(first.sibling());
        first.failWith = 503;
        second.refuseAll = true; // e.g. a node that has not seen the pilot's secret committed yet
        offer(0, 3);
        start(List.of(first.endpoint(), second.endpoint(), third.endpoint()), false, 1000, 30_000);
        await("all reports acknowledged", WAIT, queue::allAcked);
        assertAppliedOnceEach(third, 3);
        assertThat(first.statuses).containsExactly(503);
        assertThat(second.statuses).containsExactly(401);
        assertThat(channel.currentEndpoint()).isEqualTo(third.endpoint());
        assertThat(channel.switchCount()).isEqualTo(2);
    }

    @Test
    void anEndpointListInAResponseIsAdoptedAndTheAgentMovesOffANodeThatLeftIt() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        FakeEngine third = closeLater(first.sibling());
        first.endpointsToSend = List.of(second.endpoint() + "/", third.endpoint());
        offer(0, 1);
        start(List.of(first.endpoint()), false, 100, 30_000);
        await("a sync at the second node, which only the engine's list names", WAIT,
                () -> !second.requests.isEmpty());
        int atFirst = first.requests.size();
        assertThat(channel.endpoints()).containsExactly(second.endpoint(), third.endpoint());
        offer(1, 20);
        await("all reports acknowledged", WAIT, queue::allAcked);
        await("ten more syncs at the second node", WAIT, () -> second.requests.size() >= 10);
        assertThat(first.requests).as("no sync at the first node once it left the list").hasSize(atFirst);
        assertThat(third.requests).isEmpty();
        assertAppliedOnceEach(first, 20);

        second.close(); // and the adopted list is what the agent fails over in
        await("syncs at the third node", WAIT, () -> !third.requests.isEmpty());
        assertThat(channel.currentEndpoint()).isEqualTo(third.endpoint());
    }

    @Test
    void anHttpsNodeTheEngineNamesIsReachedWithTheJvmsTrustThoughTheFirstEndpointWasPlainHttp() throws Exception {
        TlsFixture tls = new TlsFixture(sandbox);
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.tlsSibling(tls.server));
        assertThat(second.endpoint()).startsWith("https://");
        first.endpointsToSend = List.of(second.endpoint());
        SSLContext jvmDefault = SSLContext.getDefault();
        SSLContext.setDefault(tls.trusting); // as -Djavax.net.ssl.trustStore would
        try {
            offer(0, 5);
            start(List.of(first.endpoint()), false, 100, 30_000);
            await("the reports applied through the HTTPS node", WAIT, () -> first.applied.size() == 5
                    && second.statuses.contains(200));
            offer(5, 10);
            await("the later reports too", WAIT, () -> first.applied.size() == 10);
            assertAppliedOnceEach(first, 10);
            assertThat(channel.currentEndpoint()).isEqualTo(second.endpoint());
        } finally {
            SSLContext.setDefault(jvmDefault);
        }
    }

    @Test
    void anAdoptedListThatStillHasTheCurrentNodeCausesNoSwitch() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        first.endpointsToSend = List.of(second.endpoint(), first.endpoint());
        start(List.of(first.endpoint()), false, 100, 30_000);
        await("the list adopted", WAIT, () -> channel.endpoints().size() == 2);
        int atAdoption = first.requests.size();
        await("ten more syncs at the first node", WAIT, () -> first.requests.size() >= atAdoption + 10);
        assertThat(second.requests).isEmpty();
        assertThat(channel.switchCount()).isZero();
        assertThat(channel.endpoints()).containsExactly(second.endpoint(), first.endpoint());

        first.close(); // round robin from the last entry wraps around to the first
        await("syncs at the second node", WAIT, () -> !second.requests.isEmpty());
        assertThat(channel.switchCount()).isEqualTo(1);
    }

    @Test
    void fixedEndpointsIgnoreTheEnginesList() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        first.endpointsToSend = List.of(second.endpoint());
        start(List.of(first.endpoint()), true, 100, 30_000);
        await("ten syncs at the first node", WAIT, () -> first.requests.size() >= 10);
        assertThat(second.requests).isEmpty();
        assertThat(channel.endpoints()).containsExactly(first.endpoint());
        assertThat(channel.currentEndpoint()).isEqualTo(first.endpoint());
    }

    @Test
    void whenEveryEndpointIsDeadTheOrphanTimeoutStillEndsTheChannel() throws Exception {
        start(List.of(closedEndpoint(), frozenEndpoint()), false, 100, 1500);
        long silent = orphaned.get(15, TimeUnit.SECONDS);
        assertThat(silent).isBetween(1500L, 6000L);
        assertThat(channel.syncCount()).isEqualTo(channel.failureCount()).isPositive();
        channelThread.join(5000);
        assertThat(channelThread.isAlive()).isFalse();
    }

    @Test
    void aBusyEngineThatHeardTheAgentKeepsItFromFeelingOrphaned() throws Exception {
        FakeEngine busy = engine();
        busy.failWith = 503;
        busy.failHeard = true; // PilotFlow's own "busy, try again": the agent was heard, its sync not worked on
        offer(0, 2);
        // an orphan timeout above the longest backoff (2 s), as in production (5 min)
        start(List.of(busy.endpoint()), false, 100, 4000);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * 4000);
        while (System.nanoTime() < until) { // two orphan timeouts of nothing but 503 busy
            assertThat(orphaned).as("orphaned while the engine answers busy").isNotDone();
            Thread.sleep(50);
        }
        assertThat(busy.statuses).hasSizeGreaterThan(1).containsOnly(503);
        busy.failWith = 0;
        await("all reports acknowledged", WAIT, queue::allAcked);
        assertThat(orphaned).isNotDone();
    }

    @Test
    void a503WithoutTheEnginesMarkIsNoSignOfLifeAndTheOrphanTimeoutEndsTheChannel() throws Exception {
        FakeEngine proxy = engine(); // e.g. a load balancer in front of engine nodes that are all gone
        proxy.failWith = 503;
        start(List.of(proxy.endpoint()), false, 100, 1500);
        long silent = orphaned.get(15, TimeUnit.SECONDS);
        assertThat(silent).isBetween(1500L, 6000L);
        assertThat(proxy.statuses).containsOnly(503);
    }

    @Test
    void anAgentWhoseEngineNodesAllDieEndsOrphanedWithExitCode3() throws Exception {
        FakeEngine first = engine();
        FakeEngine second = closeLater(first.sibling());
        AgentConfig cfg = new AgentConfig("session.0", "pilot.0", List.of(first.endpoint(), second.endpoint()),
                SECRET, sandbox.toString(), 1, 0, 600, 1000, 1500);
        Agent agent = new Agent(cfg, new Agent.Options(300, 5000, 2, 10_000), AgentTest.forkEnv());
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return agent.run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        first.command(Command.run(first.nextCommandSeq(), AgentTest.unit("u", 1, "/bin/sleep", "60")));
        await("u EXECUTING", WAIT, () -> "EXECUTING".equals(first.state("u")));
        first.close();
        await("syncs at the second node", WAIT, () -> !second.requests.isEmpty());
        second.close();
        long t0 = System.nanoTime();
        assertThat(exit.get(15, TimeUnit.SECONDS)).isEqualTo(AgentMain.EXIT_ORPHANED);
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(1000L, 8000L);
    }
}
