package org.pilotflow.function;

/**
 * A function unit: a task that runs inside the pilot's agent, in a worker thread, instead of as a process
 * (RADICAL-Pilot's RAPTOR function tasks, for tasks too small to pay for a process each).
 *
 * <p>The agent loads the class named by the unit's {@code function} from the unit's {@code functionJars} (one class
 * loader per distinct set of jars, kept for the pilot's life), and makes a new instance per unit with the public
 * no-argument constructor. The class sees the JDK and this package, nothing else of PilotFlow.
 *
 * <p>Ending: returning ends the unit DONE, and the value's {@code String.valueOf} (unless null) is appended to the
 * unit's stdout file as its last line, so it is the end of the unit's stdout tail; throwing ends it FAILED with
 * error code {@code FUNCTION_EXCEPTION} and a reason naming the exception's class and message (its stack trace is
 * in the stderr file). On cancel or timeout the worker thread is interrupted and {@link FunctionContext#canceled()}
 * turns true: return (or throw) soon. A function that does not keeps its cores until it returns.
 */
@FunctionalInterface
public interface PilotFunction {

    /**
     * Runs the unit.
     *
     * @return the unit's result, recorded in its stdout; null for none
     */
    Object call(FunctionContext context) throws Exception;
}
