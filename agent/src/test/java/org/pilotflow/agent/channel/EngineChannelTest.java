package org.pilotflow.agent.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

    @Test
    void aClientForPlainHttpRefusesEveryTlsPeerAndOneForHttpsChecksCertificatesWithTheJvmsDefault(@TempDir Path dir)
            throws Exception {
        TlsFixture tls = new TlsFixture(dir);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.server));
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        SSLContext jvmDefault = SSLContext.getDefault();
        try {
            URI uri = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/");
            Duration connect = Duration.ofSeconds(30);
            // the JVM's trust store does not know the self-signed key
            assertThatThrownBy(() -> get(EngineChannel.client(true, connect), uri))
                    .isInstanceOf(SSLHandshakeException.class);
            SSLContext.setDefault(tls.trusting); // as -Djavax.net.ssl.trustStore=<the engine's certificate> would
            assertThat(get(EngineChannel.client(true, connect), uri)).isEqualTo(204);
            // built for http:// endpoints only: it trusts no one, whatever the JVM's default trusts
            assertThatThrownBy(() -> get(EngineChannel.client(false, connect), uri))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasRootCauseMessage("this channel has no https endpoint");
            // what a channel builds: the plain client for a list of http:// endpoints only
            assertThat(channel(List.of("http://a:1", "http://b:1"), 1000).speaksTls()).isFalse();
            assertThat(channel(List.of("http://a:1", "https://b:1"), 1000).speaksTls()).isTrue();
        } finally {
            SSLContext.setDefault(jvmDefault);
            server.stop(0);
        }
    }

    private static int get(HttpClient client, URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
