package org.pilotflow.internal.lifecycle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.camunda.bpm.engine.ProcessEngineException;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.internal.data.DirectiveTransfers;
import org.pilotflow.internal.data.FileMover;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Flag;
import org.pilotflow.model.wire.StagingDirective.Location;
import org.pilotflow.model.wire.StagingDirective.Scheme;
import org.pilotflow.resource.ResourceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's part of a unit's staging: the directives with one end on {@code client://} (RADICAL-Pilot's
 * client-side TRANSFER and TARBALL), carried out by the unit model's "Transfer input from the client" and "Transfer
 * output to the client" (Camunda jobs: retried, visible in Cockpit) through the Data API's {@link FileMover}, a local
 * copy or SFTP on the pilot's SSH connection ({@link DirectiveTransfers}: a TARBALL is one archive, packed and unpacked
 * on either side).
 *
 * <p>The input goes after the unit is bound (PENDING_INPUT_STAGING) and before its agent gets RUN_UNIT; the unit
 * enters STAGING_INPUT, timed from the transfer's start, once the files are there. The output goes after the agent's
 * end report, which leaves the unit STAGING_OUTPUT; the unit takes the agent's end once the files are here. The unit
 * is read and checked in a short transaction of its own; while the files move, the job's transaction holds its
 * connection but no row lock; the result is applied in the job's transaction after the pilot's lock: a unit that
 * moved on meanwhile (canceled, its pilot ended, bound again) is left as it is. Each file lands under a temporary name and is renamed (the Data
 * API's rule), so a transfer redone after an engine restart or a job retry never leaves a half-written target.
 *
 * <p>The output step also moves a unit's output data when its sandbox or a replica is on another machine
 * ({@link DataUnits#stageOutput}: the sandbox listed over SFTP, each match written into every replica under a
 * temporary name, checked), and puts it in place in the transaction that ends the unit ({@link DataUnits#placeOutput});
 * a resource out of reach fails the job (retried), a bad file the unit.
 *
 * <p>A transfer can outlast the job executor's lock time (60 s): while it runs, a thread of its own
 * ({@code pilotflow-transfer-locks}) pushes the job's lock forward, so no other job thread or node takes the job
 * again meanwhile (the two runs would keep failing each other's commit); a node that dies stops renewing, and the job
 * is taken again once its lock expired (the restart case).
 *
 * <p>Threads: transfers run on job executor threads; the renewals on the one {@code pilotflow-transfer-locks}
 * thread, each in a transaction of its own.
 */
public final class ClientStaging {

    private static final Logger LOG = LoggerFactory.getLogger(ClientStaging.class);

    /** A pilot's files on its resource: a mover over the pilot's shell; empty before its sandbox exists. */
    @FunctionalInterface
    public interface Movers {
        Optional<FileMover> of(PilotRecord pilot) throws ResourceException;
    }

    private final Transactions txs;
    private final UnitLifecycle units;
    private final Movers movers;
    private final Path clientDirectory;
    private final String camundaPrefix;
    private final java.util.concurrent.ScheduledExecutorService lockRenewals =
            Threads.scheduler("pilotflow-transfer-locks");

    /**
     * @param clientDirectory what {@code client://} names: the application's working directory, as in RP
     * @param camundaPrefix   the engine's table prefix (its job locks are renewed in {@code ACT_RU_JOB})
     */
    public ClientStaging(Transactions txs, UnitLifecycle units, Movers movers, Path clientDirectory,
                         String camundaPrefix) {
        this.txs = txs;
        this.units = units;
        this.movers = movers;
        this.clientDirectory = clientDirectory.toAbsolutePath().normalize();
        this.camundaPrefix = camundaPrefix == null ? "" : camundaPrefix;
    }

    public void stop() {
        Threads.stop(lockRenewals, java.time.Duration.ofSeconds(5));
    }

    /**
     * Runs {@code transfer} holding the current job's lock: renewed at a third of the lock time, for a lock time
     * from now, until the transfer returns. Outside a job (a direct call) it just runs.
     */
    private <T> T holdingTheJobLock(java.util.function.Supplier<T> transfer) {
        var ctx = org.camunda.bpm.engine.impl.context.Context.getJobExecutorContext();
        var job = ctx == null ? null : ctx.getCurrentJob();
        var cfg = org.camunda.bpm.engine.impl.context.Context.getProcessEngineConfiguration();
        if (job == null || job.getLockOwner() == null || cfg == null || cfg.getJobExecutor() == null) {
            return transfer.get();
        }
        long lockMillis = cfg.getJobExecutor().getLockTimeInMillis();
        String id = job.getId();
        String owner = job.getLockOwner();
        long every = Math.max(100, lockMillis / 3);
        var renewal = lockRenewals.scheduleAtFixedRate(() -> {
            try {
                txs.runAlone(tx -> org.pilotflow.internal.store.JobLocks.extend(tx.connection(), camundaPrefix, id,
                        owner, java.time.Instant.now().plusMillis(lockMillis)));
            } catch (RuntimeException e) { // the next renewal tries again; the lock is good for two more periods
                LOG.warn("renewing the lock of transfer job {} failed: {}", id, e.toString());
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            return transfer.get();
        } finally {
            renewal.cancel(false);
        }
    }

    static boolean hasInput(UnitRecord u) {
        return u.description().inputStaging().stream().anyMatch(StagingDirective::onClient);
    }

    static boolean hasOutput(UnitRecord u) {
        return u.description().outputStaging().stream().anyMatch(StagingDirective::onClient);
    }

    /**
     * Whether the unit's output step may be the engine's: client output, or output data (moved here when its sandbox
     * or a replica is on another machine; {@link UnitLifecycle} decides when the agent reports the end).
     */
    static boolean hasEngineOutput(UnitRecord u) {
        return hasOutput(u) || !u.description().outputData().isEmpty();
    }

    /** A unit and its pilot, read in a transaction of their own. */
    private record Held(UnitRecord unit, PilotRecord pilot) {
    }

    private Held read(UnitKey key, String pilotUid) {
        return txs.runAlone(tx -> {
            UnitRecord u = tx.unit(key);
            return new Held(u, u == null ? null : tx.pilot(new PilotKey(key.sessionId(), pilotUid)));
        });
    }

    /** "Transfer input from the client" for attempt {@code attempt} of the unit, bound to {@code pilotUid}. */
    public void input(UnitKey key, String pilotUid, int attempt) {
        Held h = read(key, pilotUid);
        if (!UnitLifecycle.holds(h.unit(), pilotUid, attempt, UnitState.PENDING_INPUT_STAGING) || h.pilot() == null) {
            LOG.debug("unit {}: its input transfer is no longer wanted ({})", key.uid(), h.unit() == null ? "gone"
                    : h.unit().state() + " on " + h.unit().pilot() + ", attempt " + h.unit().attempt());
            return;
        }
        FileMover mover = mover(h.pilot());
        long started = System.currentTimeMillis();
        String why = holdingTheJobLock(() -> transferAll(key, "input staging", h.unit().description().inputStaging(),
                d -> transferIn(mover, h.unit(), d)));
        txs.run(tx -> {
            if (why == null) {
                units.inputStaged(tx, key, pilotUid, attempt, started);
            } else {
                units.engineStagingFailed(tx, key, pilotUid, attempt, UnitState.PENDING_INPUT_STAGING,
                        ErrorCode.STAGING_INPUT_FAILED, why);
            }
            return null;
        });
    }

    /**
     * "Transfer output to the client": the unit's {@code client://} output, then the end its agent reported.
     *
     * @param agentState  DONE, or FAILED or CANCELED for a unit that stages on error
     */
    public void output(UnitKey key, String pilotUid, int attempt, UnitState agentState, String agentReason,
                       ErrorCode agentCode) {
        Held h = read(key, pilotUid);
        if (!UnitLifecycle.holds(h.unit(), pilotUid, attempt, UnitState.STAGING_OUTPUT) || h.pilot() == null) {
            LOG.debug("unit {}: its output transfer is no longer wanted", key.uid());
            return;
        }
        FileMover mover = hasOutput(h.unit()) ? mover(h.pilot()) : null;
        List<StagedFile> arrived = new ArrayList<>();
        String transferred = mover == null ? null : holdingTheJobLock(() -> transferAll(key, "output staging",
                h.unit().description().outputStaging(), d -> {
                    String problem = transferOut(mover, h.unit(), d);
                    return problem != null ? problem : measureArrived(d, arrived);
                }));
        String why = transferred;
        List<DataUnits.StagedReplica> data = List.of();
        if (why == null && agentState == UnitState.DONE && !h.unit().description().outputData().isEmpty()) {
            // output data across machines: staged here, outside any transaction; put in place as the unit ends
            Object planned = txs.runAlone(tx -> {
                if (DataUnits.allLocal(tx, h.unit(), h.pilot(), units.dataShells())) {
                    return List.of(); // collected when the agent's end was applied
                }
                try {
                    return DataUnits.planOutput(tx, h.unit(), false);
                } catch (DataUnits.OutputFailure e) {
                    return e.getMessage();
                }
            });
            if (planned instanceof String refused) {
                why = "output data: " + refused;
            } else if (!((List<?>) planned).isEmpty()) {
                @SuppressWarnings("unchecked")
                List<DataUnits.OutputPlan> plans = (List<DataUnits.OutputPlan>) planned;
                try {
                    data = holdingTheJobLock(() -> stageOutputData(plans, h));
                    LOG.debug("unit {}: output data staged for {} replica(s), outside any transaction", key.uid(),
                            data.size());
                } catch (DataStagingFailed e) {
                    why = "output data: " + e.getMessage();
                }
            }
        }
        List<DataUnits.StagedReplica> staged = data;
        String failure = why;
        boolean[] placed = {false};
        try {
            txs.run(tx -> {
                placed[0] = units.outputStaged(tx, key, pilotUid, attempt, agentState, agentReason, agentCode,
                        failure, arrived, staged.isEmpty() ? null : (t, u) -> DataUnits.placeOutput(t, u, staged));
                return null;
            });
        } finally {
            if (!placed[0] && !staged.isEmpty()) {
                DataUnits.discard(staged, key.uid());
            }
        }
    }

    /** A copy of output data that failed for good (its words name the file): the unit fails, not the job. */
    private static final class DataStagingFailed extends RuntimeException {
        DataStagingFailed(String message) {
            super(message);
        }
    }

    /** The output data staged through the resources' shells; a resource out of reach fails the job (retried). */
    private List<DataUnits.StagedReplica> stageOutputData(List<DataUnits.OutputPlan> plans, Held h) {
        try {
            return DataUnits.stageOutput(plans, h.pilot(), h.unit().sandbox(), units.dataShells(), h.unit().uid());
        } catch (ResourceException e) {
            var copy = org.pilotflow.internal.data.PilotDataFiles.copyFailure(e);
            if (copy.isPresent()) { // the files are bad, not the network
                throw new DataStagingFailed(copy.get().getMessage());
            }
            throw new ProcessEngineException("cannot move the output data of unit " + h.unit().uid() + " (the job "
                    + "tries again): " + e.getMessage(), e);
        }
    }

    /**
     * Records what a directive put on the client, read back here (PanDA's stage-out: the size and adler32 of what
     * arrived). Always null: the files are in place, and one that cannot be read back is logged and not recorded.
     */
    private String measureArrived(StagingDirective d, List<StagedFile> arrived) {
        Path local = clientDirectory.resolve(d.targetLocation().path());
        try {
            arrived.addAll(StagedFile.measure(d.target(), local, true, StagedFile.MAX_PER_UNIT - arrived.size()));
        } catch (java.io.IOException e) {
            LOG.warn("{} arrived at {} but could not be read back for its size and checksum: {}", d.describe(), local,
                    e.toString());
        }
        return null;
    }

    /**
     * The list's {@code client://} directives, in order (the others are the agent's); stops at the first failure
     * that is not NON_FATAL and returns it (null when none), naming the directive. NON_FATAL failures are logged.
     */
    private static String transferAll(UnitKey key, String what, List<StagingDirective> list,
                                      java.util.function.Function<StagingDirective, String> transfer) {
        for (int i = 0; i < list.size(); i++) {
            StagingDirective d = list.get(i);
            if (!d.onClient()) {
                continue;
            }
            String problem = transfer.apply(d);
            if (problem != null) {
                String msg = what + " [" + i + "] " + d.describe() + " failed: " + problem;
                if (!d.has(Flag.NON_FATAL)) {
                    return msg;
                }
                LOG.warn("unit {}: {} (NON_FATAL: ignored)", key.uid(), msg);
            }
        }
        return null;
    }

    /** The pilot's mover; a resource out of reach is the job's failure (retried, then an incident). */
    private FileMover mover(PilotRecord p) {
        try {
            return movers.of(p).orElseThrow(() -> new ProcessEngineException("pilot " + p.uid() + " is " + p.state()
                    + " and has no sandbox on its resource yet")).quiet();
        } catch (ResourceException e) {
            throw new ProcessEngineException("cannot reach the resource of pilot " + p.uid() + " (the job tries "
                    + "again): " + e.getMessage(), e);
        }
    }

    private String transferIn(FileMover mover, UnitRecord u, StagingDirective d) {
        return retriedWhenUnreachable(() -> DirectiveTransfers.in(mover, clientDirectory, d,
                onResource(u, d.targetLocation())));
    }

    private String transferOut(FileMover mover, UnitRecord u, StagingDirective d) {
        return retriedWhenUnreachable(() -> DirectiveTransfers.out(mover, clientDirectory, d,
                onResource(u, d.sourceLocation())));
    }

    /** A resource that does not answer fails the job (retried, then an incident), not the unit. */
    private static String retriedWhenUnreachable(java.util.function.Supplier<String> transfer) {
        try {
            return transfer.get();
        } catch (IncorrectState e) {
            throw new ProcessEngineException(e.getMessage() + " (the job tries again)", e);
        }
    }

    /**
     * A resource location as the pilot's mover reaches it: {@code unit://} is the unit sandbox, below the pilot
     * sandbox (a mover is the pilot's and knows no unit).
     */
    private static String onResource(UnitRecord u, Location l) {
        if (l.scheme() != Scheme.UNIT) {
            return l.toString();
        }
        String sandbox = u.description().sandbox() != null ? u.description().sandbox() : u.uid();
        return Scheme.PILOT.prefix() + "/" + sandbox + (l.path().isEmpty() ? "" : "/" + l.path());
    }
}
