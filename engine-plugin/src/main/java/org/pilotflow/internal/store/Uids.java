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

    public static String pilotManager(long n) {
        return String.format("pmgr.%04d", n);
    }

    public static String unitManager(long n) {
        return String.format("umgr.%04d", n);
    }
}
