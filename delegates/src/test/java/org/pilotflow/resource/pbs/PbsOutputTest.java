package org.pilotflow.resource.pbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.Samples;

class PbsOutputTest {

    private static String sample(String name) {
        return Samples.read("pbs", name);
    }

    @Test
    void qsubPrintsTheJobIdWithTheServersName() {
        assertThat(PbsOutput.qsubJobId(sample("qsub.txt"))).hasValue("4711.pbs-server");
        assertThat(PbsOutput.qsubJobId("4711\n")).hasValue("4711");
        assertThat(PbsOutput.qsubJobId("Job submitted\n")).isEmpty();
        assertThat(PbsOutput.qsubJobId("")).isEmpty();
    }

    @Test
    void qstatJsonGivesEveryJobsStateExitStatusAndComment() {
        Map<String, PbsOutput.PbsJob> jobs = PbsOutput.qstatJson(sample("qstat-json.txt"));

        assertThat(jobs).containsOnlyKeys("4711.pbs-server", "4712.pbs-server", "4713.pbs-server", "4714.pbs-server",
                "4715.pbs-server", "4716.pbs-server", "4717.pbs-server");
        assertThat(jobs.get("4711.pbs-server")).isEqualTo(new PbsOutput.PbsJob("4711.pbs-server", "R", null,
                "Job run at Tue Dec 02 at 10:00 on (n1:ncpus=4)"));
        assertThat(jobs.get("4716.pbs-server").exitStatus()).isEqualTo(-29);
        assertThat(PbsOutput.qstatJson(sample("qstat-finished.txt")).get("4713.pbs-server"))
                .isEqualTo(new PbsOutput.PbsJob("4713.pbs-server", "F", 0,
                        "Job run at Tue Dec 02 at 09:40 on (n2:ncpus=2) and finished"));
    }

    @Test
    void qstatJsonIsReadDespiteOpenPbsInvalidJson() {
        // leading zeros, backslashes before ordinary characters, NaN and a repeated key, as OpenPBS prints them
        assertThat(PbsOutput.qstatJson(sample("qstat-invalid-json.txt")).get("4718.pbs-server"))
                .isEqualTo(new PbsOutput.PbsJob("4718.pbs-server", "F", 0,
                        "Job run at Tue Dec 02 at 09:50 on (n1:ncpus=4) and finished"));
    }

    @Test
    void aJobIsFoundByItsSequenceNumberWhenTheDomainDiffers() {
        Map<String, PbsOutput.PbsJob> jobs = PbsOutput.qstatJson(sample("qstat-json.txt"));
        assertThat(PbsOutput.find(jobs, "4712.pbs-server.example.org").state()).isEqualTo("Q");
        assertThat(PbsOutput.find(jobs, "4712").state()).isEqualTo("Q");
        assertThat(PbsOutput.find(jobs, "999")).isNull();
    }

    @Test
    void unknownJobIdsAreReadFromQstatsErrors() {
        assertThat(PbsOutput.unknownJobIds(sample("qstat-unknown.txt"))).containsExactly("9999.pbs-server");
        assertThat(PbsOutput.unknownJobIds("qstat: cannot connect to server pbs-server (errno=111)\n")).isEmpty();
    }

    @Test
    void malformedQstatOutputNamesTheFieldTheValueAndWhatWasExpected() {
        assertThatThrownBy(() -> PbsOutput.qstatJson("Job id  Name  User\n----\n"))
                .hasMessageStartingWith("qstat -f -F json printed no JSON (")
                .hasMessageEndingWith("): 'Job id  Name  User\n----'");
        assertThatThrownBy(() -> PbsOutput.qstatJson("[1]"))
                .hasMessage("qstat -f -F json printed '[1]', expected an object with \"Jobs\"");
        assertThatThrownBy(() -> PbsOutput.qstatJson("{\"Jobs\": [\"12.srv\"]}"))
                .hasMessage("qstat -f -F json: field Jobs is [\"12.srv\"], expected an object of job id -> attributes");
        assertThatThrownBy(() -> PbsOutput.qstatJson("{\"Jobs\": {\"12.srv\": {\"job_state\": \"Running\"}}}"))
                .hasMessage("qstat -f -F json: field Jobs.12.srv.job_state is \"Running\", expected one state letter "
                        + "such as \"Q\", \"R\" or \"F\"");
        assertThatThrownBy(() -> PbsOutput.qstatJson("{\"Jobs\": {\"12.srv\": {\"job_state\": \"F\", "
                + "\"Exit_status\": \"0\"}}}"))
                .hasMessage("qstat -f -F json: field Jobs.12.srv.Exit_status is \"0\", expected an integer");
        assertThatThrownBy(() -> PbsOutput.jobIdLines("4711.pbs-server\nqselect: illegal -s value\n"))
                .hasMessage("qselect printed 'qselect: illegal -s value', expected a job id such as 1234.server");
    }

    @Test
    void aServerWithoutJobsLeavesJobsOut() {
        assertThat(PbsOutput.qstatJson("{\"timestamp\":1,\"pbs_version\":\"22.05.11\",\"pbs_server\":\"s\"}"))
                .isEmpty();
    }
}
