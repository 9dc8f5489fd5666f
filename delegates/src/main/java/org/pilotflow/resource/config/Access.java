package org.pilotflow.resource.config;

/** How PilotFlow reaches a resource: directly on this machine, or over SSH. */
public enum Access { LOCAL, SSH }
