package org.pilotflow.spring;

import java.util.Arrays;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.spring.SpringProcessEngineConfiguration;
import org.pilotflow.delegates.BpmnContract;
import org.springframework.core.io.Resource;

/**
 * Keeps PilotFlow's models out of Camunda's Spring Boot auto-deployment, whose default pattern finds every
 * {@code *.bpmn} on the classpath, PilotFlow's jar included: the plugin deploys them itself (deployment
 * {@code pilotflow}, duplicate filtering on), so they would exist twice, as two versions. Runs in
 * {@code postInit}, after every plugin's {@code preInit}, where Camunda's starter collects the resources.
 */
public class PilotFlowModelsDeployedOnce extends AbstractProcessEnginePlugin {

    @Override
    public void postInit(ProcessEngineConfigurationImpl configuration) {
        if (configuration instanceof SpringProcessEngineConfiguration spring && spring.getDeploymentResources() != null) {
            spring.setDeploymentResources(Arrays.stream(spring.getDeploymentResources())
                    .filter(r -> !isPilotFlowModel(r)).toArray(Resource[]::new));
        }
    }

    static boolean isPilotFlowModel(Resource resource) {
        try {
            String url = resource.getURL().toString();
            return url.endsWith("/" + BpmnContract.PILOT_RESOURCE) || url.endsWith("/" + BpmnContract.UNIT_RESOURCE);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
