package org.pilotflow.resource;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one way adapters answer {@link ResourceAdapter#statusAll}: the handles are grouped by their location (the
 * SSH host, or {@code null} for this host) and each location is asked once for all its jobs, so a hundred pilots
 * on one cluster cost one {@code squeue}, not a hundred. A location that cannot be reached makes its jobs UNKNOWN,
 * never GONE: an unreachable login node must not fail pilots whose jobs may run fine.
 */
public final class StatusByLocation {

    /** Asks one location about its jobs: job id to status, for the jobs the location knows. */
    @FunctionalInterface
    public interface Query {
        Map<String, JobStatus> statuses(String location, List<JobHandle> jobs) throws ResourceException;
    }

    private StatusByLocation() {
    }

    /**
     * The status of every handle, in the order given.
     *
     * @param ifMissing the status of a job the location's answer does not mention
     */
    public static Map<JobHandle, JobStatus> ask(Collection<JobHandle> handles, Query query,
                                                Function<JobHandle, JobStatus> ifMissing) {
        Map<String, List<JobHandle>> byLocation = new LinkedHashMap<>();
        for (JobHandle h : handles) {
            byLocation.computeIfAbsent(h.location(), k -> new ArrayList<>()).add(h);
        }
        Map<JobHandle, JobStatus> found = new java.util.HashMap<>();
        byLocation.forEach((location, jobs) -> {
            Map<String, JobStatus> byId;
            try {
                byId = query.statuses(location, jobs);
            } catch (ResourceException e) {
                JobStatus unknown = JobStatus.unknown(e.getMessage());
                jobs.forEach(h -> found.put(h, unknown));
                return;
            }
            for (JobHandle h : jobs) {
                JobStatus s = byId.get(h.jobId());
                found.put(h, s != null ? s : ifMissing.apply(h));
            }
        });
        Map<JobHandle, JobStatus> out = new LinkedHashMap<>(); // in the order the handles were given
        handles.forEach(h -> out.put(h, found.get(h)));
        return out;
    }
}
