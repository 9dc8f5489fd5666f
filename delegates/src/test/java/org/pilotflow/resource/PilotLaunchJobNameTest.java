package org.pilotflow.resource;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PilotLaunch#jobName(String, String)}: unique per pilot across sessions, valid for sbatch and qsub. */
class PilotLaunchJobNameTest {

    /** What sbatch --job-name and qsub -N both take as one directive word, starting with a letter. */
    private static final String VALID = "[A-Za-z][A-Za-z0-9._-]{0,57}";

    @Test
    void anEngineSessionsPilotIsNamedByPilotIdAndTheSessionIdWithoutItsPrefix() {
        assertThat(PilotLaunch.jobName("session.20250107.143012.a1b2c3", "pilot.0000"))
                .isEqualTo("pilot.0000.20250107.143012.a1b2c3");
        assertThat(PilotLaunch.jobName("s1", "pilot.0001")).isEqualTo("pilot.0001.s1");
    }

    @Test
    void theSamePilotIdInTwoSessionsGivesTwoNames() {
        assertThat(PilotLaunch.jobName("session.20250107.143012.aaaaaa", "pilot.0000"))
                .isNotEqualTo(PilotLaunch.jobName("session.20250107.143012.bbbbbb", "pilot.0000"));
    }

    @Test
    void unsafeOrLongPartsAreCleanedCutAndTaggedWithTheirDigestSoThatTheyStayDistinct() {
        String a = PilotLaunch.jobName("a/b", "pilot.0000");
        String b = PilotLaunch.jobName("a:b", "pilot.0000");
        assertThat(a).matches("pilot\\.0000\\.a_b_[0-9a-f]{10}").isNotEqualTo(b);
        assertThat(PilotLaunch.jobName("s1", "my pilot;rm -rf")).matches("my_pilot_rm_-_[0-9a-f]{10}\\.s1");

        String longSession = "session." + "x".repeat(60);
        String n1 = PilotLaunch.jobName(longSession + "1", "pilot.0000");
        String n2 = PilotLaunch.jobName(longSession + "2", "pilot.0000");
        assertThat(n1).hasSize("pilot.0000.".length() + 32).startsWith("pilot.0000." + "x".repeat(21) + "_")
                .isNotEqualTo(n2);
    }

    @Test
    void everyNameStartsWithALetterAndHoldsNothingGridEngineForbids() {
        for (String session : List.of("session.20250107.143012.a1b2c3", "1234", "-x", "a b\tc", "ä/ö:ü@*?\\",
                "session.", "", "x".repeat(200))) {
            for (String pilot : List.of("pilot.0000", "0001", "-p", ".p", "p q", "y".repeat(100))) {
                assertThat(PilotLaunch.jobName(session, pilot)).as(session + " / " + pilot).matches(VALID);
            }
        }
        assertThat(PilotLaunch.jobName("s", "0001")).isEqualTo("p0001.s");
    }
}
