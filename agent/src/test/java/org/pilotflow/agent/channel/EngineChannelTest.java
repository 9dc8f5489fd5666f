package org.pilotflow.agent.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.pilotflow.model.wire.Command;

class EngineChannelTest {
    private static final EngineChannel.Listener NOBODY = new EngineChannel.Listener() {
        @Override
        public void commands(List<Command> commands) {
        }

        @Override
        public void orphaned(long silentMillis) {
        }
    };

    private static EngineChannel channel(List<String> endpoints, long heartbeatMillis) {
        return new EngineChannel("p", endpoints, false, "x", heartbeatMillis, 300_000, new ReportQueue(), NOBODY,
                "h");
    }

    @Test
    void oneEndpointWaitsUpTo30sAndSeveralTenHeartbeatsButAtLeast2s() {
        List<String> one = List.of("http://a:1");
        List<String> two = List.of("http://a:1", "http://b:1");
        assertThat(channel(one, 1000).requestTimeoutMillis(300_000)).isEqualTo(30_000);
        assertThat(channel(two, 1000).requestTimeoutMillis(300_000)).isEqualTo(10_000);
        assertThat(channel(two, 100).requestTimeoutMillis(300_000)).isEqualTo(2000);
        assertThat(channel(two, 10_000).requestTimeoutMillis(300_000)).isEqualTo(30_000);
        // never past the orphan deadline, but at least 1 s
        assertThat(channel(two, 1000).requestTimeoutMillis(4000)).isEqualTo(4000);
        assertThat(channel(one, 1000).requestTimeoutMillis(10)).isEqualTo(1000);
    }

    @Test
    void endpointsAreNormalizedAndChecked() {
        EngineChannel c = channel(List.of("http://a:1/sessions/s/", "http://b:1/sessions/s", "http://a:1/sessions/s"),
                1000);
        assertThat(c.endpoints()).containsExactly("http://a:1/sessions/s", "http://b:1/sessions/s");
        assertThat(c.currentEndpoint()).isEqualTo("http://a:1/sessions/s");
        assertThat(c.uri()).hasToString("http://a:1/sessions/s/pilots/p/sync");
        assertThatThrownBy(() -> channel(List.of(), 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> channel(List.of("mailto:x@y"), 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EngineChannel.endpointProblem("https://h")).isNull();
        assertThat(EngineChannel.endpointProblem("h:1")).isEqualTo("expected http(s)://host:port");
    }
}
