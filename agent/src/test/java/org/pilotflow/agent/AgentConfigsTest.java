package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;

class AgentConfigsTest {
    @TempDir
    Path sandbox;

    private AgentConfig config(List<String> endpoints) {
        return new AgentConfig("s", "p", endpoints, "top-secret", sandbox.toString(), 1, 0, 60, 1000, 1000);
    }

    @Test
    void everyEndpointMustBeAnHttpUrlWithAHostAndErrorsNameItsIndex() {
        assertThatThrownBy(() -> AgentConfigs.validate(config(List.of("http://10.0.0.5:1/sessions/s",
                "ftp://10.0.0.6:1/sessions/s")), "agent.json"))
                .isInstanceOf(BadConfigException.class)
                .hasMessage("bad config agent.json: field 'endpoints[1]' is not an http(s) URL, was "
                        + "'ftp://10.0.0.6:1/sessions/s' (expected http(s)://host:port)");
        assertThatThrownBy(() -> AgentConfigs.validate(config(List.of("http:///sessions/s")), "agent.json"))
                .hasMessage("bad config agent.json: field 'endpoints[0]' is not an http(s) URL, was "
                        + "'http:///sessions/s' (expected http(s)://host:port)");
        assertThatThrownBy(() -> AgentConfigs.validate(config(List.of("http://h:1", "http://a b")), "agent.json"))
                .hasMessageStartingWith("bad config agent.json: field 'endpoints[1]' is not an http(s) URL, was "
                        + "'http://a b' (Illegal character");
        assertThatThrownBy(() -> AgentConfigs.validate(config(Arrays.asList("http://h:1", null)), "agent.json"))
                .hasMessage("bad config agent.json: field 'endpoints[1]' is missing or blank");
        assertThatThrownBy(() -> AgentConfigs.validate(config(List.of()), "agent.json"))
                .hasMessage("bad config agent.json: field 'endpoints' is missing or empty");
        assertThatThrownBy(() -> AgentConfigs.validate(config(null), "agent.json"))
                .hasMessage("bad config agent.json: field 'endpoints' is missing or empty");
    }

    @Test
    void aConfigWithTheOldSingleEndpointFieldNamesTheMissingList() throws Exception {
        Path json = sandbox.resolve("agent.json");
        Files.writeString(json, "{\"sessionId\":\"s\",\"pilotId\":\"p\",\"endpoint\":\"http://127.0.0.1:1\","
                + "\"secret\":\"x\",\"sandbox\":\"" + sandbox + "\",\"cores\":1,\"gpus\":0,\"runtimeSeconds\":60,"
                + "\"heartbeatIntervalMillis\":1000,\"orphanTimeoutMillis\":1000}");
        assertThatThrownBy(() -> AgentConfigs.load(json))
                .hasMessage("bad config " + json + ": field 'endpoints' is missing or empty");
    }

    @Test
    void endpointsAndTheFixedFlagSurviveJsonAndTheFirstIsTheEndpoint() throws Exception {
        AgentConfig cfg = config(List.of("http://10.0.0.5:1/sessions/s", "http://10.0.0.6:1/sessions/s"))
                .withEndpoints(List.of("http://127.0.0.1:2/sessions/s"), true);
        Path json = sandbox.resolve("agent.json");
        Wire.mapper().writeValue(json.toFile(), cfg);
        JsonNode tree = Wire.mapper().readTree(json.toFile());
        assertThat(tree.has("endpoint")).as("the derived endpoint() is not written").isFalse();
        assertThat(tree.get("fixedEndpoints").asBoolean()).isTrue();
        AgentConfig read = AgentConfigs.load(json);
        assertThat(read).isEqualTo(cfg);
        assertThat(read.endpoints()).containsExactly("http://127.0.0.1:2/sessions/s");
        assertThat(read.endpoint()).isEqualTo("http://127.0.0.1:2/sessions/s");
        assertThat(read.toString()).contains("endpoints=[http://127.0.0.1:2/sessions/s] (fixed)")
                .doesNotContain("top-secret");
        assertThat(config(List.of("http://h:1")).fixedEndpoints()).isFalse();
    }

    @Test
    void theNodeListSurvivesJsonIsAbsentForForkAndANamedFormatMustBeInstalled() throws Exception {
        Path json = sandbox.resolve("agent.json");
        AgentConfig slurm = config(List.of("http://h:1")).withNodeList(new AgentConfig.NodeList("SLURM_JOB_NODELIST",
                "slurm-hostlist"));
        Wire.mapper().writeValue(json.toFile(), slurm);
        assertThat(AgentConfigs.load(json).nodeList()).isEqualTo(slurm.nodeList());

        Wire.mapper().writeValue(json.toFile(), config(List.of("http://h:1")));
        assertThat(Wire.mapper().readTree(json.toFile()).path("nodeList").isNull()).isTrue();
        assertThat(AgentConfigs.load(json).nodeList()).as("fork and ssh: this host alone").isNull();

        Wire.mapper().writeValue(json.toFile(), config(List.of("http://h:1")).withNodeList(
                new AgentConfig.NodeList("FLUX_R", "flux-r")));
        assertThatThrownBy(() -> AgentConfigs.load(json)).isInstanceOf(BadConfigException.class)
                .hasMessage("bad config " + json + ": field 'nodeList.format' names a node-list format this agent "
                        + "does not read, 'flux-r' (expected one of [slurm-hostlist, pe-hostfile, host-per-core-file,"
                        + " host-core-pairs])");

        Wire.mapper().writeValue(json.toFile(), config(List.of("http://h:1")).withNodeList(
                new AgentConfig.NodeList(null, "slurm-hostlist")));
        assertThatThrownBy(() -> AgentConfigs.load(json))
                .hasMessage("bad config " + json + ": field 'nodeList.variable' is missing or blank");
    }
}
