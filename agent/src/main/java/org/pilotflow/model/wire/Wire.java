package org.pilotflow.model.wire;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON mapping both sides of the channel use. */
public final class Wire {
    public static final String SYNC_PATH_FORMAT = "/pilots/%s/sync";
    public static final String AUTHORIZATION = "Authorization";
    public static final String BEARER = "Bearer ";
    /**
     * A header the engine puts on every answer to a sync it took in and counted as its agent's contact, errors
     * included (a 503 "busy"): the agent has reached a live engine, so its orphan clock starts again. A 503 from
     * a proxy in front of dead nodes has no such header.
     */
    public static final String HEARD = "PilotFlow-Heard";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // newer peers may add fields
            .build();

    private Wire() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
