package org.pilotflow.internal.lifecycle;

import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * Where Pilot-Data's files are reached from this node: a resource's machine, for its pilot-data, and a pilot's, for
 * its units' sandboxes (over SSH: the resource's shared connection, no login per file). The session package builds it
 * from the node's resources.
 */
public interface PilotDataShells {

    /** Whether the resource's files are on this machine (its pilot-data and sandboxes are local paths). */
    boolean isLocal(String resource);

    /** The shell of the machine the resource's pilot-data is on. */
    ResourceShell ofResource(String resource) throws ResourceException;

    /** The shell a launched pilot's sandbox is reached through. */
    ResourceShell ofPilot(PilotRecord pilot) throws ResourceException;

    /** Every resource on this machine (a lifecycle built without resources, as in unit tests). */
    PilotDataShells LOCAL = new PilotDataShells() {
        @Override
        public boolean isLocal(String resource) {
            return true;
        }

        @Override
        public ResourceShell ofResource(String resource) {
            return LocalShell.INSTANCE;
        }

        @Override
        public ResourceShell ofPilot(PilotRecord pilot) {
            return LocalShell.INSTANCE;
        }
    };
}
