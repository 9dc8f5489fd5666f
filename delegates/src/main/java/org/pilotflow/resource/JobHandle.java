package org.pilotflow.resource;

import java.util.Objects;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.JobManagerEndpoint;

/**
 * Identifies a pilot's job on its resource, in a form that can be stored and parsed again after an engine
 * restart: {@code <scheme>:<id>}. The scheme is the job manager endpoint's ({@code fork}, {@code ssh},
 * {@code slurm}, {@code slurm+ssh}, {@code sge}, {@code sge+ssh}); for SSH access the id starts with the
 * connection, for fork with the engine node's host, so the handle alone says where to look:
 * {@code fork:node1/12345}, {@code slurm:4711}, {@code slurm+ssh:alice@login.example.org:22/4711},
 * {@code ssh:root@127.0.0.1:2222/8812}.
 */
public record JobHandle(String adapter, String id) {

    public JobHandle {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(id, "id");
    }

    /** The handle of job {@code jobId} started through {@code endpoint}. */
    public static JobHandle of(JobManagerEndpoint endpoint, String jobId) {
        if (endpoint.access() == Access.LOCAL) {
            return new JobHandle(endpoint.scheme(), jobId);
        }
        return new JobHandle(endpoint.scheme(), location(endpoint) + "/" + jobId);
    }

    /** {@code [user@]host[:port]} of an SSH endpoint. */
    public static String location(JobManagerEndpoint endpoint) {
        return (endpoint.user() != null ? endpoint.user() + "@" : "") + endpoint.host()
                + (endpoint.port() > 0 ? ":" + endpoint.port() : "");
    }

    public static JobHandle parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("job handle '" + text + "' is not of the form adapter:id");
        }
        return new JobHandle(text.substring(0, colon), text.substring(colon + 1));
    }

    /** The batch system's (or process) id of the job: the part after the connection. */
    public String jobId() {
        int slash = id.lastIndexOf('/');
        return slash < 0 ? id : id.substring(slash + 1);
    }

    /** The {@code [user@]host[:port]} part for SSH access, or {@code null} for local access. */
    public String location() {
        int slash = id.lastIndexOf('/');
        return slash < 0 ? null : id.substring(0, slash);
    }

    @Override
    public String toString() {
        return adapter + ":" + id;
    }
}
