package org.pilotflow.resource.lsf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.Samples;

class LsfOutputTest {

    private static String sample(String name) {
        return Samples.read("lsf", name);
    }

    @Test
    void bsubNamesTheJobIdInAngleBrackets() {
        assertThat(LsfOutput.bsubJobId(sample("bsub.txt"))).hasValue("81234");
        assertThat(LsfOutput.bsubJobId(sample("bsub-default-queue.txt"))).hasValue("81235");
        assertThat(LsfOutput.bsubJobId(sample("bsub-bad-queue.txt"))).isEmpty();
    }

    @Test
    void bjobsJsonGivesEveryRecordAndTheJobOfAnErrorRecord() {
        Map<String, LsfOutput.LsfJob> jobs = LsfOutput.bjobsJson(sample("bjobs-json.txt"));

        assertThat(jobs).containsOnlyKeys("81230", "81231", "81232", "81233", "81234", "81235", "99999");
        assertThat(jobs.get("81233")).isEqualTo(new LsfOutput.LsfJob("81233", "EXIT", "3", "", null));
        assertThat(jobs.get("99999")).isEqualTo(new LsfOutput.LsfJob("99999", null, "", "",
                "Job <99999> is not found"));
        assertThat(LsfOutput.bjobsJson(sample("bjobs-named.txt")).get("81240").exitCode()).isEmpty();
    }

    @Test
    void malformedBjobsOutputNamesTheFieldTheValueAndWhatWasExpected() {
        assertThatThrownBy(() -> LsfOutput.bjobsJson("JOBID   USER    STAT  QUEUE\n81230   alice   RUN   normal\n"))
                .hasMessageStartingWith("bjobs -json printed no JSON (");
        assertThatThrownBy(() -> LsfOutput.bjobsJson("{\"COMMAND\":\"bjobs\",\"JOBS\":0}"))
                .hasMessage("bjobs -json: field RECORDS is missing, expected a list of job records; output "
                        + "'{\"COMMAND\":\"bjobs\",\"JOBS\":0}'");
        assertThatThrownBy(() -> LsfOutput.bjobsJson("{\"RECORDS\":[{\"STAT\":\"RUN\"}]}"))
                .hasMessage("bjobs -json: field RECORDS[0].JOBID is null, expected a job id; record {\"STAT\":\"RUN\"}");
        assertThatThrownBy(() -> LsfOutput.bjobsJson("{\"RECORDS\":[{\"JOBID\":\"7\",\"STAT\":\"\"}]}"))
                .hasMessage("bjobs -json: field RECORDS[0].STAT of job 7 is \"\", expected a state such as \"RUN\" "
                        + "or \"DONE\"");
    }
}
