package org.pilotflow.internal.scheduling;

import org.pilotflow.model.PilotState;

/**
 * What the scheduler knows of one pilot: its state, its size, and the cores and GPUs of the unfinished units
 * already bound to it.
 */
public record PilotCapacity(String uid, PilotState state, int cores, int gpus, int boundCores, int boundGpus) {

    PilotCapacity plus(int c, int g) {
        return new PilotCapacity(uid, state, cores, gpus, boundCores + c, boundGpus + g);
    }
}
