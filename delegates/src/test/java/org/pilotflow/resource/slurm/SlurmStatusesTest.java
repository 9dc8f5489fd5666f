package org.pilotflow.resource.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.batch.CannedShell;
import org.pilotflow.resource.batch.JobManagerCommands;
import org.pilotflow.resource.batch.RecordingShell;
import org.pilotflow.resource.batch.Samples;
import org.pilotflow.resource.shell.CommandResult;

/** Which commands the SLURM status lookup runs, and what it makes of their (real, captured) answers. */
class SlurmStatusesTest {

    private final CannedShell host = new CannedShell("login.example.org");
    private final RecordingShell shell = new RecordingShell(host);
    private final JobManagerCommands commands = new JobManagerCommands(shell, Map.of("SLURM_CONF", "/etc/x.conf"));

    private static String sample(String name) {
        return Samples.read("slurm", name);
    }

    private void slurmWithoutSlurmdbd() {
        host.answer("squeue", 0, sample("squeue.txt"), "");
        host.answer("scontrol", argv -> {
            String id = argv.get(argv.size() - 1);
            String file = Map.of("12", "scontrol-completed.txt", "13", "scontrol-failed.txt",
                    "14", "scontrol-cancelled.txt").get(id);
            return file == null ? new CommandResult(argv, 1, "", sample("scontrol-invalid.txt"))
                    : new CommandResult(argv, 0, sample(file), "");
        });
        host.answer("sacct", argv -> argv.contains("-c")
                ? new CommandResult(argv, 0, sample("sacct-c.txt"), "")
                : new CommandResult(argv, 1, "", sample("sacct-disabled.txt")));
    }

    @Test
    void oneSqueueForAllJobsScontrolOnlyForEndedOnesAccountingOnlyForForgottenOnes() {
        slurmWithoutSlurmdbd();

        Map<String, JobStatus> s = new Slurm().statuses(commands,
                List.of("12", "13", "14", "15", "16", "17", "7", "99999"));

        assertThat(s.get("15")).isEqualTo(JobStatus.running());
        assertThat(s.get("16")).isEqualTo(new JobStatus(State.QUEUED, "SLURM job 16 PENDING (reason: Resources)"));
        assertThat(s.get("17")).isEqualTo(new JobStatus(State.QUEUED, "SLURM job 17 PENDING (reason: Priority)"));
        assertThat(s.get("12")).isEqualTo(JobStatus.gone("SLURM job 12 COMPLETED with exit code 0:0 (reason: None)"));
        assertThat(s.get("13")).isEqualTo(JobStatus.gone("SLURM job 13 FAILED with exit code 3:0 (reason: NonZeroExitCode)"));
        assertThat(s.get("14")).isEqualTo(JobStatus.gone("SLURM job 14 CANCELLED (reason: Resources)"));
        assertThat(s.get("7")).isEqualTo(JobStatus.gone("SLURM job 7 TIMEOUT: wall time reached"));
        assertThat(s.get("99999")).isEqualTo(JobStatus.gone("SLURM job 99999 is not known to squeue or sacct"));

        assertThat(shell.calls()).extracting(c -> String.join(" ", c.argv())).containsExactly(
                "squeue -h -a -t all -j 12,13,14,15,16,17,7,99999 -o %i|%T|%r",
                "scontrol show job -o 12",
                "scontrol show job -o 13",
                "scontrol show job -o 14",
                "sacct -n -X -P -j 7,99999 -o JobID,State,ExitCode,Reason",
                "sacct -c -n -X -P -j 7,99999 -o JobID,State,ExitCode,Reason");
        assertThat(shell.calls()).allSatisfy(c -> assertThat(c.env()).isEqualTo(Map.of("SLURM_CONF", "/etc/x.conf")));
    }

    @Test
    void oneUnknownIdMakesSqueueFailAndIsLookedUpInAccounting() {
        slurmWithoutSlurmdbd();
        host.answer("squeue", 1, "", sample("squeue-invalid.txt"));

        assertThat(new Slurm().statuses(commands, List.of("7")))
                .containsEntry("7", JobStatus.gone("SLURM job 7 TIMEOUT: wall time reached"));
    }

    @Test
    void withoutAnyAccountingAForgottenJobIsGoneAndTheReasonSaysWhy() {
        host.answer("squeue", 1, "", sample("squeue-invalid.txt"));
        host.answer("sacct", 1, "", sample("sacct-disabled.txt"));

        assertThat(new Slurm().statuses(commands, List.of("5")).get("5")).isEqualTo(JobStatus.gone(
                "SLURM job 5 is not known to squeue or sacct (sacct: Slurm accounting storage is disabled; "
                        + "sacct -c: Slurm accounting storage is disabled)"));
    }

    @Test
    void anUnreachableControllerMakesEveryJobUnknownNeverGone() {
        host.answer("squeue", 1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n");

        Map<String, JobStatus> s = new Slurm().statuses(commands, List.of("1", "2"));

        assertThat(s.values()).allSatisfy(st -> {
            assertThat(st.state()).isEqualTo(State.UNKNOWN);
            assertThat(st.reason()).isEqualTo("squeue on login.example.org failed: 'squeue' exited with 1: "
                    + "slurm_load_jobs error: Unable to contact slurm controller (connect failure)");
        });
        assertThat(shell.count("sacct")).isZero();
    }

    @Test
    void scancelOfAnEndedOrUnknownJobIsNoError() throws Exception {
        host.answer("scancel", 1, "", "scancel: error: Kill job error on job id 12: Job/step already completing or completed\n");
        new Slurm().cancel(commands, "12");
        host.answer("scancel", 1, "", "scancel: error: Kill job error on job id 99: Invalid job id specified\n");
        new Slurm().cancel(commands, "99");
        host.answer("scancel", 0, "", "");
        new Slurm().cancel(commands, "15");
        assertThat(shell.calls()).extracting(c -> String.join(" ", c.argv()))
                .containsExactly("scancel 12", "scancel 99", "scancel 15");
    }
}
