package org.pilotflow.internal.launch;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.watch.Jobs;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The watchdog's access to pilots' jobs, through the resource adapters (one status call per adapter and host). */
public final class ResourceJobs implements Jobs {

    private static final Logger LOG = LoggerFactory.getLogger(ResourceJobs.class);

    private final Resources resources;
    private final IntSupplier enginePort;

    public ResourceJobs(Resources resources, IntSupplier enginePort) {
        this.resources = resources;
        this.enginePort = enginePort;
    }

    @Override
    public Map<PilotKey, JobStatus> statusAll(Collection<PilotRecord> pilots) {
        Map<ResourceAdapter, Map<JobHandle, PilotKey>> byAdapter = new LinkedHashMap<>();
        for (PilotRecord p : pilots) {
            try {
                JobHandle h = JobHandle.parse(p.job());
                byAdapter.computeIfAbsent(resources.adapters().forHandle(h), a -> new LinkedHashMap<>()).put(h,
                        p.key());
            } catch (ResourceException | RuntimeException e) {
                LOG.warn("pilot {} has a job handle no adapter knows ({}): {}", p.key(), p.job(), e.getMessage());
            }
        }
        Map<PilotKey, JobStatus> out = new HashMap<>();
        byAdapter.forEach((adapter, jobs) -> {
            try {
                adapter.statusAll(jobs.keySet()).forEach((h, st) -> {
                    PilotKey k = jobs.get(h);
                    if (k != null) {
                        out.put(k, st);
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("asking the job manager about {} job(s) failed: {}", jobs.size(), e.toString());
            }
        });
        return out;
    }

    @Override
    public void kill(PilotRecord pilot) throws ResourceException {
        JobHandle h = JobHandle.parse(pilot.job());
        resources.adapters().forHandle(h).kill(h);
    }

    @Override
    public Optional<String> find(PilotRecord pilot) throws ResourceException {
        ResourceAdapter adapter = resources.adapterOf(pilot);
        Optional<Submitted> found = adapter.find(resources.launchOf(pilot, "unused-by-find", List.of(
                "http://127.0.0.1:" + enginePort.getAsInt() + "/sessions/" + pilot.sessionId()), enginePort.getAsInt()));
        return found.map(s -> s.handle().toString());
    }

    @Override
    public String logTail(PilotRecord pilot) {
        try {
            JobHandle h = JobHandle.parse(pilot.job());
            return resources.adapters().forHandle(h).logTail(h, pilot.sandbox());
        } catch (ResourceException | RuntimeException e) {
            return "";
        }
    }
}
