package org.pilotflow.internal.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.WaitTimeout;
import org.pilotflow.model.StateModel;

/**
 * The one wait behind waitPilots, waitUnits and waitFor: block until every entry has reached or passed one of the
 * awaited states, or is final (RADICAL-Pilot's semantics: waiting for EXECUTING returns for a unit already DONE,
 * and waiting for DONE returns for a unit that FAILED; the returned states say which).
 */
final class StateWait {
    private StateWait() {
    }

    /**
     * @param states the awaited states; any final state of {@code model} when null or empty
     * @param timeout null for no limit
     * @return the entries' states, in order
     * @throws WaitTimeout naming the entries that did not get there, and where they are
     */
    static <E, S extends Enum<S>> List<S> await(SessionState session, List<E> entries, Function<E, S> state,
                                                Function<E, String> uid, StateModel<S> model,
                                                Collection<S> states, Duration timeout, String kind) {
        if (states != null) {
            BadParameter.requireNoNulls(states, "states", "a state");
        }
        if (timeout != null && timeout.isNegative()) {
            throw new BadParameter("timeout", timeout, "a duration >= 0, or null for no limit");
        }
        Set<S> target = states == null || states.isEmpty() ? model.finals() : EnumSet.copyOf(states);
        Duration limit = timeout == null ? Duration.ofDays(3650) : timeout;
        java.util.function.Predicate<S> arrived = s -> model.isFinal(s)
                || target.stream().anyMatch(t -> model.reachedOrPassed(s, t));
        java.util.function.BooleanSupplier all = () -> entries.stream().allMatch(e -> arrived.test(state.apply(e)));
        long start = System.nanoTime();
        long deadline = start + Math.min(limit.toNanos(), Long.MAX_VALUE / 4);
        WaitProgress<E, S> progress = new WaitProgress<>(entries, state, arrived, model.type(), kind, start);
        boolean ok;
        while (true) { // in slices, telling progress between them: a long wait is not silent
            long now = System.nanoTime();
            long slice = Math.min(deadline - now, WaitProgress.EVERY_NANOS);
            ok = session.await(all, Duration.ofNanos(Math.max(0, slice)));
            if (ok || System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
                break; // interrupted: the flag stays set and the wait ends as a timeout, as before the slices
            }
            progress.log(System.nanoTime());
        }
        if (!ok) {
            Map<String, S> pending = new LinkedHashMap<>();
            for (E e : entries) {
                S s = state.apply(e);
                if (!arrived.test(s)) {
                    pending.put(uid.apply(e), s);
                }
            }
            String examples = pending.entrySet().stream().limit(5).map(x -> x.getKey() + "=" + x.getValue())
                    .toList().toString();
            throw new WaitTimeout(pending.size() + " of " + entries.size() + " " + kind + "(s) did not reach "
                    + target + " within " + limit + "; e.g. " + examples, pending);
        }
        List<S> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(state.apply(e)));
        return out;
    }
}
