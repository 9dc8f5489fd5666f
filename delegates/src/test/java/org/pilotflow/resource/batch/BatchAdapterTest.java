package org.pilotflow.resource.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceAdapters;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.sge.GridEngine;
import org.pilotflow.resource.slurm.Slurm;

/** The shared batch plumbing, on canned hosts: submit, errors, one status call per host, environment, log tails. */
class BatchAdapterTest {

    private static final Map<String, String> ENV = Map.of("SLURM_CONF", "/opt/slurm/etc/slurm.conf");

    private final CannedShell login = new CannedShell("login.example.org");
    private final RecordingShell loginRec = new RecordingShell(login);
    private final ResourceConfig rc = ScriptFixtures.resource("slurm+ssh").jobManagerEnvironment(ENV).build();

    private BatchAdapter adapter(FakeShells shells) {
        return new BatchAdapter(shells, new Slurm());
    }

    @Test
    void submitStagesWritesTheScriptAndSubmitsItWithTheEnvironment() throws Exception {
        login.answer("sbatch", 0, "4711;cluster\n", "");
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", loginRec));

        Submitted s = a.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, "debug", null, 0));

        assertThat(s.handle()).isEqualTo(new JobHandle("slurm+ssh", "login.example.org/4711"));
        assertThat(s.handle().jobId()).isEqualTo("4711");
        assertThat(s.sandbox()).isEqualTo(ScriptFixtures.SANDBOX);
        String script = login.file(ScriptFixtures.SANDBOX + "/pilot.sbatch");
        assertThat(script).startsWith("#!/bin/sh\n#SBATCH --job-name=pilot.0001.s1\n").contains("--partition=debug");
        assertThat(login.mode(ScriptFixtures.SANDBOX + "/pilot.sbatch")).isEqualTo(0700);
        assertThat(login.mode(ScriptFixtures.SANDBOX + "/agent.json")).isEqualTo(0600);
        assertThat(loginRec.calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).containsExactly("sbatch", "--parsable", ScriptFixtures.SANDBOX + "/pilot.sbatch");
            assertThat(c.env()).isEqualTo(ENV);
        });
    }

    @Test
    void aRejectedJobCarriesTheBatchSystemsOwnMessageWithPilotAndHost() {
        login.answer("sbatch", 1, "", Samples.read("slurm", "sbatch-bad-partition.txt"));
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", login));

        assertThatThrownBy(() -> a.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, "nosuch", null, 0)))
                .isInstanceOf(ResourceException.class)
                .hasMessage("SLURM rejected pilot pilot.0001 on login.example.org: sbatch: error: invalid partition "
                        + "specified: nosuch; sbatch: error: Batch job submission failed: Invalid partition name specified");
    }

    @Test
    void aBadAccountCarriesSbatchsMessage() {
        // SLURM's message with slurmdbd enforcing associations; the test SLURM has no slurmdbd and accepts any account
        login.answer("sbatch", 1, "", "sbatch: error: Batch job submission failed: Invalid account or "
                + "account/partition combination specified\n");
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", login));

        assertThatThrownBy(() -> a.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, "nosuch", 0)))
                .hasMessage("SLURM rejected pilot pilot.0001 on login.example.org: sbatch: error: Batch job "
                        + "submission failed: Invalid account or account/partition combination specified");
    }

    @Test
    void submitOutputWithoutAJobIdIsAnErrorThatSaysAJobMayBeQueued() {
        login.answer("sbatch", 0, "Submitted batch job 12\n", "");
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", login));

        assertThatThrownBy(() -> a.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .hasMessage("pilot pilot.0001 on login.example.org: sbatch succeeded but printed no job id (output "
                        + "'Submitted batch job 12'); a job may be queued that PilotFlow does not know of");
    }

    @Test
    void aScriptValueNoDirectiveCanCarryFailsTheSubmitBeforeAnythingRuns() {
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", loginRec));

        assertThatThrownBy(() -> a.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, "my project", 0)))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("cannot submit pilot pilot.0001 on login.example.org to SLURM: "
                        + "'--account=my project' cannot be written");
        assertThat(loginRec.calls()).isEmpty();
    }

    @Test
    void findAsksOneSqueueForTheJobNameAndAdoptsTheOldestLiveJob() throws Exception {
        login.answer("squeue", 0, "12|RUNNING|None\n9|PENDING|Priority\n15|COMPLETING|None\n", "");
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", loginRec));

        Optional<Submitted> found = a.find(ScriptFixtures.launch(rc, "pilot.0001", 0, "debug", null, 0));

        assertThat(found).contains(new Submitted(new JobHandle("slurm+ssh", "login.example.org/9"),
                ScriptFixtures.SANDBOX));
        assertThat(loginRec.calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).containsExactly("squeue", "-h", "--me", "-n", "pilot.0001.s1", "-o", "%i|%T|%r");
            assertThat(c.env()).isEqualTo(ENV);
        });
    }

    @Test
    void findFindsNothingWhenNoLiveJobHasTheNameAndFailsWhenItCannotAsk() throws Exception {
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", login));
        login.answer("squeue", 0, "", "");
        assertThat(a.find(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0))).isEmpty();
        login.answer("squeue", 0, "15|COMPLETING|None\n", "");
        assertThat(a.find(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .as("a job whose script has ended").isEmpty();

        login.answer("squeue", 1, "", "slurm_load_jobs error: Unable to contact slurm controller\n");
        assertThatThrownBy(() -> a.find(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("squeue on login.example.org failed: ")
                .hasMessageContaining("Unable to contact slurm controller");
        BatchAdapter unreachable = adapter(new FakeShells());
        assertThatThrownBy(() -> unreachable.find(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .isInstanceOf(ResourceException.class).hasMessageContaining("Connection refused");
    }

    @Test
    void findOnGridEngineReadsTheNamesInQstatsXmlAndSkipsJobsInErrorStates() throws Exception {
        ResourceConfig sgeRc = ScriptFixtures.resource("sge+ssh").build();
        String xml = Samples.read("sge", "qstat-xml.txt").replace("<JB_name>pilot.0001</JB_name>",
                "<JB_name>pilot.0001.s1</JB_name>").replace("<JB_name>pilot.0004</JB_name>",
                "<JB_name>pilot.0004.s1</JB_name>");
        login.answer("qstat", 0, xml, "");
        BatchAdapter a = new BatchAdapter(new FakeShells().at("login.example.org", loginRec), new GridEngine());

        assertThat(a.find(ScriptFixtures.launch(sgeRc, "pilot.0001", 0, null, null, 0)))
                .contains(new Submitted(new JobHandle("sge+ssh", "login.example.org/17"), ScriptFixtures.SANDBOX));
        assertThat(a.find(ScriptFixtures.launch(sgeRc, "pilot.0004", 0, null, null, 0))).as("in state Eqw").isEmpty();
        assertThat(a.find(ScriptFixtures.launch(sgeRc, "pilot.0002", 0, null, null, 0))).as("another name").isEmpty();
        assertThat(loginRec.calls()).allSatisfy(c ->
                assertThat(c.argv()).containsExactly("qstat", "-xml", "-u", "$user", "-s", "prs"));
    }

    @Test
    void statusAllAsksEachHostOnceAndAnUnreachableHostGivesUnknown() {
        CannedShell local = new CannedShell("localhost");
        RecordingShell localRec = new RecordingShell(local);
        local.answer("squeue", 0, "1|RUNNING|None\n2|PENDING|Priority\n", "");
        login.answer("squeue", 0, "7|RUNNING|None\n8|RUNNING|None\n", "");
        BatchAdapter a = adapter(new FakeShells().local(localRec).at("login.example.org", loginRec));
        a.configure(rc);
        List<JobHandle> handles = List.of(JobHandle.parse("slurm:1"), JobHandle.parse("slurm+ssh:login.example.org/7"),
                JobHandle.parse("slurm:2"), JobHandle.parse("slurm+ssh:down.example.org/3"),
                JobHandle.parse("slurm+ssh:login.example.org/8"));

        Map<JobHandle, JobStatus> s = a.statusAll(handles);

        assertThat(s.keySet()).containsExactlyElementsOf(handles);
        assertThat(s.get(handles.get(0))).isEqualTo(JobStatus.running());
        assertThat(s.get(handles.get(2)).state()).isEqualTo(State.QUEUED);
        assertThat(s.get(handles.get(1))).isEqualTo(JobStatus.running());
        assertThat(s.get(handles.get(4))).isEqualTo(JobStatus.running());
        assertThat(s.get(handles.get(3)))
                .isEqualTo(JobStatus.unknown("cannot connect to down.example.org: Connection refused"));
        assertThat(localRec.calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).contains("1,2");
            assertThat(c.env()).isEmpty(); // no entry configured a local SLURM
        });
        assertThat(loginRec.calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).contains("7,8");
            assertThat(c.env()).isEqualTo(ENV);
        });
    }

    @Test
    void afterARestartTheEnvironmentComesFromTheConfiguredEntries() {
        login.answer("squeue", 0, "7|RUNNING|None\n", "");
        BatchAdapter restarted = adapter(new FakeShells().at("login.example.org", loginRec));
        ResourceAdapters adapters = new ResourceAdapters(new FakeShells().at("login.example.org", loginRec));
        JobHandle h = JobHandle.parse("slurm+ssh:login.example.org/7");

        restarted.configure(rc);
        assertThat(restarted.status(h)).isEqualTo(JobStatus.running());
        adapters.configure(rc);
        assertThat(forHandle(adapters, h).status(h)).isEqualTo(JobStatus.running());

        assertThat(loginRec.calls()).hasSize(2).allSatisfy(c -> assertThat(c.env()).isEqualTo(ENV));
    }

    @Test
    void logTailShowsAgentLogThenTheJobsErrorAndOutput() {
        login.putFile("/sb/agent.log", "line 1\nline 2\nagent orphaned, ending\n");
        login.putFile("/sb/pilot.err", "/bin/sh: 3: module: not found\n");
        BatchAdapter a = adapter(new FakeShells().at("login.example.org", login));

        assertThat(a.logTail(JobHandle.parse("slurm+ssh:login.example.org/7"), "/sb")).isEqualTo(
                "; agent.log ends: line 1 | line 2 | agent orphaned, ending; pilot.err ends: /bin/sh: 3: module: not found");
        assertThat(a.logTail(JobHandle.parse("slurm+ssh:down.example.org/7"), "/sb")).isEmpty();
    }

    @Test
    void adaptersWithoutSshSayThatSshIsNotConfigured() throws Exception {
        ResourceAdapters adapters = new ResourceAdapters();
        for (String scheme : List.of("fork", "slurm", "slurm+ssh", "sge", "sge+ssh")) {
            assertThat(adapters.forEndpoint(scheme + "://" + (scheme.endsWith("ssh") ? "h" : "localhost") + "/"))
                    .isNotNull();
        }
        ResourceAdapter slurm = adapters.forEndpoint("slurm+ssh://login.example.org/");

        assertThatThrownBy(() -> slurm.submit(ScriptFixtures.launch(rc, "pilot.0001", 0, null, null, 0)))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("SSH access is not configured: cannot reach slurm+ssh://login.example.org/");
        JobHandle h = JobHandle.parse("sge+ssh:login.example.org/3");
        assertThat(forHandle(adapters, h).status(h).reason())
                .startsWith("SSH access is not configured: cannot reach login.example.org");
    }

    private static ResourceAdapter forHandle(ResourceAdapters adapters, JobHandle h) {
        try {
            return adapters.forHandle(h);
        } catch (ResourceException e) {
            throw new AssertionError(e);
        }
    }
}
