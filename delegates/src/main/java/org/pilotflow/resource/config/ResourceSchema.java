package org.pilotflow.resource.config;

import java.util.Objects;

/**
 * One entry of {@code schemas}: how to reach the resource. Both endpoints use the same {@link Access}
 * ({@code fork/slurm/sge} with {@code file}, {@code ssh/*+ssh} with {@code sftp}); a mix is rejected, as it would
 * stage files to a different machine than the one running the job.
 *
 * @param name the schema's name, e.g. {@code local}, {@code ssh}
 */
public record ResourceSchema(String name, JobManagerEndpoint jobManagerEndpoint,
                             FilesystemEndpoint filesystemEndpoint) {

    public ResourceSchema {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(jobManagerEndpoint, "jobManagerEndpoint");
        Objects.requireNonNull(filesystemEndpoint, "filesystemEndpoint");
    }

    /** Parses both endpoints; throws {@link IllegalArgumentException} on a bad one. */
    public static ResourceSchema of(String name, String jobManagerEndpoint, String filesystemEndpoint) {
        return new ResourceSchema(name, JobManagerEndpoint.parse(jobManagerEndpoint),
                FilesystemEndpoint.parse(filesystemEndpoint));
    }

    /** The access of the job manager endpoint. */
    public Access access() {
        return jobManagerEndpoint.access();
    }
}
