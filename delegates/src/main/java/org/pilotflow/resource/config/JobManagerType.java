package org.pilotflow.resource.config;

/** What starts the pilot's job: a plain process ({@code fork}, or a login shell over {@code ssh}), SLURM or SGE. */
public enum JobManagerType { FORK, SLURM, SGE }
