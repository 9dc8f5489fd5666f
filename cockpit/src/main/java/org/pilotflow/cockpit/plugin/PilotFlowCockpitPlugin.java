package org.pilotflow.cockpit.plugin;

import java.util.Set;
import org.camunda.bpm.cockpit.plugin.spi.impl.AbstractCockpitPlugin;

/**
 * Cockpit's PilotFlow view: a {@code PilotFlow} page (and a dashboard summary) listing sessions, pilots and units
 * from PilotFlow's own tables, each linked to its process instance. Found by Cockpit through
 * {@code META-INF/services/org.camunda.bpm.cockpit.plugin.spi.CockpitPlugin}; its page is
 * {@code plugin-webapp/pilotflow/app/plugin.js}, its data {@link PilotFlowRootResource}.
 */
public class PilotFlowCockpitPlugin extends AbstractCockpitPlugin {

    public static final String ID = "pilotflow";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public Set<Class<?>> getResourceClasses() {
        return Set.of(PilotFlowRootResource.class);
    }
}
