package org.pilotflow.resource.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.batch.Samples;

/** Parsing real squeue, scontrol, sacct and sbatch output, and SLURM's states as JobStatuses. */
class SlurmOutputTest {

    private static String sample(String name) {
        return Samples.read("slurm", name);
    }

    @Test
    void squeueListsEveryJobWithStateAndReason() {
        Map<String, SlurmJob> jobs = SlurmOutput.squeue(sample("squeue.txt"));

        assertThat(jobs).containsOnlyKeys("12", "13", "14", "15", "16", "17");
        assertThat(jobs.get("16")).isEqualTo(new SlurmJob("16", "PENDING", "Resources", ""));
        assertThat(jobs.get("15")).isEqualTo(new SlurmJob("15", "RUNNING", "None", ""));
        assertThat(jobs.get("13")).isEqualTo(new SlurmJob("13", "FAILED", "NonZeroExitCode", ""));
    }

    @Test
    void squeueStatesMapToQueuedRunningGone() {
        Map<String, SlurmJob> jobs = SlurmOutput.squeue(sample("squeue.txt"));

        assertThat(SlurmStates.status(jobs.get("16")))
                .isEqualTo(new JobStatus(State.QUEUED, "SLURM job 16 PENDING (reason: Resources)"));
        assertThat(SlurmStates.status(jobs.get("17")).state()).isEqualTo(State.QUEUED);
        assertThat(SlurmStates.status(jobs.get("15"))).isEqualTo(JobStatus.running());
        assertThat(SlurmStates.status(jobs.get("14")))
                .isEqualTo(JobStatus.gone("SLURM job 14 CANCELLED (reason: Resources)"));
        assertThat(SlurmStates.status(jobs.get("12")).state()).isEqualTo(State.GONE);
    }

    @Test
    void scontrolGivesExitCodeAndReason() {
        assertThat(SlurmOutput.scontrol(sample("scontrol-failed.txt")))
                .contains(new SlurmJob("13", "FAILED", "NonZeroExitCode", "3:0"));
        assertThat(SlurmOutput.scontrol(sample("scontrol-timeout.txt")))
                .contains(new SlurmJob("7", "TIMEOUT", "TimeLimit", "0:9"));
        assertThat(SlurmOutput.scontrol(sample("scontrol-cancelled.txt")))
                .contains(new SlurmJob("14", "CANCELLED", "Resources", "0:0"));
        assertThat(SlurmOutput.scontrol(sample("scontrol-invalid.txt"))).isEmpty();
    }

    @Test
    void scontrolReasonWithSpacesIsKeptWhole() {
        String line = "JobId=4 JobName=wrap UserId=root(0) JobState=PENDING Reason=Job's account not known, so it "
                + "can't use this partition (acct allows pilotflow) Dependency=(null) ExitCode=0:0 AllocNode:Sid=h:1";
        assertThat(SlurmOutput.scontrol(line)).contains(new SlurmJob("4", "PENDING",
                "Job's account not known, so it can't use this partition (acct allows pilotflow)", "0:0"));
    }

    @Test
    void failedAndTimeoutReadAsSlurmSaysThem() {
        SlurmJob failed = SlurmOutput.scontrol(sample("scontrol-failed.txt")).orElseThrow();
        assertThat(SlurmStates.status(failed))
                .isEqualTo(JobStatus.gone("SLURM job 13 FAILED with exit code 3:0 (reason: NonZeroExitCode)"));
        // TIMEOUT from a real job (a one-minute --time too slow for every test run; captured once)
        SlurmJob timeout = SlurmOutput.scontrol(sample("scontrol-timeout.txt")).orElseThrow();
        assertThat(SlurmStates.status(timeout))
                .isEqualTo(JobStatus.gone("SLURM job 7 TIMEOUT: wall time reached (reason: TimeLimit)"));
        SlurmJob completed = SlurmOutput.scontrol(sample("scontrol-completed.txt")).orElseThrow();
        assertThat(SlurmStates.status(completed))
                .isEqualTo(JobStatus.gone("SLURM job 12 COMPLETED with exit code 0:0 (reason: None)"));
    }

    @Test
    void sacctJobcompRecordsHaveNoReason() {
        Map<String, SlurmJob> jobs = SlurmOutput.sacct(sample("sacct-c.txt"));

        assertThat(jobs).containsOnlyKeys("7", "12", "13", "14");
        assertThat(SlurmStates.status(jobs.get("7"))).isEqualTo(JobStatus.gone("SLURM job 7 TIMEOUT: wall time reached"));
        assertThat(SlurmStates.status(jobs.get("13"))).isEqualTo(JobStatus.gone("SLURM job 13 FAILED with exit code 3:0"));
        assertThat(SlurmStates.status(jobs.get("14"))).isEqualTo(JobStatus.gone("SLURM job 14 CANCELLED"));
    }

    @Test
    void sacctWithSlurmdbdSaysWhoCancelled() {
        // slurmdbd's form (not captured here: the test SLURM has no slurmdbd); the last record of an id wins
        Map<String, SlurmJob> jobs = SlurmOutput.sacct("21|COMPLETED|0:0|None\n21|CANCELLED by 0|0:15|None\n");

        assertThat(SlurmStates.status(jobs.get("21")))
                .isEqualTo(JobStatus.gone("SLURM job 21 CANCELLED by 0 (reason: None)"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "PENDING, QUEUED", "CONFIGURING, QUEUED", "REQUEUED, QUEUED", "REQUEUE_HOLD, QUEUED",
            "SPECIAL_EXIT, QUEUED", "RESV_DEL_HOLD, QUEUED",
            "RUNNING, RUNNING", "COMPLETING, RUNNING", "SUSPENDED, RUNNING", "STOPPED, RUNNING",
            "SIGNALING, RUNNING", "STAGE_OUT, RUNNING", "RESIZING, RUNNING",
            "COMPLETED, GONE", "FAILED, GONE", "CANCELLED, GONE", "CANCELLED+, GONE", "TIMEOUT, GONE",
            "NODE_FAIL, GONE", "PREEMPTED, GONE", "OUT_OF_MEMORY, GONE", "BOOT_FAIL, GONE", "DEADLINE, GONE",
            "REVOKED, GONE",
            "WEIRD_NEW_STATE, UNKNOWN"})
    void everySlurmStateHasAJobStatus(String slurmState, State expected) {
        JobStatus s = SlurmStates.status(new SlurmJob("9", slurmState, "", ""));
        assertThat(s.state()).isEqualTo(expected);
        if (expected == State.GONE || expected == State.UNKNOWN) {
            assertThat(s.reason()).startsWith("SLURM job 9 ").contains(slurmState);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            NODE_FAIL     | SLURM job 9 NODE_FAIL: a node of the job failed
            PREEMPTED     | SLURM job 9 PREEMPTED: preempted by another job
            OUT_OF_MEMORY | SLURM job 9 OUT_OF_MEMORY: out of memory
            BOOT_FAIL     | SLURM job 9 BOOT_FAIL: a node of the job failed to boot
            DEADLINE      | SLURM job 9 DEADLINE: its deadline passed
            """)
    void endedStatesSayWhatTheyMean(String slurmState, String reason) {
        assertThat(SlurmStates.status(new SlurmJob("9", slurmState, "", "0:0")).reason()).isEqualTo(reason);
    }

    @Test
    void sbatchParsableOutputGivesTheJobId() {
        assertThat(SlurmOutput.sbatchJobId("4711\n")).contains("4711");
        assertThat(SlurmOutput.sbatchJobId("4711;cluster2\n")).contains("4711");
        assertThat(SlurmOutput.sbatchJobId("Submitted batch job 4711\n")).isEmpty();
        assertThat(SlurmOutput.sbatchJobId("")).isEmpty();
    }
}
