package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.internal.store.Json;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.model.UnitState;

/**
 * A unit another engine node made and finished between two of this node's refreshes is never seen unfinished here:
 * the refresh learns of it from the session's {@code stored-units} counter, which each transaction that stores units
 * counts up, and not by counting the session's rows (its whole history, each second). The other node is played by a
 * transaction that writes what its {@code Tx} would: the unit's row and the counter.
 */
class OtherNodesUnitsTest {

    private static final Duration WITHIN = Duration.ofSeconds(60);

    @Test
    void aUnitMadeAndFinishedElsewhereIsToldOnceTheCounterSaysSo(@TempDir Path work) throws Exception {
        try (Session session = LocalFixture.session(work)) {
            UnitManager umgr = session.createUnitManager();
            Map<String, List<UnitState>> told = new ConcurrentHashMap<>();
            umgr.registerCallback((u, s) -> told.computeIfAbsent(u.uid(),
                    k -> Collections.synchronizedList(new ArrayList<>())).add(s));
            SessionState state = SessionService.of(session.processEngine()).reconnect(session.uid());
            state.detach(); // one more holder, let go: the session stays followed
            state.refresh();
            int held = state.unitViewsHeld();

            // the row alone, as if the other node had not committed its count yet: nothing read, nothing told
            insertDone(session, umgr.uid(), "unit.900000", false);
            state.refresh();
            assertThat(state.unitViewsHeld()).as("views after a refresh that found the same count").isEqualTo(held);

            // its count: the next refresh reads the session's uids once and takes the unit
            insertDone(session, umgr.uid(), "unit.900001", true);
            addStored(session, 1); // unit.900000's, late
            state.refresh();
            for (String uid : List.of("unit.900000", "unit.900001")) {
                LocalFixture.await(uid + "'s DONE told", () -> told.getOrDefault(uid, List.of())
                        .contains(UnitState.DONE), WITHIN);
                assertThat(umgr.getUnits(List.of(uid)).get(0).state()).isEqualTo(UnitState.DONE);
                assertThat(umgr.getUnits(List.of(uid)).get(0).completion().get(WITHIN.toSeconds(),
                        java.util.concurrent.TimeUnit.SECONDS).state()).isEqualTo(UnitState.DONE);
            }
            state.refresh();
            assertThat(LocalFixture.storedUnitsAndRows(session)).containsExactly(2, 2);

            // units this node stores count up the same counter, so that it matches what this node has seen
            umgr.submitUnits(List.of(ComputeUnitDescription.builder().executable("/bin/true").build(),
                    ComputeUnitDescription.builder().executable("/bin/true").build()));
            assertThat(LocalFixture.storedUnitsAndRows(session)).containsExactly(4, 4);
            state.refresh();
            assertThat(told.get("unit.900000")).containsExactly(UnitState.NEW, UnitState.DONE);
        }
    }

    @Test
    void aSessionWithoutTheCounterIsCountedFromItsRowsAndGetsItAtItsNextSubmit(@TempDir Path work) throws Exception {
        try (Session session = LocalFixture.session(work)) {
            UnitManager umgr = session.createUnitManager();
            umgr.submitUnits(List.of(ComputeUnitDescription.builder().executable("/bin/true").build()));
            // as a node of a release before schema 8 makes a session while this one runs
            try (Connection c = connection(session); PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM PF_COUNTER WHERE SESSION_ID = ? AND NAME = '" + SessionTable.Counter.STORED_UNITS
                            + "'")) {
                c.setAutoCommit(true);
                ps.setString(1, session.uid());
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            assertThat(LocalFixture.storedUnitsAndRows(session)).as("read from the rows").containsExactly(1, 1);
            SessionState state = SessionService.of(session.processEngine()).reconnect(session.uid());
            state.detach();
            state.refresh(); // no error

            umgr.submitUnits(List.of(ComputeUnitDescription.builder().executable("/bin/true").build(),
                    ComputeUnitDescription.builder().executable("/bin/true").build()));
            try (Connection c = connection(session); PreparedStatement ps = c.prepareStatement(
                    SessionTable.STORED_UNITS_OF_SESSION)) {
                ps.setString(1, session.uid());
                try (var rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("the counter row, made by the submit").isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(3);
                }
            }
        }
    }

    private static Connection connection(Session session) throws Exception {
        var config = (ProcessEngineConfigurationImpl) session.processEngine().getProcessEngineConfiguration();
        return config.getDataSource().getConnection();
    }

    private static void insertDone(Session session, String manager, String uid, boolean counted) throws Exception {
        Instant now = Instant.now();
        String history = Json.write(List.of(new StateEntry<>(UnitState.NEW, now, 0, StateEntry.ENGINE),
                new StateEntry<>(UnitState.DONE, now, 1, StateEntry.AGENT)));
        try (Connection c = connection(session)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_UNIT (SESSION_ID, UID, MANAGER,"
                    + " DESCRIPTION, STATE, HISTORY, SLOTS, ATTEMPT) VALUES (?, ?, ?, ?, 'DONE', ?, '[]', 1)")) {
                ps.setString(1, session.uid());
                ps.setString(2, uid);
                ps.setString(3, manager);
                ps.setString(4, Json.write(ComputeUnitDescription.builder().executable("/bin/true").build()));
                ps.setString(5, history);
                ps.executeUpdate();
            }
            if (counted) {
                SessionTable.addStoredUnits(c, session.uid(), 1);
            }
            c.commit();
        }
    }

    private static void addStored(Session session, int n) throws Exception {
        try (Connection c = connection(session)) {
            c.setAutoCommit(true);
            SessionTable.addStoredUnits(c, session.uid(), n);
        }
    }
}
