package org.pilotflow.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A state model as an explicit table of allowed direct transitions. It is the one source of truth for the
 * pilot and unit lifecycles: the engine applies reports with it, the tests check it, and the README diagram is
 * generated from it ({@link #toMermaid()}).
 *
 * <p>The rules (learned the hard way by RADICAL-Pilot):
 * <ul>
 *   <li>states only move forward; an update to a later state implies the skipped ones, each announced once and
 *       in order (the shortest path through the table);</li>
 *   <li>an update to an equal or earlier state is ignored, so duplicate and out-of-order delivery is harmless;</li>
 *   <li>DONE or FAILED wins over a racing CANCELED (the table has an explicit race edge for that);</li>
 *   <li>any other move out of a final state is an error ({@link IllegalStateTransitionException}).</li>
 * </ul>
 */
public final class StateModel<S extends Enum<S>> {

    /** A direct transition of the table; {@code race} marks the "DONE or FAILED wins over CANCELED" edges. */
    public record Transition<S>(S from, S to, boolean race) { }

    private final Class<S> type;
    private final S initial;
    private final Set<S> finals;
    private final List<Transition<S>> transitions;
    /** Regular successors only: race edges never stand for implied states. */
    private final Map<S, List<S>> successors;
    private final Map<S, Set<S>> raceTargets;
    // forward[a] = every state reachable from a over regular edges (not including a)
    private final Map<S, Set<S>> forward;
    // any[a] = every state reachable from a over any edge
    private final Map<S, Set<S>> any;

    private StateModel(Class<S> type, S initial, Set<S> finals, List<Transition<S>> transitions) {
        this.type = type;
        this.initial = initial;
        this.finals = Collections.unmodifiableSet(EnumSet.copyOf(finals));
        this.transitions = List.copyOf(transitions);
        this.successors = new EnumMap<>(type);
        this.raceTargets = new EnumMap<>(type);
        Map<S, List<S>> all = new EnumMap<>(type);
        for (S s : type.getEnumConstants()) {
            successors.put(s, new ArrayList<>());
            raceTargets.put(s, EnumSet.noneOf(type));
            all.put(s, new ArrayList<>());
        }
        for (Transition<S> t : transitions) {
            (t.race() ? raceTargets.get(t.from()) : successors.get(t.from())).add(t.to());
            all.get(t.from()).add(t.to());
        }
        this.forward = new EnumMap<>(type);
        this.any = new EnumMap<>(type);
        for (S s : type.getEnumConstants()) {
            forward.put(s, closure(s, successors));
            any.put(s, closure(s, all));
        }
    }

    /** The enum of the states. */
    public Class<S> type() {
        return type;
    }

    public static <S extends Enum<S>> Builder<S> builder(Class<S> type, S initial) {
        return new Builder<>(type, initial);
    }

    public S initial() {
        return initial;
    }

    public Set<S> finals() {
        return finals;
    }

    public boolean isFinal(S state) {
        return finals.contains(state);
    }

    /**
     * Whether an entity in {@code current} has reached or passed {@code target}: it is there, or {@code current}
     * lies after {@code target} on the table's regular edges (RADICAL-Pilot's wait semantics; a final state that
     * does not lie after {@code target}, such as FAILED for EXECUTING's successor DONE, is not "passed" here: the
     * caller decides whether ending counts).
     */
    public boolean reachedOrPassed(S current, S target) {
        return current == target || forward.get(target).contains(current);
    }

    public List<Transition<S>> transitions() {
        return transitions;
    }

    /**
     * The states to announce when a component in {@code current} reports {@code target}: empty when the report
     * is a duplicate or stale, otherwise every implied state in order, ending with {@code target}.
     *
     * @throws IllegalStateTransitionException when the move leaves a final state against the rules
     */
    public List<S> advance(S current, S target) {
        Objects.requireNonNull(target, "target state");
        if (current == null) {
            current = initial;
            if (target == initial) {
                return List.of(initial);
            }
        }
        if (current == target) {
            return List.of();
        }
        if (forward.get(current).contains(target)) {
            return shortestPath(current, target);
        }
        if (raceTargets.get(current).contains(target)) {
            return List.of(target); // DONE or FAILED wins over a racing CANCELED
        }
        if (any.get(target).contains(current)) {
            return List.of(); // an earlier state: stale or out of order
        }
        throw new IllegalStateTransitionException(type.getSimpleName() + " cannot move from final state "
                + current + " to " + target);
    }

    /**
     * Like {@link #advance(Object, Object)}, but an end the table reaches in one step from any state (FAILED or
     * CANCELED) first passes through the states the reporter says it passed ({@code passed}: those it gave times
     * for), up to the furthest of them. A unit whose agent merged its EXECUTING report into its FAILED report thus
     * still has EXECUTING in its history, with the agent's time.
     */
    public List<S> advance(S current, S target, Collection<S> passed) {
        List<S> direct = advance(current, target);
        S from = current == null ? initial : current;
        if (direct.size() != 1 || !isFinal(target) || passed.isEmpty() || isFinal(from)) {
            return direct;
        }
        S furthest = null;
        int distance = 0;
        for (S s : passed) {
            if (!isFinal(s) && forward.get(from).contains(s) && successors.get(s).contains(target)) {
                int d = shortestPath(from, s).size();
                if (d > distance) {
                    distance = d;
                    furthest = s;
                }
            }
        }
        if (furthest == null) {
            return direct;
        }
        List<S> path = new ArrayList<>(shortestPath(from, furthest));
        path.add(target);
        return path;
    }

    private List<S> shortestPath(S from, S to) {
        Map<S, S> parent = new EnumMap<>(type);
        Deque<S> queue = new ArrayDeque<>();
        queue.add(from);
        parent.put(from, from);
        while (!queue.isEmpty()) {
            S s = queue.poll();
            if (s == to) {
                break;
            }
            for (S n : successors.get(s)) {
                if (!parent.containsKey(n)) {
                    parent.put(n, s);
                    queue.add(n);
                }
            }
        }
        List<S> path = new ArrayList<>();
        for (S s = to; s != from; s = parent.get(s)) {
            path.add(s);
        }
        Collections.reverse(path);
        return path;
    }

    private Set<S> closure(S start, Map<S, List<S>> edges) {
        Set<S> seen = EnumSet.noneOf(type);
        Deque<S> queue = new ArrayDeque<>(edges.get(start));
        while (!queue.isEmpty()) {
            S s = queue.poll();
            if (seen.add(s)) {
                queue.addAll(edges.get(s));
            }
        }
        seen.remove(start);
        return seen;
    }

    /**
     * A Mermaid state diagram drawn from this table; the README embeds it and a test keeps the two equal. An exit
     * that every non-final state can take is drawn once, from a pseudo-state "any non-final state".
     */
    public String toMermaid() {
        StringBuilder sb = new StringBuilder("stateDiagram-v2\n    direction LR\n");
        sb.append("    state \"any non-final state\" as ANY\n");
        sb.append("    [*] --> ").append(initial.name()).append('\n');
        List<S> nonFinals = new ArrayList<>();
        for (S s : type.getEnumConstants()) {
            if (!finals.contains(s)) {
                nonFinals.add(s);
            }
        }
        List<S> anyNonFinal = new ArrayList<>();
        for (S target : type.getEnumConstants()) {
            List<S> sources = new ArrayList<>();
            for (Transition<S> t : transitions) {
                if (t.to() == target && !t.race()) {
                    sources.add(t.from());
                }
            }
            if (sources.size() > 2 && sources.containsAll(nonFinalsExcept(nonFinals, target))) {
                anyNonFinal.add(target);
            }
        }
        for (Transition<S> t : transitions) {
            if (!t.race() && !anyNonFinal.contains(t.to())) {
                sb.append("    ").append(t.from().name()).append(" --> ").append(t.to().name()).append('\n');
            }
        }
        for (S target : anyNonFinal) {
            sb.append("    ANY --> ").append(target.name()).append('\n');
        }
        for (Transition<S> t : transitions) {
            if (t.race()) {
                sb.append("    ").append(t.from().name()).append(" --> ").append(t.to().name())
                        .append(" : a late ").append(t.to().name()).append(" wins over a racing cancel\n");
            }
        }
        for (S f : finals) {
            sb.append("    ").append(f.name()).append(" --> [*]\n");
        }
        return sb.toString();
    }

    private List<S> nonFinalsExcept(List<S> nonFinals, S target) {
        List<S> out = new ArrayList<>(nonFinals);
        out.remove(target);
        return out;
    }

    /** Builds a table; {@link #path} adds a chain, {@link #fromEveryNonFinal} adds an exit reachable anywhere. */
    public static final class Builder<S extends Enum<S>> {
        private final Class<S> type;
        private final S initial;
        private final Set<S> finals;
        private final List<Transition<S>> transitions = new ArrayList<>();
        private final List<S[]> anyExits = new ArrayList<>();

        private Builder(Class<S> type, S initial) {
            this.type = type;
            this.initial = initial;
            this.finals = EnumSet.noneOf(type);
        }

        @SafeVarargs
        public final Builder<S> path(S... states) {
            for (int i = 0; i + 1 < states.length; i++) {
                transitions.add(new Transition<>(states[i], states[i + 1], false));
            }
            return this;
        }

        /** {@code exit} can be entered from every non-final state except {@code except}. */
        @SafeVarargs
        public final Builder<S> fromEveryNonFinal(S exit, S... except) {
            S[] entry = java.util.Arrays.copyOf(except, except.length + 1);
            entry[except.length] = exit;
            anyExits.add(entry);
            return this;
        }

        public Builder<S> raceWin(S from, S to) {
            transitions.add(new Transition<>(from, to, true));
            return this;
        }

        @SafeVarargs
        public final Builder<S> finals(S... states) {
            finals.addAll(List.of(states));
            return this;
        }

        public StateModel<S> build() {
            List<Transition<S>> all = new ArrayList<>();
            for (Transition<S> t : transitions) {
                if (!t.race()) {
                    all.add(t);
                }
            }
            for (S[] entry : anyExits) {
                S exit = entry[entry.length - 1];
                Set<S> except = EnumSet.noneOf(type);
                for (int i = 0; i < entry.length - 1; i++) {
                    except.add(entry[i]);
                }
                for (S s : type.getEnumConstants()) {
                    if (s != exit && !finals.contains(s) && !except.contains(s)) {
                        all.add(new Transition<>(s, exit, false));
                    }
                }
            }
            for (Transition<S> t : transitions) {
                if (t.race()) {
                    all.add(t);
                }
            }
            return new StateModel<>(type, initial, finals, all);
        }
    }
}
