package org.pilotflow.cockpit.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.ws.rs.core.MultivaluedHashMap;
import java.util.Set;
import org.camunda.bpm.engine.rest.exception.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** The PilotFlow resource's parameters: defaults, bounds, and a 400 naming parameter, value and expectation. */
class ParamsTest {

    private static Params params(String... nameValues) {
        MultivaluedHashMap<String, String> q = new MultivaluedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            q.add(nameValues[i], nameValues[i + 1]);
        }
        return new Params(q, Set.of("session", "state", "pilot", "limit", "offset"));
    }

    @Test
    void absentParametersTakeTheirDefaults() {
        Params p = params();
        assertThat(p.limit()).isEqualTo(Params.DEFAULT_LIMIT);
        assertThat(p.offset()).isZero();
        assertThat(p.uid("session")).isNull();
        assertThat(p.states("state", UnitState.class)).isEmpty();
    }

    @Test
    void givenParametersAreRead() {
        Params p = params("session", "session.20261202.131701.fc908b", "state", "FAILED,CANCELED", "limit", "500",
                "offset", "100", "pilot", "pilot.0000");
        assertThat(p.uid("session")).isEqualTo("session.20261202.131701.fc908b");
        assertThat(p.uid("pilot")).isEqualTo("pilot.0000");
        assertThat(p.states("state", UnitState.class)).containsExactly("FAILED", "CANCELED");
        assertThat(p.limit()).isEqualTo(500);
        assertThat(p.offset()).isEqualTo(100);
    }

    @Test
    void badParametersAreRefusedWithNameValueAndExpectation() {
        assertBad(() -> params("limit", "501").limit(),
                "query parameter limit is '501', expected a whole number 1..500");
        assertBad(() -> params("limit", "1e3").limit(), "limit is '1e3'");
        assertBad(() -> params("offset", "-5").offset(), "offset is '-5', expected a whole number 0..1000000");
        assertBad(() -> params("session", "a' OR '1'='1").uid("session"),
                "session is 'a' OR '1'='1', expected a uid");
        assertBad(() -> params("state", "ACTIVE,EXECUTING").states("state", PilotState.class),
                "state is 'ACTIVE,EXECUTING', expected one or more of NEW, PENDING_LAUNCH");
        assertBad(() -> params("state", "FAILED", "state", "DONE"), "state is 'FAILED,DONE', expected one value");
        assertBad(() -> params("sort", "uid"), "sort is 'uid', expected no such parameter; known: [limit, offset,"
                + " pilot, session, state]");
        assertBad(() -> params("pilot", "x".repeat(300)).uid("pilot"), "x".repeat(120) + "...'");
    }

    private static void assertBad(Runnable r, String message) {
        assertThatThrownBy(r::run).isInstanceOf(InvalidRequestException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((InvalidRequestException) e).getStatus().getStatusCode()).isEqualTo(400));
    }

    @Test
    void longTextsKeepTheirEnd() {
        String s = "a".repeat(PilotFlowTables.TEXT_CAP) + "the end";
        assertThat(PilotFlowTables.tail(s)).hasSize(PilotFlowTables.TEXT_CAP + 3).startsWith("...").endsWith("the end");
        assertThat(PilotFlowTables.tail("short")).isEqualTo("short");
        assertThat(PilotFlowTables.tail(null)).isNull();
    }
}
