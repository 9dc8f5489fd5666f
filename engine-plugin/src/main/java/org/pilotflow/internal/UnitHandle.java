package org.pilotflow.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.model.UnitState;

/** The API's view of one unit entry. */
final class UnitHandle implements ComputeUnit {
    private final PilotFlowRuntime runtime;
    private final UnitEntry entry;

    UnitHandle(PilotFlowRuntime runtime, UnitEntry entry) {
        this.runtime = runtime;
        this.entry = entry;
    }

    @Override
    public String uid() {
        return entry.current.uid();
    }

    @Override
    public UnitState state() {
        return entry.current.state();
    }

    @Override
    public List<StateEntry<UnitState>> stateHistory() {
        return entry.current.history();
    }

    @Override
    public ComputeUnitDescription description() {
        return entry.current.description();
    }

    @Override
    public Optional<Integer> exitCode() {
        return Optional.ofNullable(entry.current.exitCode());
    }

    @Override
    public String stdout() {
        String s = entry.current.stdoutTail();
        return s == null ? "" : s;
    }

    @Override
    public String stderr() {
        String s = entry.current.stderrTail();
        return s == null ? "" : s;
    }

    @Override
    public Optional<String> failureReason() {
        UnitSnapshot s = entry.current;
        return s.state() == UnitState.DONE ? Optional.empty() : Optional.ofNullable(s.reason());
    }

    @Override
    public Optional<String> sandbox() {
        return Optional.ofNullable(entry.current.sandbox());
    }

    @Override
    public Optional<String> pilot() {
        return Optional.ofNullable(entry.current.pilot());
    }

    @Override
    public List<String> slots() {
        return entry.current.slots();
    }

    @Override
    public UnitState waitFor(Duration timeout, UnitState... states) {
        return StateWait.await(runtime.session(entry.current.sessionId()), List.of(entry), e -> e.current.state(),
                e -> e.current.uid(), UnitState.MODEL, List.of(states), timeout, "unit").get(0);
    }

    @Override
    public void cancel() {
        runtime.cancelUnits(List.of(entry));
    }

    @Override
    public CompletableFuture<ComputeUnit> completion() {
        return entry.completion.copy(); // callers cannot complete the shared future
    }

    @Override
    public void registerCallback(UnitCallback callback) {
        if (callback == null) {
            throw new BadParameter("callback", null, "a UnitCallback");
        }
        entry.callbacks.add(callback);
    }

    @Override
    public String toString() {
        return "ComputeUnit[" + uid() + ", " + state() + "]";
    }
}
