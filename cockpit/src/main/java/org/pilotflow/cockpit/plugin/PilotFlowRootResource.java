package org.pilotflow.cockpit.plugin;

import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.camunda.bpm.cockpit.plugin.resource.AbstractCockpitPluginRootResource;

/**
 * {@code /camunda/api/cockpit/plugin/pilotflow/{engineName}/...}: Camunda's security filter lets a request through
 * only with a login to that engine (its rule for {@code /api/cockpit/plugin/{plugin}/{engine}/.*}); the page itself,
 * {@code .../pilotflow/static/app/plugin.js}, is served by the base class.
 */
@Path("plugin/" + PilotFlowCockpitPlugin.ID)
public class PilotFlowRootResource extends AbstractCockpitPluginRootResource {

    public PilotFlowRootResource() {
        super(PilotFlowCockpitPlugin.ID);
    }

    @Path("{engineName}")
    public PilotFlowResource pilotFlow(@PathParam("engineName") String engineName) {
        return subResource(new PilotFlowResource(engineName), engineName);
    }
}
