package org.pilotflow.delegates;

/**
 * The names the lifecycle models (module {@code bpmn}) and the Java side agree on: process keys, messages,
 * errors, variables and the delegate bean names the plugin registers.
 */
public final class BpmnContract {
    private BpmnContract() {
    }

    public static final String PILOT_PROCESS = "pilotflow-pilot";
    public static final String UNIT_PROCESS = "pilotflow-unit";
    public static final String PILOT_RESOURCE = "org/pilotflow/bpmn/pilotflow-pilot.bpmn";
    public static final String UNIT_RESOURCE = "org/pilotflow/bpmn/pilotflow-unit.bpmn";

    public static final String MSG_PILOT_ACTIVE = "pilotflow.pilot.active";
    public static final String MSG_PILOT_ENDED = "pilotflow.pilot.ended";
    public static final String MSG_PILOT_CANCEL = "pilotflow.pilot.cancel";
    public static final String MSG_UNIT_ENDED = "pilotflow.unit.ended";
    /** Correlate this to a unit's process (from any engine node, Cockpit or REST) to cancel the unit. */
    public static final String MSG_UNIT_CANCEL = "pilotflow.unit.cancel";

    /**
     * A unit with input from {@code client://} is bound to a pilot: the event subprocess "Input from the client"
     * transfers it (variables {@link #VAR_STAGING_PILOT}, {@link #VAR_STAGING_ATTEMPT}: the binding).
     */
    public static final String MSG_UNIT_STAGE_INPUT = "pilotflow.unit.stageInput";
    /**
     * The agent is done with a unit that has output for {@code client://}: the event subprocess "Output to the
     * client" transfers it (variables {@link #VAR_STAGING_PILOT}, {@link #VAR_STAGING_ATTEMPT},
     * {@link #VAR_AGENT_STATE}, {@link #VAR_AGENT_REASON}, {@link #VAR_AGENT_ERROR_CODE}).
     */
    public static final String MSG_UNIT_STAGE_OUTPUT = "pilotflow.unit.stageOutput";
    public static final String VAR_STAGING_PILOT = "stagingPilot";
    public static final String VAR_STAGING_ATTEMPT = "stagingAttempt";
    /** The final state the agent reported for a unit whose output the engine still transfers. */
    public static final String VAR_AGENT_STATE = "agentState";
    public static final String VAR_AGENT_REASON = "agentReason";
    public static final String VAR_AGENT_ERROR_CODE = "agentErrorCode";

    /** The external task topic of "Launch pilot": PilotFlow's launch worker on any engine node takes it. */
    public static final String TOPIC_LAUNCH_PILOT = "pilotflow.pilot.launch";

    public static final String ERR_PILOT_LAUNCH_FAILED = "pilotflow.pilot.launchFailed";
    public static final String ERR_UNIT_REJECTED = "pilotflow.unit.rejected";
    /** Thrown for a FAILED unit when its calling workflow catches it (else an incident, see UnitFailedDelegate). */
    public static final String ERR_UNIT_FAILED = "pilotflow.unit.failed";

    public static final String VAR_SESSION = "pilotflowSession";
    public static final String VAR_PILOT = "pilotflowPilot";
    public static final String VAR_UNIT = "pilotflowUnit";
    public static final String VAR_PILOT_STATE = "pilotState";
    public static final String VAR_UNIT_STATE = "unitState";
    public static final String VAR_EXIT_CODE = "exitCode";
    public static final String VAR_FAILURE_REASON = "failureReason";
    /** An {@code ErrorCode} name when the unit did not end DONE (null for DONE). */
    public static final String VAR_ERROR_CODE = "errorCode";
    /** The pilot a unit is bound to (its uid), null until it is bound. */
    public static final String VAR_UNIT_PILOT = "unitPilot";
    /** The last lines of a unit's standard output / error, as its agent last reported them. */
    public static final String VAR_STDOUT_TAIL = "stdoutTail";
    public static final String VAR_STDERR_TAIL = "stderrTail";
    /**
     * The most characters of a reason or output tail kept in a process variable (a tail keeps its end): Camunda
     * stores a string variable in a 4000-character column.
     */
    public static final int VAR_TEXT_CHARS = 2000;
    /** Set by "Unit FAILED": an operator retried its incident, the unit is submitted again. */
    public static final String VAR_SUBMIT_AGAIN = "pilotflowSubmitAgain";
    /** Set by a retried "Report failure" of a FAILED pilot: the uid of the pilot submitted to replace it. */
    public static final String VAR_REPLACED_BY = "replacedBy";
    public static final String VAR_CANCEL_GRACE = "pilotflowCancelGrace";
    /** Set by "Ask agent to stop": whether an agent was asked to stop (else the pilot ended at once). */
    public static final String VAR_AGENT_RUNNING = "pilotflowAgentRunning";

    /** Only pilot processes of the first releases (version 1 of the model) call it. */
    public static final String BEAN_LAUNCH_PILOT = "pilotflowLaunchPilot";
    public static final String BEAN_CANCEL_PILOT = "pilotflowCancelPilot";
    public static final String BEAN_KILL_PILOT = "pilotflowKillPilot";
    public static final String BEAN_SUBMIT_UNIT = "pilotflowSubmitUnit";
    public static final String BEAN_CANCEL_UNIT = "pilotflowCancelUnit";
    public static final String BEAN_UNIT_FAILED = "pilotflowUnitFailed";
    /** "Transfer input from the client" and "Transfer output to the client" of the unit model. */
    public static final String BEAN_STAGE_UNIT_INPUT = "pilotflowStageUnitInput";
    public static final String BEAN_STAGE_UNIT_OUTPUT = "pilotflowStageUnitOutput";
    public static final String BEAN_PILOT_FAILED = "pilotflowPilotFailed";
    /** "Submit pilot" and "Release pilot", service tasks of a user's workflow (element templates SubmitPilot and
     *  ReleasePilot). */
    public static final String BEAN_SUBMIT_PILOT = "pilotflowSubmitPilot";
    public static final String BEAN_RELEASE_PILOT = "pilotflowReleasePilot";
    /** Set (local to the task) by "Submit pilot": the new pilot's uid, which the template maps to a variable. */
    public static final String VAR_SUBMITTED_PILOT = "pilotflowSubmittedPilot";
    /** The input of "Release pilot": the uid of the pilot to cancel. */
    public static final String VAR_RELEASED_PILOT = "pilot";
    /** "Stage data", a service task of a user's workflow (element template StageData): the Data API from BPMN. */
    public static final String BEAN_STAGE_DATA = "pilotflowStageData";
    /** Set (local to the task) by "Stage data": the files after the transfer, which the template maps to a variable. */
    public static final String VAR_STAGED_FILES = "pilotflowStagedFiles";
}
