package org.pilotflow.function;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What a {@link PilotFunction} is given: its unit's description and sandbox, output writers, the cancel signal. */
public interface FunctionContext {

    /** The unit's uid. */
    String unitId();

    /** The unit's {@code arguments}, as given. */
    List<String> arguments();

    /**
     * The unit's environment: its {@code environment} plus the variables PilotFlow gives every unit
     * ({@code PILOTFLOW_UNIT_ID}, {@code PILOTFLOW_CORES}, ...). Not the agent's own environment, and not set in
     * the JVM: a function reads it here, not with {@code System.getenv}.
     */
    Map<String, String> environment();

    /** The unit sandbox (absolute); a function's working files belong here, not in the agent's working directory. */
    Path sandbox();

    /** The cores the unit was given; a function may use that many threads. */
    int cores();

    /**
     * Writes to the unit's stdout file (opened on first use). {@code System.out} is the agent's own output: a
     * function's prints there do not reach its unit.
     */
    PrintWriter out();

    /** Writes to the unit's stderr file (opened on first use). */
    PrintWriter err();

    /**
     * True once the unit is canceled or timed out (its thread is interrupted at the same time): a long function
     * checks this, or lets an {@code InterruptedException} end it.
     */
    boolean canceled();
}
