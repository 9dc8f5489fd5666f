package org.pilotflow.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import org.pilotflow.agent.channel.EngineChannel;
import org.pilotflow.agent.launch.LaunchMethods;
import org.pilotflow.agent.nodes.NodeListFormats;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;

/** Reads and checks {@code agent.json}. Error messages name the file and the field, never the secret's value. */
public final class AgentConfigs {

    private AgentConfigs() {
    }

    public static AgentConfig load(Path file) throws BadConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadConfigException("bad config " + file + ": file not found");
        } catch (IOException e) {
            throw new BadConfigException("bad config " + file + ": cannot read it: " + e.getMessage());
        }
        AgentConfig cfg;
        try {
            cfg = Wire.mapper().readValue(bytes, AgentConfig.class);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            throw new BadConfigException("bad config " + file + ": not a valid AgentConfig JSON document"
                    + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadConfigException("bad config " + file + ": " + e.getMessage());
        }
        if (cfg == null) {
            throw new BadConfigException("bad config " + file + ": empty document");
        }
        validate(cfg, file.toString());
        return cfg;
    }

    public static void validate(AgentConfig c, String file) throws BadConfigException {
        requireText(c.pilotId(), "pilotId", file);
        if (c.endpoints() == null || c.endpoints().isEmpty()) {
            throw new BadConfigException("bad config " + file + ": field 'endpoints' is missing or empty");
        }
        if (c.secret() == null || c.secret().isBlank()) {
            throw new BadConfigException("bad config " + file + ": field 'secret' is missing or blank");
        }
        requireText(c.sandbox(), "sandbox", file);
        if (c.pilotId().contains("/")) {
            throw new BadConfigException("bad config " + file + ": field 'pilotId' must not contain '/', was '"
                    + c.pilotId() + "'");
        }
        for (int i = 0; i < c.endpoints().size(); i++) {
            checkEndpoint(c.endpoints().get(i), "endpoints[" + i + "]", file);
        }
        if (!Files.isDirectory(Path.of(c.sandbox()))) {
            throw new BadConfigException("bad config " + file + ": field 'sandbox' is not an existing directory, "
                    + "was '" + c.sandbox() + "'");
        }
        atLeast(c.cores(), 1, "cores", file);
        atLeast(c.gpus(), 0, "gpus", file);
        atLeast(c.runtimeSeconds(), 1, "runtimeSeconds", file);
        atLeast(c.heartbeatIntervalMillis(), 1, "heartbeatIntervalMillis", file);
        atLeast(c.orphanTimeoutMillis(), 1, "orphanTimeoutMillis", file);
        atLeast(c.memorySampleMillis(), 0, "memorySampleMillis", file);
        LaunchMethods.check(c, file);
        if (c.nodeList() != null) {
            requireText(c.nodeList().variable(), "nodeList.variable", file);
            NodeListFormats.require(c.nodeList().format(), "bad config " + file + ": ");
        }
    }

    private static void checkEndpoint(String v, String field, String file) throws BadConfigException {
        requireText(v, field, file);
        String problem = EngineChannel.endpointProblem(v);
        if (problem != null) {
            throw new BadConfigException("bad config " + file + ": field '" + field + "' is not an http(s) URL, was '"
                    + v + "' (" + problem + ")");
        }
    }

    private static void requireText(String v, String field, String file) throws BadConfigException {
        if (v == null || v.isBlank()) {
            throw new BadConfigException("bad config " + file + ": field '" + field + "' is missing or blank");
        }
    }

    private static void atLeast(long v, long min, String field, String file) throws BadConfigException {
        if (v < min) {
            throw new BadConfigException("bad config " + file + ": field '" + field + "' must be >= " + min
                    + ", was " + v);
        }
    }
}
