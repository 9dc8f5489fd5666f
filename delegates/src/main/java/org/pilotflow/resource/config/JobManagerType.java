package org.pilotflow.resource.config;

import java.util.Objects;

/**
 * What starts the pilot's job: a plain process ({@link #FORK}: {@code fork://}, or a login shell over
 * {@code ssh://}) or a batch system, named by its scheme ({@code slurm}, {@code sge}, {@code pbs}, ...; see
 * {@link BatchSystemInfo#scheme()}). A value, not an enum: batch systems are installed, not listed here.
 *
 * @param name {@code fork}, or a batch system's scheme
 */
public record JobManagerType(String name) {

    public static final JobManagerType FORK = new JobManagerType("fork");

    public JobManagerType {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The batch system of scheme {@code scheme} (installed or not: {@link JobManagerEndpoint#parse} checks).
     *
     * @throws IllegalArgumentException for {@code fork} or {@code ssh}, which start a plain process: {@link #FORK}
     */
    public static JobManagerType batch(String scheme) {
        if ("fork".equals(scheme) || "ssh".equals(scheme)) {
            throw new IllegalArgumentException("batch system scheme is '" + scheme + "', expected a batch system's "
                    + "scheme such as slurm or pbs (fork and ssh start a plain process: JobManagerType.FORK)");
        }
        return new JobManagerType(scheme);
    }

    @Override
    public String toString() {
        return name;
    }
}
