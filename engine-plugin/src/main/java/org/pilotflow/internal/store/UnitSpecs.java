package org.pilotflow.internal.store;

import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.model.wire.UnitSpec;

/** What a RUN_UNIT command tells the agent about a unit: its description in the wire's terms. */
public final class UnitSpecs {
    private UnitSpecs() {
    }

    public static UnitSpec of(UnitRecord u) {
        ComputeUnitDescription d = u.description();
        return new UnitSpec(u.uid(), d.name(), d.executable(), d.arguments(), d.environment(), d.cores(), d.gpus(),
                d.preExec(), d.postExec(), d.stdout(), d.stderr(), d.timeout() == null ? 0 : d.timeout().toSeconds(),
                d.mpi(), d.sandbox(), d.cpuThreads(), d.priority(), d.tags().get("colocate"),
                d.memoryMb(), d.inputStaging(), d.outputStaging(), d.stageOnError(), d.function(), d.functionJars());
    }
}
