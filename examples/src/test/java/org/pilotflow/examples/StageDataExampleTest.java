package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.test.assertions.bpmn.AbstractAssertions;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/** The stage-data workflow on a real engine with a real local agent: the collected files hold what the units wrote. */
class StageDataExampleTest {

    @TempDir
    Path work;

    Session session;

    @AfterEach
    void close() {
        AbstractAssertions.reset();
        if (session != null) {
            session.close();
        }
    }

    @Test
    void stageInThreeUnitsThatLinkTheInput_thenCollectTheirResults() throws Exception {
        Path input = Files.createDirectories(work.resolve("client")).resolve("words.txt");
        Files.writeString(input, "one two three four five\nsix seven\n");
        Path results = Files.createDirectories(work.resolve("results"));
        // audit history: the workflow's result variables stay readable after it ended (the default, activity, keeps
        // none)
        session = Session.builder().config(org.pilotflow.plugin.PilotFlowConfig.builder().workDirectory(work).build())
                .historyLevel("audit").create();
        PilotManager pmgr = session.createPilotManager();
        ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, 2, Duration.ofMinutes(10));
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        AbstractAssertions.init(session.processEngine());

        StageDataExample.Result r = StageDataExample.run(session, pilot, 3, input, results, Duration.ofMinutes(2));

        assertThat(r.endEventId()).isEqualTo(StageDataExample.END_DONE);
        BpmnAwareTests.assertThat(r.processInstance()).isEnded().hasPassed("stageIn", "perIndex", "countWords", "collect", "done")
                .hasNotPassed("countFailed", "failed");
        for (int i = 0; i < 3; i++) {
            assertThat(Files.readString(results.resolve("result-" + i + ".txt"))).isEqualTo("unit " + i + ": 7 words\n");
        }
        try (var listed = Files.list(results)) {
            assertThat(listed.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("result-0.txt",
                    "result-1.txt", "result-2.txt");
        }
        assertThat(r.collected()).hasSize(3).allSatisfy(f -> assertThat(f).containsEntry("status", "TRANSFERRED")
                .containsEntry("size", (long) "unit 0: 7 words\n".length()));
        // the units linked the staged input (no copy in their sandboxes) and ran DONE
        List<ComputeUnit> units = umgr.getUnits(umgr.listUnits());
        assertThat(units).hasSize(3).allSatisfy(u -> assertThat(u.state()).isEqualTo(UnitState.DONE));
        Path staged = Path.of(pilot.sandbox()).resolve("input/words.txt");
        assertThat(Files.readString(staged)).isEqualTo(Files.readString(input));
        for (ComputeUnit u : units) {
            Path linked = Path.of(pilot.sandbox()).resolve(u.uid()).resolve("words.txt");
            assertThat(Files.isSymbolicLink(linked)).as(linked.toString()).isTrue();
            assertThat(linked.toRealPath()).isEqualTo(staged.toRealPath());
        }
        Object stagedIn = session.processEngine().getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(r.processInstance().getId()).variableName("stagedIn").singleResult().getValue();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> in = (List<Map<String, Object>>) stagedIn;
        assertThat(in).singleElement().satisfies(f -> assertThat(f).containsEntry("status", "TRANSFERRED")
                .containsEntry("target", "pilot:///input/words.txt"));
    }
}
