package org.pilotflow.resource.pbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.batch.BatchAdapter;
import org.pilotflow.resource.batch.CannedShell;
import org.pilotflow.resource.batch.FakeShells;
import org.pilotflow.resource.batch.RecordingShell;
import org.pilotflow.resource.batch.Samples;
import org.pilotflow.resource.batch.ScriptFixtures;
import org.pilotflow.resource.config.ResourceConfig;

/** A PBS pilot through the shared batch adapter, on a canned login host. */
class PbsSubmitTest {

    private final CannedShell login = new CannedShell("login.example.org");
    private final RecordingShell rec = new RecordingShell(login);
    private final ResourceConfig rc = ScriptFixtures.resource("pbs+ssh").build();
    private final BatchAdapter adapter = new BatchAdapter(new FakeShells().at("login.example.org", rec), new Pbs());

    @Test
    void submitWritesPilotPbsAndKeepsQsubsJobId() throws Exception {
        login.answer("qsub", 0, Samples.read("pbs", "qsub.txt"), "");

        Submitted s = adapter.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0));

        assertThat(s.handle()).isEqualTo(new JobHandle("pbs+ssh", "login.example.org/4711.pbs-server"));
        assertThat(login.file(ScriptFixtures.SANDBOX + "/pilot.pbs")).startsWith("#!/bin/sh\n#PBS -N pilot.0001.s1\n");
        // before it, the agent's staging may have asked the java for its version
        assertThat(rec.calls().get(rec.calls().size() - 1).argv())
                .containsExactly("qsub", ScriptFixtures.SANDBOX + "/pilot.pbs");
    }

    @Test
    void aRejectedSubmissionCarriesQsubsOwnWords() {
        login.answer("qsub", 170, "", Samples.read("pbs", "qsub-bad-queue.txt"));
        assertThatThrownBy(() -> adapter.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, "nosuch", null, 0)))
                .isInstanceOf(ResourceException.class)
                .hasMessage("PBS rejected pilot pilot.0001 on login.example.org: qsub: Unknown queue");
        login.answer("qsub", 188, "", Samples.read("pbs", "qsub-limits.txt"));
        assertThatThrownBy(() -> adapter.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .hasMessage("PBS rejected pilot pilot.0001 on login.example.org: qsub: Job exceeds queue resource "
                        + "limits");
    }

    @Test
    void qsubOutputWithoutAJobIdIsAnErrorThatSaysAJobMayBeQueued() {
        login.answer("qsub", 0, "qsub: waiting for job 4711.pbs-server to start\n", "");
        assertThatThrownBy(() -> adapter.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .hasMessage("pilot pilot.0001 on login.example.org: qsub succeeded but printed no job id (output "
                        + "'qsub: waiting for job 4711.pbs-server to start'); a job may be queued that PilotFlow "
                        + "does not know of");
    }
}
