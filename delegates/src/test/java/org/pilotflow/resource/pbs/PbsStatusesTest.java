package org.pilotflow.resource.pbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.batch.FakeCommands;
import org.pilotflow.resource.batch.JobManagerCommands;
import org.pilotflow.resource.batch.Samples;

/** PBS's commands as real processes: fake qstat, qselect and qdel on this host that answer with the samples. */
class PbsStatusesTest {

    @TempDir
    Path dir;

    private static String sample(String name) {
        return Samples.read("pbs", name);
    }

    private JobManagerCommands commands(FakeCommands fakes) {
        return new JobManagerCommands(fakes, Map.of("PBS_SERVER", "pbs-server"));
    }

    @Test
    void oneQstatForAllJobsMapsEveryStateAndAnUnknownJobIsGone() {
        FakeCommands fakes = new FakeCommands(dir).program("qstat", 153, sample("qstat-json.txt"),
                sample("qstat-unknown.txt"));
        List<String> ids = List.of("4711.pbs-server", "4712.pbs-server", "4713.pbs-server", "4714.pbs-server",
                "4715.pbs-server", "4716.pbs-server", "4717.pbs-server", "9999.pbs-server");

        Map<String, JobStatus> s = new Pbs().statuses(commands(fakes), ids);

        assertThat(s.get("4711.pbs-server")).isEqualTo(JobStatus.running());
        assertThat(s.get("4712.pbs-server")).isEqualTo(new JobStatus(State.QUEUED, "PBS job 4712.pbs-server Q (Not "
                + "Running: Insufficient amount of resource: ncpus (R: 64 A: 28 T: 64))"));
        assertThat(s.get("4713.pbs-server")).isEqualTo(JobStatus.gone("PBS job 4713.pbs-server finished with "
                + "Exit_status 0 (Job run at Tue Dec 02 at 09:40 on (n2:ncpus=2) and finished)"));
        assertThat(s.get("4714.pbs-server").reason()).isEqualTo("PBS job 4714.pbs-server finished with Exit_status 3 "
                + "(Job run at Tue Dec 02 at 09:41 on (n2:ncpus=2) and failed)");
        assertThat(s.get("4715.pbs-server").reason()).contains("Exit_status 143: ended after signal 15 (SIGTERM, e.g. "
                + "qdel)");
        assertThat(s.get("4716.pbs-server").reason()).contains("Exit_status -29: wall time reached");
        assertThat(s.get("4717.pbs-server").state()).isEqualTo(State.QUEUED);
        assertThat(s.get("9999.pbs-server")).isEqualTo(JobStatus.gone("PBS job 9999.pbs-server is not known to the "
                + "server (qstat: Unknown Job Id): it has finished, and job history is off or has expired"));
        assertThat(fakes.calls()).containsExactly("qstat -f -F json -x " + String.join(" ", ids));
    }

    @Test
    void onlyAJobQstatCallsUnknownIsGoneAndOneItMerelyLeftOutIsUnknown() {
        // blank stdout and one Unknown Job Id line: only that id is gone (matched by sequence number, other domain)
        FakeCommands fakes = new FakeCommands(dir).program("qstat", 153, "",
                "qstat: Unknown Job Id 9999.pbs-server.example.org\n");

        Map<String, JobStatus> s = new Pbs().statuses(commands(fakes), List.of("9999.pbs-server", "4711.pbs-server"));

        assertThat(s.get("9999.pbs-server").state()).isEqualTo(State.GONE);
        assertThat(s.get("4711.pbs-server")).isEqualTo(JobStatus.unknown(
                "qstat on localhost neither listed PBS job 4711.pbs-server nor said it is unknown"));

        fakes.program("qstat", 0, "{\"Jobs\": {}}", "");
        assertThat(new Pbs().statuses(commands(fakes), List.of("4711.pbs-server")).get("4711.pbs-server").state())
                .isEqualTo(State.UNKNOWN);
    }

    @Test
    void exitStatusesSaySignalsTheShellsWayAndPbssWay() {
        assertThat(PbsStates.exit(130)).isEqualTo(" with Exit_status 130: ended after signal 2");
        assertThat(PbsStates.exit(255)).isEqualTo(" with Exit_status 255: ended after signal 127");
        assertThat(PbsStates.exit(265)).isEqualTo(" with Exit_status 265: killed by signal 9");
        assertThat(PbsStates.exit(128)).isEqualTo(" with Exit_status 128");
        assertThat(PbsStates.exit(3)).isEqualTo(" with Exit_status 3");
    }

    @Test
    void aFailingOrGarbledQstatMakesEveryJobUnknownWithItsMessage() {
        FakeCommands fakes = new FakeCommands(dir).program("qstat", 1, "",
                "Connection refused\nqstat: cannot connect to server pbs-server (errno=15010)\n");
        assertThat(new Pbs().statuses(commands(fakes), List.of("4711.pbs-server"))).containsEntry("4711.pbs-server",
                JobStatus.unknown("qstat on localhost failed: 'qstat' exited with 1: Connection refused; qstat: "
                        + "cannot connect to server pbs-server (errno=15010)"));

        fakes.program("qstat", 0, "{\"Jobs\": {\"4711.pbs-server\": {\"job_state\": \"Running\"}}}", "");
        assertThat(new Pbs().statuses(commands(fakes), List.of("4711.pbs-server")).get("4711.pbs-server"))
                .isEqualTo(JobStatus.unknown("qstat on localhost: qstat -f -F json: field Jobs.4711.pbs-server."
                        + "job_state is \"Running\", expected one state letter such as \"Q\", \"R\" or \"F\""));
    }

    @Test
    void aStateNobodyKnowsIsUnknownNamingTheExpectedOnes() {
        FakeCommands fakes = new FakeCommands(dir).program("qstat", 0,
                "{\"Jobs\": {\"12.s\": {\"job_state\": \"Z\"}}}", "");
        assertThat(new Pbs().statuses(commands(fakes), List.of("12.s")).get("12.s")).isEqualTo(JobStatus.unknown(
                "PBS job 12.s is in state Z, which PilotFlow does not know (expected one of Q H W T M R E S U B F X)"));
    }

    @Test
    void findAsksQselectForTheNameAndReturnsTheOldestFirst() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("qselect", 0, sample("qselect.txt"), "")
                .variable("USER", "alice");

        assertThat(new Pbs().liveJobsNamed(commands(fakes), "pilot.0000.s1"))
                .containsExactly("4711.pbs-server", "4712.pbs-server");
        // the user's own jobs only, suspended ones (S, U) included
        assertThat(fakes.calls()).containsExactly("qselect -u alice -N pilot.0000.s1 -s QHWTRSU");

        fakes.program("qselect", 0, "", "");
        assertThat(new Pbs().liveJobsNamed(commands(fakes), "pilot.0000.s1")).isEmpty();
        fakes.program("qselect", 2, "", "qselect: cannot connect to server pbs-server (errno=111)\n");
        assertThatThrownBy(() -> new Pbs().liveJobsNamed(commands(fakes), "pilot.0000.s1"))
                .isInstanceOf(ResourceException.class).hasMessageContaining("cannot connect to server");
    }

    @Test
    void cancelIsIdempotentForFinishedAndForgottenJobsAndReportsOtherFailures() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("qdel", 0, "", "");
        new Pbs().cancel(commands(fakes), "4711.pbs-server");
        fakes.program("qdel", 153, "", sample("qdel-unknown.txt"));
        new Pbs().cancel(commands(fakes), "9999.pbs-server");
        fakes.program("qdel", 35, "", sample("qdel-finished.txt"));
        new Pbs().cancel(commands(fakes), "4713.pbs-server");
        assertThat(fakes.calls()).containsExactly("qdel 4711.pbs-server", "qdel 9999.pbs-server",
                "qdel 4713.pbs-server");

        fakes.program("qdel", 159, "", "qdel: Unauthorized Request  4711.pbs-server\n");
        assertThatThrownBy(() -> new Pbs().cancel(commands(fakes), "4711.pbs-server"))
                .isInstanceOf(ResourceException.class)
                .hasMessage("qdel of PBS job 4711.pbs-server on localhost failed: 'qdel' exited with 159: qdel: "
                        + "Unauthorized Request  4711.pbs-server");
    }
}
