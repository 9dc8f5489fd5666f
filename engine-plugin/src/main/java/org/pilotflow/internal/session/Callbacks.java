package org.pilotflow.internal.session;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotDataCallback;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitDataCallback;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * The callbacks registered on one unit, pilot or manager. Registering and unregistering happen on application
 * threads while the session's callback thread iterates: a copy-on-write list gives that thread a snapshot.
 * A callback registered with data is kept as a {@link Bound} wrapper, so unregistering the callback finds it.
 */
final class Callbacks<C> {
    private final List<C> list = new CopyOnWriteArrayList<>();
    private final String kind;

    Callbacks(String kind) {
        this.kind = kind;
    }

    void add(C callback) {
        list.add(BadParameter.requireNonNull(callback, "callback", "a " + kind));
    }

    /** Removes every registration of {@code callback} (with or without data); false when there was none. */
    boolean remove(Object callback) {
        BadParameter.requireNonNull(callback, "callback", "a registered " + kind);
        return list.removeIf(c -> c == callback || c instanceof Bound<?> b && b.callback() == callback);
    }

    List<C> snapshot() {
        return List.copyOf(list);
    }

    /** A data callback with its data, as the list holds it. */
    interface Bound<T> {
        Object callback();
    }

    record BoundUnit<T>(UnitDataCallback<T> callback, T data) implements UnitCallback, Bound<T> {
        @Override
        public void onStateChange(ComputeUnit unit, UnitState state) {
            callback.onStateChange(unit, state, data);
        }
    }

    record BoundPilot<T>(PilotDataCallback<T> callback, T data) implements PilotCallback, Bound<T> {
        @Override
        public void onStateChange(ComputePilot pilot, PilotState state) {
            callback.onStateChange(pilot, state, data);
        }
    }
}
