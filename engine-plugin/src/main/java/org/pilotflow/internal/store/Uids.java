package org.pilotflow.internal.store;

/** The shape of uids (RADICAL-Pilot's): a kind and a number from the session's counter. */
public final class Uids {
    private Uids() {
    }

    public static String pilot(long n) {
        return String.format("pilot.%04d", n);
    }

    public static String unit(long n) {
        return String.format("unit.%06d", n);
    }

    /**
     * The number in a unit uid as {@link #unit} writes it ({@code unit.000042}: 42); -1 for anything else, also for
     * another spelling of a number ({@code unit.42}, {@code unit.0000042}).
     */
    public static long unitNumber(String uid) {
        if (uid == null || !uid.startsWith("unit.") || uid.length() == 5 || uid.length() > 23) {
            return -1;
        }
        for (int i = 5; i < uid.length(); i++) {
            if (uid.charAt(i) < '0' || uid.charAt(i) > '9') {
                return -1;
            }
        }
        int digits = uid.length() - 5; // at least six, no leading zero beyond them
        return digits == 6 || digits > 6 && uid.charAt(5) != '0' ? Long.parseLong(uid, 5, uid.length(), 10) : -1;
    }

    public static String pilotManager(long n) {
        return String.format("pmgr.%04d", n);
    }

    public static String unitManager(long n) {
        return String.format("umgr.%04d", n);
    }
}
