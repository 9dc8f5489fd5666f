package org.pilotflow.model.wire;

/**
 * An order from the engine to one agent. Commands of one pilot are numbered; the agent acknowledges the highest
 * number it has taken in ({@link SyncRequest#lastCommandSeq()}) and ignores any number it has seen before, so a
 * command re-sent after an engine restart is harmless. A RUN_UNIT for a unit the agent already knows is ignored.
 */
public record Command(long seq, Type type, UnitSpec unit, String unitId) {

    public enum Type { RUN_UNIT, CANCEL_UNIT, CANCEL_PILOT }

    public static Command run(long seq, UnitSpec unit) {
        return new Command(seq, Type.RUN_UNIT, unit, unit.unitId());
    }

    public static Command cancelUnit(long seq, String unitId) {
        return new Command(seq, Type.CANCEL_UNIT, null, unitId);
    }

    public static Command cancelPilot(long seq) {
        return new Command(seq, Type.CANCEL_PILOT, null, null);
    }
}
