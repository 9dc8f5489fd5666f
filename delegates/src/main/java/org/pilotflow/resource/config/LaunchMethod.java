package org.pilotflow.resource.config;

/** The ways an agent can start a unit's processes, named as in {@code launch_methods.order}. */
public enum LaunchMethod { FORK, SRUN, MPIEXEC, MPIRUN, SSH }
