package org.pilotflow.cockpit.plugin;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response.Status;
import jakarta.ws.rs.core.UriInfo;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.camunda.bpm.cockpit.plugin.resource.AbstractCockpitPluginResource;
import org.camunda.bpm.engine.AuthorizationService;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.ProcessDefinitionPermissions;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.engine.rest.exception.RestException;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PilotFlow view's data, as JSON: {@code sessions}, {@code pilots}, {@code units} (newest first, a page at a
 * time, filtered by session, state and, for units, pilot) and {@code summary} (counts by state). Each pilot and unit
 * says whether its process instance still runs, which the view links to.
 *
 * <p>Reading these tables shows every pilot's and unit's instance, so with authorizations on it takes what reading
 * all of them takes: READ on every process instance, or READ_INSTANCE on both PilotFlow process definitions.
 */
public class PilotFlowResource extends AbstractCockpitPluginResource {

    private static final Logger LOG = LoggerFactory.getLogger(PilotFlowResource.class);
    static final List<String> DEFINITIONS = List.of("pilotflow-pilot", "pilotflow-unit");

    public PilotFlowResource(String engineName) {
        super(engineName);
    }

    @GET
    @Path("sessions")
    @Produces(MediaType.APPLICATION_JSON)
    public List<PilotFlowTables.SessionRow> sessions(@Context UriInfo uri) {
        Params p = new Params(uri.getQueryParameters(), Set.of("limit"));
        int limit = p.limit();
        return read(t -> t.sessions(limit));
    }

    @GET
    @Path("pilots")
    @Produces(MediaType.APPLICATION_JSON)
    public PilotFlowTables.Page<PilotFlowTables.PilotRow> pilots(@Context UriInfo uri) {
        Params p = new Params(uri.getQueryParameters(), Set.of("session", "state", "limit", "offset"));
        PilotFlowTables.Filter f = new PilotFlowTables.Filter(p.uid("session"), p.states("state", PilotState.class),
                null, p.limit(), p.offset());
        PilotFlowTables.Page<PilotFlowTables.PilotRow> page = read(t -> t.pilots(f));
        Set<String> running = running(page.items().stream().map(PilotFlowTables.PilotRow::processInstanceId));
        return new PilotFlowTables.Page<>(page.total(), page.offset(), page.limit(), page.items().stream()
                .map(r -> r.running(running.contains(r.processInstanceId()))).toList());
    }

    @GET
    @Path("units")
    @Produces(MediaType.APPLICATION_JSON)
    public PilotFlowTables.Page<PilotFlowTables.UnitRow> units(@Context UriInfo uri) {
        Params p = new Params(uri.getQueryParameters(), Set.of("session", "state", "pilot", "limit", "offset"));
        PilotFlowTables.Filter f = new PilotFlowTables.Filter(p.uid("session"), p.states("state", UnitState.class),
                p.uid("pilot"), p.limit(), p.offset());
        PilotFlowTables.Page<PilotFlowTables.UnitRow> page = read(t -> t.units(f));
        Set<String> running = running(page.items().stream().map(PilotFlowTables.UnitRow::processInstanceId));
        return new PilotFlowTables.Page<>(page.total(), page.offset(), page.limit(), page.items().stream()
                .map(r -> r.running(running.contains(r.processInstanceId()))).toList());
    }

    @GET
    @Path("summary")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Map<String, Long>> summary(@Context UriInfo uri) {
        new Params(uri.getQueryParameters(), Set.of());
        return read(PilotFlowTables::summary);
    }

    private interface Read<T> {
        T apply(PilotFlowTables tables) throws SQLException;
    }

    private <T> T read(Read<T> read) {
        requireReadAccess();
        ProcessEngineConfigurationImpl config = (ProcessEngineConfigurationImpl) getProcessEngine()
                .getProcessEngineConfiguration();
        try {
            return read.apply(new PilotFlowTables(config.getDataSource()));
        } catch (SQLException e) {
            LOG.warn("Cockpit's PilotFlow view could not read PilotFlow's tables: {}", e.toString());
            throw new RestException(Status.INTERNAL_SERVER_ERROR, e,
                    "could not read PilotFlow's tables (is this a PilotFlow database?): " + e.getMessage());
        }
    }

    /** Which of these process instances still run (and are visible to the user, when authorizations are on). */
    private Set<String> running(java.util.stream.Stream<String> ids) {
        Set<String> wanted = ids.filter(id -> id != null).collect(Collectors.toCollection(HashSet::new));
        if (wanted.isEmpty()) {
            return Set.of();
        }
        return getProcessEngine().getRuntimeService().createProcessInstanceQuery().processInstanceIds(wanted)
                .list().stream().map(ProcessInstance::getId).collect(Collectors.toSet());
    }

    private void requireReadAccess() {
        if (!isAuthorizationEnabled()) {
            return;
        }
        Authentication a = getCurrentAuthentication();
        if (a == null) {
            throw new RestException(Status.UNAUTHORIZED, "log in to read PilotFlow's pilots and units");
        }
        if (isCamundaAdmin(a)) {
            return;
        }
        AuthorizationService auth = getProcessEngine().getAuthorizationService();
        Function<String, Boolean> canReadInstancesOf = key -> auth.isUserAuthorized(a.getUserId(), a.getGroupIds(),
                ProcessDefinitionPermissions.READ_INSTANCE, Resources.PROCESS_DEFINITION, key);
        if (!auth.isUserAuthorized(a.getUserId(), a.getGroupIds(), Permissions.READ, Resources.PROCESS_INSTANCE)
                && !DEFINITIONS.stream().allMatch(canReadInstancesOf::apply)) {
            throw new RestException(Status.FORBIDDEN, "user " + a.getUserId() + " may not read every pilot's and"
                    + " unit's instance: PilotFlow's view needs READ on process instances or READ_INSTANCE on the"
                    + " process definitions " + DEFINITIONS);
        }
    }
}
