package org.pilotflow.resource.sge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.batch.CannedShell;
import org.pilotflow.resource.batch.JobManagerCommands;
import org.pilotflow.resource.batch.RecordingShell;
import org.pilotflow.resource.batch.Samples;
import org.pilotflow.resource.shell.CommandResult;

/** Parsing real qsub, qstat and qacct output, Grid Engine's states as JobStatuses, and the commands run for them. */
class SgeOutputTest {

    private static String sample(String name) {
        return Samples.read("sge", name);
    }

    @Test
    void qstatXmlGivesEveryJobsStateLetters() {
        assertThat(SgeOutput.qstatXml(sample("qstat-xml.txt")))
                .containsExactlyInAnyOrderEntriesOf(Map.of("17", "r", "18", "qw", "16", "Eqw", "20", "Eqw", "19", "hqw"));
        assertThat(SgeOutput.qstatXml(sample("qstat-xml-deleting.txt"))).containsExactly(Map.entry("23", "dr"));
        assertThat(SgeOutput.qstatXml(sample("qstat-xml-empty.txt"))).isEmpty();
    }

    @Test
    void qstatXmlGivesEveryJobsName() {
        assertThat(SgeOutput.qstatJobs(sample("qstat-xml.txt"))).containsExactly(
                new SgeOutput.Listed("17", "pilot.0001", "r"), new SgeOutput.Listed("18", "pilot.0002", "qw"),
                new SgeOutput.Listed("16", "true", "Eqw"), new SgeOutput.Listed("20", "pilot.0004", "Eqw"),
                new SgeOutput.Listed("19", "pilot.0003", "hqw"));
        assertThat(SgeOutput.qstatJobs(sample("qstat-xml-empty.txt"))).isEmpty();
        assertThatThrownBy(() -> SgeOutput.qstatJobs(sample("qstat.txt"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void somethingElseThanQstatXmlIsAnErrorNotAnEmptyQueue() {
        assertThatThrownBy(() -> SgeOutput.qstatXml(sample("qstat.txt")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not qstat -xml output");
        assertThatThrownBy(() -> SgeOutput.qstatXml("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM "
                + "\"file:///etc/passwd\">]><job_info>&e;</job_info>")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void qstatJGivesTheErrorReason() {
        assertThat(SgeOutput.errorReasons(sample("qstat-j-eqw.txt"))).isEqualTo("11/21/2026 13:36:27 [0:4638]: "
                + "error: can't chdir to /nonexistent/dir: No such file or directory");
        assertThat(SgeOutput.errorReasons("job_number: 3\n")).isEmpty();
    }

    @Test
    void qacctGivesExitStatusAndFailed() {
        assertThat(SgeOutput.qacct("12", sample("qacct-qdel.txt")))
                .contains(new SgeOutput.Accounted("12", "100 : assumedly after job", "137 (Killed)"));
        assertThat(SgeOutput.qacct("22", sample("qacct-exit3.txt")))
                .contains(new SgeOutput.Accounted("22", "0", "3"));
        assertThat(SgeOutput.qacct("13", sample("qacct-ok.txt"))).contains(new SgeOutput.Accounted("13", "0", "0"));
        assertThat(SgeOutput.qacct("14", sample("qacct-ok.txt"))).isEmpty();
        assertThat(SgeOutput.qacct("99999", sample("qacct-unknown.txt"))).isEmpty();
    }

    @Test
    void qsubTerseGivesTheJobId() {
        assertThat(SgeOutput.qsubJobId("4711\n")).contains("4711");
        assertThat(SgeOutput.qsubJobId("4711.1-3:1\n")).contains("4711");
        assertThat(SgeOutput.qsubJobId("Your job 4711 (\"x\") has been submitted\n")).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"qw, QUEUED", "hqw, QUEUED", "hRwq, QUEUED", "Rq, QUEUED", "r, RUNNING", "t, RUNNING",
            "Rr, RUNNING", "s, RUNNING", "S, RUNNING", "T, RUNNING", "dr, GONE", "dt, GONE", "Eqw, GONE",
            "Ehqw, GONE", "z, UNKNOWN"})
    void everyQstatStateHasAJobStatus(String sgeState, State expected) {
        assertThat(SgeStates.fromQstat("9", sgeState, "").state()).isEqualTo(expected);
    }

    @Test
    void statusesRunOneQstatThenQstatJForErrorsAndQacctForJobsQstatNoLongerLists() {
        CannedShell host = new CannedShell("localhost");
        RecordingShell shell = new RecordingShell(host);
        host.answer("qstat", argv -> argv.contains("-xml")
                ? new CommandResult(argv, 0, sample("qstat-xml.txt"), "")
                : new CommandResult(argv, 0, sample("qstat-j-eqw.txt"), ""));
        host.answer("qacct", argv -> switch (argv.get(2)) {
            case "12" -> new CommandResult(argv, 0, sample("qacct-qdel.txt"), "");
            case "22" -> new CommandResult(argv, 0, sample("qacct-exit3.txt"), "");
            default -> new CommandResult(argv, 1, "", "error: job id " + argv.get(2) + " not found\n");
        });
        JobManagerCommands commands = new JobManagerCommands(shell,
                Map.of("SGE_ROOT", "/var/lib/gridengine", "SGE_CELL", "default"));

        Map<String, JobStatus> s = new GridEngine().statuses(commands, List.of("17", "18", "19", "20", "12", "22", "30"));

        assertThat(s.get("17")).isEqualTo(JobStatus.running());
        assertThat(s.get("18")).isEqualTo(new JobStatus(State.QUEUED, "SGE job 18 qw"));
        assertThat(s.get("19")).isEqualTo(new JobStatus(State.QUEUED, "SGE job 19 hqw"));
        assertThat(s.get("20")).isEqualTo(JobStatus.gone("SGE job 20 is in error state Eqw: 11/21/2026 13:36:27 "
                + "[0:4638]: error: can't chdir to /nonexistent/dir: No such file or directory"));
        assertThat(s.get("12")).isEqualTo(JobStatus.gone(
                "SGE job 12 ended: exit_status 137 (Killed), failed 100 : assumedly after job"));
        assertThat(s.get("22")).isEqualTo(JobStatus.gone("SGE job 22 ended: exit_status 3, failed 0"));
        assertThat(s.get("30")).isEqualTo(JobStatus.unknown(
                "SGE job 30 is not in qstat and not (yet) in qacct (error: job id 30 not found)"));
        assertThat(shell.calls()).extracting(c -> String.join(" ", c.argv())).containsExactly(
                "qstat -xml -u * -s prsz", "qstat -j 20", "qacct -j 12", "qacct -j 22", "qacct -j 30");
        assertThat(shell.calls()).allSatisfy(c -> assertThat(c.env()).containsOnlyKeys("SGE_ROOT", "SGE_CELL"));
    }

    @Test
    void aFinishedJobWithoutAccountingRecordIsGoneAndAnUnlistedOneUnknown() {
        CannedShell host = new CannedShell("localhost");
        host.answer("qstat", 0, sample("qstat-xml-finished.txt"), "");
        host.answer("qacct", argv -> argv.get(2).equals("22")
                ? new CommandResult(argv, 0, sample("qacct-exit3.txt"), "")
                : new CommandResult(argv, 1, "", "error: job id " + argv.get(2) + " not found\n"));

        Map<String, JobStatus> s = new GridEngine().statuses(new JobManagerCommands(host, Map.of()),
                List.of("22", "25", "99"));

        assertThat(SgeOutput.qstatXml(sample("qstat-xml-finished.txt"))).containsEntry("25", "z").containsEntry("22", "z");
        assertThat(s.get("22")).isEqualTo(JobStatus.gone("SGE job 22 ended: exit_status 3, failed 0"));
        assertThat(s.get("25")).isEqualTo(JobStatus.gone("SGE job 25 has finished, and qacct has no record of it "
                + "(yet): it never started (deleted while queued), or its record is not flushed yet"));
        assertThat(s.get("99").state()).isEqualTo(State.UNKNOWN);
    }

    @Test
    void aLiveStateWinsOverAFinishedTaskOfTheSameJob() {
        String xml = "<job_info><queue_info><job_list state=\"zombie\"><JB_job_number>5</JB_job_number><state>z</state>"
                + "</job_list><job_list state=\"running\"><JB_job_number>5</JB_job_number><state>r</state></job_list>"
                + "</queue_info></job_info>";
        assertThat(SgeOutput.qstatXml(xml)).containsExactly(Map.entry("5", "r"));
    }

    @Test
    void aFailingQstatMakesEveryJobUnknown() {
        CannedShell host = new CannedShell("localhost");
        host.answer("qstat", 1, "", "error: commlib error: got select error (Connection refused)\n"
                + "unable to send message to qmaster using port 6444 on host \"vm\": got send error\n");

        Map<String, JobStatus> s = new GridEngine().statuses(new JobManagerCommands(host, Map.of()), List.of("1"));

        assertThat(s.get("1").state()).isEqualTo(State.UNKNOWN);
        assertThat(s.get("1").reason()).startsWith("qstat on localhost failed: 'qstat' exited with 1: error: "
                + "commlib error: got select error (Connection refused); unable to send message");
    }

    @Test
    void qdelOfAJobThatNoLongerExistsIsNoError() throws Exception {
        CannedShell host = new CannedShell("localhost");
        host.answer("qdel", 1, "", "denied: job \"12\" does not exist\n");
        new GridEngine().cancel(new JobManagerCommands(host, Map.of()), "12");
    }

    @Test
    void qsubErrorsLoseOnlyTheirExiting() {
        CommandResult r = new CommandResult(List.of("qsub"), 1, "",
                "Unable to run job: Job was rejected because job requests unknown queue \"nosuch\"\nExiting.\n");
        assertThat(new GridEngine().submitError(r))
                .isEqualTo("Unable to run job: Job was rejected because job requests unknown queue \"nosuch\"");
    }
}
