package org.pilotflow.internal.session;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitDataCallback;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.model.UnitState;

/** The API's view of one unit: every getter reads the newest version this node has seen. */
final class UnitHandle implements ComputeUnit {
    private final SessionState session;
    private final UnitView view;

    UnitHandle(SessionState session, UnitView view) {
        this.session = session;
        this.view = view;
    }

    @Override
    public String uid() {
        return view.current.uid();
    }

    @Override
    public UnitState state() {
        return view.current.state();
    }

    @Override
    public List<StateEntry<UnitState>> stateHistory() {
        return view.current.history();
    }

    @Override
    public ComputeUnitDescription description() {
        return view.current.description();
    }

    @Override
    public Optional<Integer> exitCode() {
        return Optional.ofNullable(view.current.exitCode());
    }

    @Override
    public String stdout() {
        String s = view.current.stdoutTail();
        return s == null ? "" : s;
    }

    @Override
    public String stderr() {
        String s = view.current.stderrTail();
        return s == null ? "" : s;
    }

    @Override
    public Optional<String> failureReason() {
        UnitRecord u = view.current;
        return u.state() == UnitState.DONE ? Optional.empty() : Optional.ofNullable(u.reason());
    }

    @Override
    public Optional<String> sandbox() {
        return Optional.ofNullable(view.current.sandbox());
    }

    @Override
    public Optional<String> pilot() {
        return Optional.ofNullable(view.current.pilot());
    }

    @Override
    public List<String> slots() {
        return view.current.slots();
    }

    @Override
    public Optional<org.pilotflow.model.ErrorCode> errorCode() {
        return Optional.ofNullable(view.current.errorCode());
    }

    @Override
    public Optional<org.pilotflow.model.memory.MemoryProfile> memory() {
        UnitRecord stored = session.stored(uid());
        return Optional.ofNullable(stored == null ? null : stored.memory());
    }

    @Override
    public List<org.pilotflow.model.StagedFile> outputFiles() {
        UnitRecord stored = session.stored(uid());
        return stored == null ? List.of() : stored.outputs();
    }

    @Override
    public UnitState waitFor(Duration timeout, UnitState... states) {
        return StateWait.await(session, List.of(view), v -> v.current.state(), v -> v.current.uid(), UnitState.MODEL,
                states == null ? null : java.util.Arrays.asList(states), timeout, "unit").get(0);
    }

    @Override
    public void cancel() {
        UnitManagerImpl.cancel(session, List.of(view), "canceled on request");
    }

    @Override
    public CompletableFuture<ComputeUnit> completion() {
        return AsyncResults.handedOver(view.completion);
    }

    @Override
    public void registerCallback(UnitCallback callback) {
        view.callbacks.add(callback);
    }

    @Override
    public <T> void registerCallback(UnitDataCallback<T> callback, T data) {
        BadParameter.requireNonNull(callback, "callback", "a UnitDataCallback");
        view.callbacks.add(new Callbacks.BoundUnit<>(callback, data));
    }

    @Override
    public boolean unregisterCallback(UnitCallback callback) {
        return view.callbacks.remove(callback);
    }

    @Override
    public boolean unregisterCallback(UnitDataCallback<?> callback) {
        return view.callbacks.remove(callback);
    }

    @Override
    public String toString() {
        return "ComputeUnit[" + uid() + ", " + state() + "]";
    }
}
