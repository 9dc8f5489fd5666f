package org.pilotflow.resource.lsf;

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
import org.pilotflow.resource.shell.CommandResult;

/** LSF's commands as real processes: fake bsub, bjobs and bkill on this host that answer with the samples. */
class LsfCommandsTest {

    @TempDir
    Path dir;

    private static String sample(String name) {
        return Samples.read("lsf", name);
    }

    private JobManagerCommands commands(FakeCommands fakes) {
        return new JobManagerCommands(fakes, Map.of("LSF_ENVDIR", "/opt/lsf/conf"));
    }

    @Test
    void theScriptReachesBsubOnItsStandardInputAndTheJobIdIsRead() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("bsub", 0, sample("bsub.txt"), "");
        Path script = dir.resolve("a dir with 'quotes'").resolve("pilot.lsf");
        java.nio.file.Files.createDirectories(script.getParent());
        java.nio.file.Files.writeString(script, "#!/bin/sh\n#BSUB -J pilot.0001.s1\nexec true\n");

        CommandResult r = commands(fakes).run(new Lsf().submitCommand(script.toString()));

        assertThat(r.ok()).as(r.describe()).isTrue();
        assertThat(new Lsf().jobId(r)).hasValue("81234");
        assertThat(fakes.stdin("bsub")).isEqualTo("#!/bin/sh\n#BSUB -J pilot.0001.s1\nexec true\n");
        assertThat(fakes.calls()).containsExactly("bsub");
        assertThat(new Lsf().submitProgram()).isEqualTo("bsub");
    }

    @Test
    void aRejectedSubmissionFailsWithBsubsOwnWords() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("bsub", 255, "", sample("bsub-bad-queue.txt"));
        Path script = java.nio.file.Files.writeString(dir.resolve("pilot.lsf"), "#BSUB -q nosuch\n");

        CommandResult r = commands(fakes).run(new Lsf().submitCommand(script.toString()));

        assertThat(r.exitCode()).isEqualTo(255);
        assertThat(new Lsf().submitError(r)).isEqualTo("nosuch: No such queue. Job not submitted.");
        assertThat(new Lsf().jobId(r)).isEmpty();
    }

    @Test
    void oneBjobsForAllJobsMapsEveryStateAndAForgottenJobIsGone() {
        FakeCommands fakes = new FakeCommands(dir).program("bjobs", 255, sample("bjobs-json.txt"), "");
        List<String> ids = List.of("81230", "81231", "81232", "81233", "81234", "81235", "99999");

        Map<String, JobStatus> s = new Lsf().statuses(commands(fakes), ids);

        assertThat(s.get("81230")).isEqualTo(JobStatus.running());
        assertThat(s.get("81231")).isEqualTo(new JobStatus(State.QUEUED, "LSF job 81231 PEND"));
        assertThat(s.get("81232")).isEqualTo(JobStatus.gone("LSF job 81232 DONE"));
        assertThat(s.get("81233")).isEqualTo(JobStatus.gone("LSF job 81233 EXIT with exit code 3"));
        assertThat(s.get("81234")).isEqualTo(JobStatus.gone("LSF job 81234 EXIT with exit code 130 (killed by owner "
                + "or administrator)"));
        assertThat(s.get("81235")).isEqualTo(JobStatus.gone("LSF job 81235 EXIT with exit code 140 (job killed after "
                + "reaching LSF run time limit)"));
        assertThat(s.get("99999")).isEqualTo(JobStatus.gone("LSF job 99999 is not known to bjobs (Job <99999> is not "
                + "found): it finished longer ago than CLEAN_PERIOD, or never was"));
        assertThat(fakes.calls()).containsExactly("bjobs -a -json -o jobid stat exit_code exit_reason "
                + String.join(" ", ids));
    }

    @Test
    void aJobBjobsLeavesOutOrReportsAnotherErrorForIsUnknownNotGone() {
        FakeCommands fakes = new FakeCommands(dir).program("bjobs", 255, "{\"COMMAND\":\"bjobs\",\"JOBS\":1,"
                + "\"RECORDS\":[{\"ERROR\":\"Job <81240> is not found\"}]}", "");

        Map<String, JobStatus> s = new Lsf().statuses(commands(fakes), List.of("81240", "81241"));

        assertThat(s.get("81240").state()).isEqualTo(State.GONE);
        assertThat(s.get("81241")).isEqualTo(JobStatus.unknown("bjobs on localhost printed no record of LSF job 81241"));
    }

    @Test
    void aFailingOrGarbledBjobsMakesEveryJobUnknownWithItsMessage() {
        FakeCommands fakes = new FakeCommands(dir).program("bjobs", 255, "",
                "LSF is down. Please wait ...\nbatch system daemon not responding ... still trying\n");
        assertThat(new Lsf().statuses(commands(fakes), List.of("81230")).get("81230")).isEqualTo(JobStatus.unknown(
                "bjobs on localhost failed: 'bjobs' exited with 255: LSF is down. Please wait ...; batch system "
                        + "daemon not responding ... still trying"));

        fakes.program("bjobs", 0, "{\"RECORDS\":[{\"JOBID\":\"81230\",\"STAT\":\"ZOMBI\"}]}", "");
        assertThat(new Lsf().statuses(commands(fakes), List.of("81230")).get("81230")).isEqualTo(JobStatus.unknown(
                "LSF job 81230 is in state ZOMBI, which PilotFlow does not know (expected one of PEND PSUSP WAIT "
                        + "PROV RUN USUSP SSUSP DONE EXIT)"));
        fakes.program("bjobs", 0, "JOBID STAT\n81230 RUN\n", "");
        assertThat(new Lsf().statuses(commands(fakes), List.of("81230")).get("81230").reason())
                .startsWith("bjobs on localhost: bjobs -json printed no JSON (");
    }

    @Test
    void findAsksBjobsForTheNameAndReturnsTheOldestFirst() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("bjobs", 0, sample("bjobs-named.txt"), "");

        assertThat(new Lsf().liveJobsNamed(commands(fakes), "pilot.0000.s1")).containsExactly("81236", "81240");
        assertThat(fakes.calls()).containsExactly("bjobs -json -o jobid stat -J pilot.0000.s1");

        fakes.program("bjobs", 255, "", sample("bjobs-none.txt"));
        assertThat(new Lsf().liveJobsNamed(commands(fakes), "pilot.0000.s1")).isEmpty();
        fakes.program("bjobs", 255, "", "LSF is down. Please wait ...\n");
        assertThatThrownBy(() -> new Lsf().liveJobsNamed(commands(fakes), "pilot.0000.s1"))
                .isInstanceOf(ResourceException.class).hasMessageContaining("LSF is down");
    }

    @Test
    void cancelIsIdempotentForFinishedAndForgottenJobsAndReportsOtherFailures() throws Exception {
        FakeCommands fakes = new FakeCommands(dir).program("bkill", 0, sample("bkill.txt"), "");
        new Lsf().cancel(commands(fakes), "81230");
        fakes.program("bkill", 255, "", sample("bkill-finished.txt"));
        new Lsf().cancel(commands(fakes), "81232");
        fakes.program("bkill", 255, "", sample("bkill-unknown.txt"));
        new Lsf().cancel(commands(fakes), "99999");
        assertThat(fakes.calls()).containsExactly("bkill 81230", "bkill 81232", "bkill 99999");

        fakes.program("bkill", 255, "", "Job <81230>: User permission denied\n");
        assertThatThrownBy(() -> new Lsf().cancel(commands(fakes), "81230"))
                .isInstanceOf(ResourceException.class)
                .hasMessage("bkill of LSF job 81230 on localhost failed: 'bkill' exited with 255: Job <81230>: User "
                        + "permission denied");
    }
}
