package org.pilotflow.internal.store;

import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.model.wire.UnitSpec;

/** What a RUN_UNIT command tells the agent about a unit: its description in the wire's terms. */
public final class UnitSpecs {
    private UnitSpecs() {
    }

    public static UnitSpec of(UnitRecord u) {
        return of(u, java.util.List.of());
    }

    /** With {@code dataInput} (the unit's input data, as directives) staged before the unit's own input staging. */
    public static UnitSpec of(UnitRecord u, java.util.List<org.pilotflow.model.wire.StagingDirective> dataInput) {
        ComputeUnitDescription d = u.description();
        // client:// directives are the engine's (done before RUN_UNIT, or after the agent's DONE)
        java.util.List<org.pilotflow.model.wire.StagingDirective> input = new java.util.ArrayList<>(dataInput);
        d.inputStaging().stream().filter(x -> !x.onClient()).forEach(input::add);
        java.util.List<org.pilotflow.model.wire.StagingDirective> output = d.outputStaging().stream()
                .filter(x -> !x.onClient()).toList();
        return new UnitSpec(u.uid(), d.name(), d.executable(), d.arguments(), d.environment(), d.cores(), d.gpus(),
                d.preExec(), d.postExec(), d.stdout(), d.stderr(), d.timeout() == null ? 0 : d.timeout().toSeconds(),
                d.mpi(), d.sandbox(), d.cpuThreads(), d.priority(), d.tags().get("colocate"),
                d.memoryMb(), input, output, d.stageOnError(), d.function(), d.functionJars());
    }
}
