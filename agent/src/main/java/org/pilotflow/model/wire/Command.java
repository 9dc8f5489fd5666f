package org.pilotflow.model.wire;

/**
 * An order from the engine to one agent. Commands of one pilot are numbered; the agent acknowledges the highest
 * number it has taken in ({@link SyncRequest#lastCommandSeq()}) and ignores any number it has seen before, so a
 * command re-sent after an engine restart is harmless. A RUN_UNIT for a unit the agent already knows is ignored.
 *
 * @param reason for CANCEL_UNIT and CANCEL_PILOT: why, in words the canceled units' reason carries (null: "canceled
 *               on request")
 */
public record Command(long seq, Type type, UnitSpec unit, String unitId, String reason) {

    public enum Type { RUN_UNIT, CANCEL_UNIT, CANCEL_PILOT }

    public static Command run(long seq, UnitSpec unit) {
        return new Command(seq, Type.RUN_UNIT, unit, unit.unitId(), null);
    }

    public static Command cancelUnit(long seq, String unitId) {
        return cancelUnit(seq, unitId, null);
    }

    public static Command cancelUnit(long seq, String unitId, String reason) {
        return new Command(seq, Type.CANCEL_UNIT, null, unitId, reason);
    }

    public static Command cancelPilot(long seq) {
        return new Command(seq, Type.CANCEL_PILOT, null, null, null);
    }
}
