package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.camunda.bpm.engine.ExternalTaskService;
import org.camunda.bpm.engine.externaltask.ExternalTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.fork.ForkAdapter;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * Two launch attempts of one pilot at once: what happens when a launch worker's task lock expires while it is
 * still at work (a paused node, a database that refused the lock extension) and another attempt starts. The test
 * unlocks the task itself, which is what an expired lock amounts to. Whatever the interleaving, the pilot ends up
 * with one job and one agent, and runs units.
 */
class LaunchRaceTest {

    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path work;

    @Test
    void aLaterAttemptThatStartedItsOwnJobKeepsItAndTheEarlierAttemptsJobIsKilled() throws Exception {
        try (Session session = session(2)) {
            GatedFork fork = GatedFork.install(session);
            fork.holdBeforeFirstSubmit();
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            fork.awaitHeld();

            unlockLaunchTask(session); // attempt 2 starts on the free launch thread: it finds nothing, submits
            pilot.waitFor(BOUND, PilotState.ACTIVE);
            long second = LocalFixture.agentPid(pilot);

            fork.release(); // attempt 1 submits now, finds attempt 2's job recorded, kills its own
            JobHandle first = fork.awaitSubmitted(2).get(1);
            fork.awaitKilled(first);
            awaitGone(pid(first));

            assertThat(ProcessHandle.of(second)).as("attempt 2's agent").hasValueSatisfying(
                    p -> assertThat(p.isAlive()).isTrue());
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
            assertRunsAUnit(session, pilot);
        }
    }

    @Test
    void aLaterAttemptStillAtWorkAdoptsTheEarlierAttemptsJobAndNothingIsKilled() throws Exception {
        try (Session session = session(2)) {
            GatedFork fork = GatedFork.install(session);
            fork.holdBeforeFirstSubmit();
            fork.holdFind();
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            fork.awaitHeld();

            unlockLaunchTask(session); // attempt 2 starts and waits in find
            fork.awaitFindHeld();
            fork.release(); // attempt 1 submits; attempt 2 has recorded no job yet: attempt 1 must wait for it
            JobHandle first = fork.awaitSubmitted(1).get(0);
            fork.giveAttemptOneTimeToDecide();
            fork.releaseFind(); // attempt 2 finds attempt 1's job and adopts it

            pilot.waitFor(BOUND, PilotState.ACTIVE);
            assertThat(LocalFixture.agentPid(pilot)).isEqualTo(pid(first));
            assertRunsAUnit(session, pilot);
            assertThat(fork.killed).as("kills").isEmpty();
            assertThat(fork.submitted).as("jobs started").hasSize(1);
            assertThat(ProcessHandle.of(pid(first))).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
        }
    }

    @Test
    void anAttemptThatFindsThePilotLaunchedAlreadyOnlyCompletesTheTask() throws Exception {
        try (Session session = session(1)) {
            GatedFork fork = GatedFork.install(session);
            fork.holdAfterFirstSubmit();
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            fork.awaitHeld();

            // attempt 1 has started its job but not recorded it; its task lock goes (the one launch thread takes the
            // task again once attempt 1 is over: attempt 1 records its job but cannot complete a task it lost)
            unlockLaunchTask(session);
            fork.release();

            pilot.waitFor(BOUND, PilotState.ACTIVE);
            assertThat(fork.submitted).as("jobs started").hasSize(1);
            assertThat(fork.finds.get()).as("a second attempt looked for a job").isZero();
            assertThat(LocalFixture.agentPid(pilot)).isEqualTo(pid(fork.submitted.get(0)));
            assertRunsAUnit(session, pilot);
        }
    }

    /** @param launchThreads 2: the second thread takes the task once its lock is gone, as another node would */
    private Session session(int launchThreads) {
        return LocalFixture.builder(work, LocalFixture.config(work).toBuilder().launchThreads(launchThreads).build())
                .create();
    }

    private static void unlockLaunchTask(Session session) {
        ExternalTaskService tasks = session.processEngine().getExternalTaskService();
        ExternalTask task = tasks.createExternalTaskQuery().topicName(BpmnContract.TOPIC_LAUNCH_PILOT).locked()
                .singleResult();
        assertThat(task).as("the locked launch task").isNotNull();
        tasks.unlock(task.getId());
    }

    private static void assertRunsAUnit(Session session, ComputePilot pilot) {
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
        assertThat(u.waitFor(BOUND)).isEqualTo(UnitState.DONE);
    }

    private static long pid(JobHandle h) {
        return Long.parseLong(h.id().substring(h.id().lastIndexOf('/') + 1));
    }

    private static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.nanoTime()).as("process " + pid + " still alive").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** The fork adapter, with gates a test opens: before or after the first submit, and in find. */
    static final class GatedFork implements ResourceAdapter {
        private final ForkAdapter real = new ForkAdapter();
        final List<JobHandle> submitted = new CopyOnWriteArrayList<>();
        final List<JobHandle> killed = new CopyOnWriteArrayList<>();
        final AtomicInteger finds = new AtomicInteger();
        private final AtomicInteger submits = new AtomicInteger();
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final CountDownLatch findHeld = new CountDownLatch(1);
        private final CountDownLatch findRelease = new CountDownLatch(1);
        private volatile boolean before;
        private volatile boolean after;
        private volatile boolean gateFind;

        static GatedFork install(Session session) {
            GatedFork f = new GatedFork();
            PilotFlowRuntime.of(session.processEngine()).adapters().register(ForkAdapter.NAME, f);
            return f;
        }

        void holdBeforeFirstSubmit() {
            before = true;
        }

        void holdAfterFirstSubmit() {
            after = true;
        }

        void holdFind() {
            gateFind = true;
        }

        void awaitHeld() throws InterruptedException {
            assertThat(held.await(BOUND.toSeconds(), TimeUnit.SECONDS)).as("the first submit reached its gate")
                    .isTrue();
        }

        void awaitFindHeld() throws InterruptedException {
            assertThat(findHeld.await(BOUND.toSeconds(), TimeUnit.SECONDS)).as("a find reached its gate").isTrue();
        }

        void release() {
            release.countDown();
        }

        void releaseFind() {
            findRelease.countDown();
        }

        List<JobHandle> awaitSubmitted(int n) throws InterruptedException {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (submitted.size() < n) {
                assertThat(System.nanoTime()).as(n + " jobs submitted").isLessThan(deadline);
                Thread.sleep(20);
            }
            return submitted;
        }

        void awaitKilled(JobHandle h) throws InterruptedException {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!killed.contains(h)) {
                assertThat(System.nanoTime()).as(h + " killed").isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        /**
         * Gives attempt 1, whose job is submitted while attempt 2 is held in find, time to consult the store: it
         * asks once a second until attempt 2 records a job. An attempt that killed its job at once (the behaviour
         * this test guards against) does so within that time; a shorter wait only makes the test weaker.
         */
        void giveAttemptOneTimeToDecide() throws InterruptedException {
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until && killed.isEmpty()) {
                Thread.sleep(50);
            }
            assertThat(killed).as("attempt 1 killed its job while attempt 2 was at work").isEmpty();
        }

        @Override
        public Submitted submit(PilotLaunch launch) throws ResourceException {
            boolean first = submits.incrementAndGet() == 1;
            if (first && before) {
                gate();
            }
            Submitted s = real.submit(launch);
            submitted.add(s.handle());
            if (first && after) {
                gate();
            }
            return s;
        }

        private void gate() {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public Optional<Submitted> find(PilotLaunch launch) throws ResourceException {
            finds.incrementAndGet();
            if (gateFind) {
                findHeld.countDown();
                try {
                    findRelease.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return real.find(launch);
        }

        @Override
        public JobStatus status(JobHandle handle) {
            return real.status(handle);
        }

        @Override
        public Map<JobHandle, JobStatus> statusAll(java.util.Collection<JobHandle> handles) {
            return real.statusAll(handles);
        }

        @Override
        public void kill(JobHandle handle) throws ResourceException {
            killed.add(handle);
            real.kill(handle);
        }

        @Override
        public ResourceShell shell(JobHandle handle) throws ResourceException {
            return real.shell(handle);
        }

        @Override
        public String logTail(JobHandle handle, String sandbox) {
            return real.logTail(handle, sandbox);
        }
    }
}
