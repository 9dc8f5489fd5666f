package org.pilotflow.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.UnitSpec;

/**
 * The commands waiting for one pilot's agent. A command stays until the agent acknowledges its number
 * ({@code lastCommandSeq}) and is sent again in every sync until then; the agent ignores numbers it has seen.
 * After an engine restart the queue does not know the agent's last number, so the first sync re-bases the
 * numbering above it (otherwise the agent would ignore the re-sent commands as old).
 */
final class CommandQueue {
    static final int MAX_PER_SYNC = 2000;

    private final LinkedList<Command> pending = new LinkedList<>();
    private long nextSeq = 1;
    private long acked;
    /** The highest number ever handed to an agent: such a command may have been taken. */
    private long sentUpTo;
    private boolean rebaseOnNextSync;

    synchronized void runUnit(UnitSpec spec) {
        add(Command.run(nextSeq++, spec));
    }

    synchronized void cancelUnit(String unitId) {
        add(Command.cancelUnit(nextSeq++, unitId));
    }

    synchronized void cancelPilot() {
        add(Command.cancelPilot(nextSeq++));
    }

    private void add(Command c) {
        pending.add(c);
        notifyAll();
    }

    /** Marks the queue as rebuilt after a restart. */
    synchronized void rebaseOnNextSync() {
        rebaseOnNextSync = true;
    }

    /** Takes the agent's acknowledgement and returns the commands it has not taken yet (at most a batch). */
    synchronized List<Command> sync(long agentLastSeq) {
        if (rebaseOnNextSync) {
            rebaseOnNextSync = false;
            List<Command> old = new ArrayList<>(pending);
            pending.clear();
            nextSeq = agentLastSeq + 1;
            for (Command c : old) {
                pending.add(new Command(nextSeq++, c.type(), c.unit(), c.unitId()));
            }
        }
        acked = Math.max(acked, agentLastSeq);
        pending.removeIf(c -> c.seq() <= acked);
        List<Command> out = new ArrayList<>(Math.min(pending.size(), MAX_PER_SYNC));
        for (Command c : pending) {
            if (out.size() == MAX_PER_SYNC) {
                break;
            }
            out.add(c);
            sentUpTo = Math.max(sentUpTo, c.seq());
        }
        return out;
    }

    /** Waits until a command beyond what the agent acknowledged exists, at most {@code millis}. */
    synchronized void awaitCommand(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        long left = millis;
        while (pending.isEmpty() && left > 0) {
            wait(left);
            left = deadline - System.currentTimeMillis();
        }
    }

    /**
     * Removes a RUN_UNIT never handed to the agent (so a cancel needs no round trip). Says no when the command
     * was sent, even if not yet acknowledged: then the agent may have it, and the cancel must go through it.
     */
    synchronized boolean withdrawRun(String unitId) {
        for (Iterator<Command> it = pending.iterator(); it.hasNext(); ) {
            Command c = it.next();
            if (c.type() == Command.Type.RUN_UNIT && unitId.equals(c.unitId()) && c.seq() > sentUpTo) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    synchronized int size() {
        return pending.size();
    }
}
