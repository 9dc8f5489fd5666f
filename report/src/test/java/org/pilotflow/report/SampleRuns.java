package org.pilotflow.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.model.memory.MemorySample;
import org.pilotflow.report.RunData.PilotRun;
import org.pilotflow.report.RunData.UnitRun;

/** Hand-made runs: times in seconds from {@link #T0}. */
public final class SampleRuns {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private SampleRuns() {
    }

    static Instant at(double seconds) {
        return T0.plusNanos(Math.round(seconds * 1e9));
    }

    static <S extends Enum<S>> StateEntry<S> e(S state, double seconds) {
        return new StateEntry<>(state, at(seconds), 1);
    }

    static <S extends Enum<S>> StateEntry<S> e(S state, double seconds, int attempt) {
        return new StateEntry<>(state, at(seconds), attempt, StateEntry.AGENT);
    }

    static PilotRun pilot(String uid, int cores, double active, double end, PilotState endState, String reason) {
        return new PilotRun(uid, "local.localhost", cores, endState, List.of(e(PilotState.NEW, 0),
                e(PilotState.PENDING_LAUNCH, 0), e(PilotState.LAUNCHING, 0.1), e(PilotState.PENDING_ACTIVE, 0.2),
                e(PilotState.ACTIVE, active), e(endState, end)), reason);
    }

    /** A unit of one attempt through the whole model: submitted, placed, executing, exited, ended. */
    static UnitRun unit(String uid, String pilot, int cores, double submitted, double allocated, double executing,
                        double exited, double ended, UnitState end, ErrorCode code, String reason,
                        MemoryProfile memory) {
        return new UnitRun(uid, uid, pilot, cores, end, List.of(e(UnitState.NEW, submitted),
                e(UnitState.UNSCHEDULED, submitted), e(UnitState.SCHEDULING, submitted),
                e(UnitState.PENDING_INPUT_STAGING, submitted), e(UnitState.STAGING_INPUT, submitted),
                e(UnitState.PENDING_EXECUTION, submitted), e(UnitState.ALLOCATING, allocated),
                e(UnitState.EXECUTING, executing), e(UnitState.PENDING_OUTPUT_STAGING, exited),
                e(UnitState.STAGING_OUTPUT, exited), e(end, ended)), code, reason, memory);
    }

    /** {@code n} samples every {@code intervalMs}, starting at {@code baseMib} and growing {@code mibPerSecond}. */
    static MemoryProfile memory(int n, long intervalMs, double baseMib, double mibPerSecond, long limitMib) {
        List<MemorySample> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long used = Math.round((baseMib + mibPerSecond * i * intervalMs / 1000.0) * 1048576);
            s.add(new MemorySample(i * intervalMs, used + 4096, used, 0));
        }
        return MemoryProfile.of(limitMib * 1048576, intervalMs, s);
    }

    /**
     * Two pilots (4 cores, and 2 cores that FAILED), 80 units: mostly DONE, failures of several codes (one with
     * markup in its reason), memory profiles of which two leak.
     */
    public static RunData rich() {
        Random r = new Random(42);
        List<PilotRun> pilots = List.of(
                pilot("pilot.0000", 4, 2, 62, PilotState.CANCELED, "pilot canceled"),
                pilot("pilot.0001", 2, 3, 40, PilotState.FAILED, "no contact with the agent for 30 s"));
        List<UnitRun> units = new ArrayList<>();
        double[] free = {2, 2, 2, 2, 3, 3}; // when each core (4 on pilot.0000, 2 on pilot.0001) is free again
        for (int i = 0; i < 80; i++) {
            int core = i % 6;
            if (core >= 4 && free[core] > 36) { // pilot.0001 fails at 40 s: later units go to pilot.0000
                core = i % 4;
            }
            String pilot = core < 4 ? "pilot.0000" : "pilot.0001";
            double allocated = free[core] + 0.02;
            double executing = allocated + 0.05 + r.nextDouble() * 0.05;
            double exited = executing + 0.5 + r.nextDouble() * 2.5;
            double ended = exited + 0.03;
            free[core] = ended;
            UnitState end = UnitState.DONE;
            ErrorCode code = null;
            String reason = null;
            MemoryProfile memory = null;
            if (i % 13 == 5) {
                end = UnitState.FAILED;
                code = ErrorCode.EXIT_CODE;
                reason = "exit code 3; stderr: <script>alert('x')</script> & more";
            } else if (i == 17) {
                end = UnitState.FAILED;
                code = ErrorCode.MEMORY_EXCEEDED;
                reason = "memory limit exceeded: peak 130.0 MiB (pss+swap of its processes), limit 100.0 MiB";
                memory = memory(20, 100, 20, 60, 100);
            } else if (i == 30) {
                end = UnitState.CANCELED;
                code = ErrorCode.CANCELED;
                reason = "canceled on request";
            } else if (i == 41) {
                end = UnitState.FAILED;
                code = ErrorCode.PILOT_LOST;
                reason = "pilot pilot.0001 FAILED: no contact with the agent for 30 s";
            }
            if (memory == null && i % 8 == 0) {
                memory = i == 24 ? memory(40, 100, 50, 8, 0) : memory(30, 100, 10 + i, 0, 0);
            }
            units.add(unit(String.format("unit.%06d", i), pilot, 1, 1.5, allocated, executing, exited, ended, end,
                    code, reason, memory));
        }
        return new RunData("session.20260101.000000.abcdef", pilots, units);
    }
}
