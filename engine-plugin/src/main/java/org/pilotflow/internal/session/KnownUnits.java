package org.pilotflow.internal.session;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.internal.store.Uids;
import org.pilotflow.model.UnitState;

/**
 * Every unit a session's view has taken in, at four bytes a unit: its manager and, once its view went
 * ({@link SessionState} keeps only the newest finished units' views), its final state. Enough to tell a unit whose
 * view went from one this node has not seen, and to wait for or cancel any number of finished units without
 * reading them back. Not thread-safe: the session's view lock guards it.
 */
final class KnownUnits {
    private static final UnitState[] FINALS = {null, UnitState.DONE, UnitState.CANCELED, UnitState.FAILED};

    /** By unit number: 0 not seen; else (manager index + 1) << 2 | final-state code (0: its view is kept). */
    private int[] codes = new int[1024];
    /** Uids without a number that fits the array (none are made today: kept correct rather than assumed). */
    private final Map<String, Integer> others = new HashMap<>();
    private final List<String> managers = new ArrayList<>();
    private final Map<String, Integer> managerIndex = new HashMap<>();
    private int count;

    /** The manager's unit {@code uid} was taken in; true when it was not before. */
    boolean add(String uid, String manager) {
        if (code(uid) != 0) {
            return false;
        }
        Integer m = managerIndex.computeIfAbsent(manager, k -> {
            managers.add(k);
            return managers.size() - 1;
        });
        put(uid, (m + 1) << 2);
        count++;
        return true;
    }

    /** The unit's view went; it ended in {@code state}. */
    void gone(String uid, UnitState state) {
        int c = code(uid);
        if (c != 0) {
            put(uid, (c & ~3) | Arrays.asList(FINALS).indexOf(state));
        }
    }

    boolean contains(String uid) {
        return code(uid) != 0;
    }

    /** The final state of a unit whose view went; null for any other. */
    UnitState goneState(String uid) {
        return FINALS[code(uid) & 3];
    }

    /** The manager of a unit taken in; null for one not seen. */
    String manager(String uid) {
        int c = code(uid);
        return c == 0 ? null : managers.get((c >>> 2) - 1);
    }

    int count() {
        return count;
    }

    void addAll(KnownUnits other) {
        for (int n = 0; n < other.codes.length; n++) {
            if (other.codes[n] != 0) {
                copy(other, Uids.unit(n));
            }
        }
        other.others.keySet().forEach(uid -> copy(other, uid));
    }

    private void copy(KnownUnits other, String uid) {
        if (add(uid, other.manager(uid)) && other.goneState(uid) != null) {
            gone(uid, other.goneState(uid));
        }
    }

    private int code(String uid) {
        int n = number(uid);
        if (n < 0) {
            return others.getOrDefault(uid, 0);
        }
        return n < codes.length ? codes[n] : 0;
    }

    private void put(String uid, int code) {
        int n = number(uid);
        if (n < 0) {
            others.put(uid, code);
            return;
        }
        if (n >= codes.length) {
            codes = Arrays.copyOf(codes, Math.max(n + 1, codes.length * 2));
        }
        codes[n] = code;
    }

    /** The array index of a unit uid; -1 for a uid without a number under 2^30 (that goes to {@link #others}). */
    private static int number(String uid) {
        long n = Uids.unitNumber(uid);
        return n >= 0 && n < (1 << 30) ? (int) n : -1;
    }
}
