package org.pilotflow.internal.lifecycle;

import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.bpmn.parser.BpmnParse;
import org.camunda.bpm.engine.impl.bpmn.parser.DefaultFailedJobParseListener;
import org.camunda.bpm.engine.impl.pvm.process.ActivityImpl;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.impl.util.ParseUtil;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.pilotflow.delegates.BpmnContract;

/**
 * Gives an asynchronous "Stage data" task ({@code ${pilotflowStageData}}) the retry cycle {@link #CYCLE} unless its
 * model (a {@code camunda:failedJobRetryTimeCycle}, the Modeler's "Retry time cycle") or the engine's configuration
 * sets one: a lost connection or a file still being written gets time to recover before the incident, where Camunda's
 * default would try three times at once. Element templates cannot set a retry cycle, hence this listener.
 */
public final class StageDataRetries extends AbstractBpmnParseListener {

    /** Three attempts, a minute apart. */
    public static final String CYCLE = "R3/PT1M";

    @Override
    public void parseServiceTask(Element serviceTaskElement, ScopeImpl scope, ActivityImpl activity) {
        String delegate = serviceTaskElement.attributeNS(BpmnParse.CAMUNDA_BPMN_EXTENSIONS_NS, "delegateExpression");
        if (delegate == null || !delegate.strip().equals("${" + BpmnContract.BEAN_STAGE_DATA + "}")
                || !activity.isAsyncBefore()
                || activity.getProperties().get(DefaultFailedJobParseListener.FAILED_JOB_CONFIGURATION) != null) {
            return;
        }
        activity.getProperties().set(DefaultFailedJobParseListener.FAILED_JOB_CONFIGURATION,
                ParseUtil.parseRetryIntervals(CYCLE));
    }
}
