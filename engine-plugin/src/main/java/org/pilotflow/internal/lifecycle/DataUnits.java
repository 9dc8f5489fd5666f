package org.pilotflow.internal.lifecycle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pilotflow.api.Affinity;
import org.pilotflow.api.DataFile;
import org.pilotflow.api.DataUnitState;
import org.pilotflow.api.OutputData;
import org.pilotflow.internal.data.PilotDataFiles;
import org.pilotflow.internal.scheduling.DataLocality;
import org.pilotflow.internal.store.DataTable;
import org.pilotflow.internal.store.DataTable.DataUnitRow;
import org.pilotflow.internal.store.DataTable.PilotDataRow;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only code that changes a data unit's state ({@link DataUnitState#MODEL}), and what units do with data units:
 * the staging directives that link a unit's input data into its sandbox from the replica its pilot reaches, the
 * output data collected from a unit's sandbox after DONE, and where a unit's data is for the scheduler.
 *
 * <p>A replica of data unit {@code du} on pilot-data {@code pd} is the directory {@code <pd path>/<du uid>}. A pilot
 * reaches it when the pilot-data is on the pilot's resource and below the pilot's sandbox base ({@code resource://}),
 * the directory the agent may read from. Output data is collected here, in the transaction that applies DONE, when
 * the sandbox and every replica are on this machine; otherwise through the resources' shells (SFTP on their shared
 * SSH connections, {@link PilotDataShells}) in three parts: {@link #planOutput}, {@link #stageOutput} (the network,
 * run by the unit process's output step outside any transaction) and {@link #placeOutput} (in the transaction that
 * ends the unit).
 */
public final class DataUnits {

    private static final Logger LOG = LoggerFactory.getLogger(DataUnits.class);

    private DataUnits() {
    }

    /** Moves a data unit (an equal or earlier state is ignored, as for units). */
    public static DataUnitRow move(Tx tx, DataUnitRow r, DataUnitState target, String reason, List<DataFile> files)
            throws SQLException {
        List<DataUnitState> steps = DataUnitState.MODEL.advance(r.state(), target);
        if (steps.isEmpty() && files == null) {
            return r;
        }
        DataUnitRow next = new DataUnitRow(r.sessionId(), r.uid(), r.description(), steps.isEmpty() ? r.state()
                : target, reason != null ? reason : r.reason(), files != null ? files : r.files());
        DataTable.updateDataUnit(tx.connection(), next);
        if (!steps.isEmpty()) {
            LOG.info("data unit {} is {}{}", r.uid(), target, reason == null ? "" : ": " + reason);
        }
        if (!steps.isEmpty() && target == DataUnitState.READY) {
            // units waiting for it may bind now
            for (String m : DataTable.unitManagers(tx.connection(), r.sessionId())) {
                tx.publishOnce(new Published.DrainWanted(r.sessionId(), m));
            }
        }
        return next;
    }

    // ---------------------------------------------------------------- where data is

    /** The pilot sandbox base ({@code resource://}) of a pilot: its sandbox's grandparent. */
    static Path resourceDirectory(PilotRecord p) {
        if (p.sandbox() == null) {
            return null;
        }
        Path sandbox = Path.of(p.sandbox()).normalize();
        return sandbox.getParent() == null ? null : sandbox.getParent().getParent();
    }

    /**
     * Whether {@code p}'s agent can read the replicas on {@code pd}: the same resource, and the pilot-data strictly
     * below the pilot's sandbox base, compared as the resource reports the paths (normalized), as written when both
     * start with the same variable ({@code $HOME/...}: a remote pilot not launched yet), or, on this machine, as real
     * paths (links resolved).
     */
    static boolean reaches(PilotRecord p, PilotDataRow pd) {
        return relativeToBase(p, pd) != null;
    }

    /** Where {@code pd} lies below {@code p}'s sandbox base, or null when the pilot does not reach it. */
    private static Path relativeToBase(PilotRecord p, PilotDataRow pd) {
        Path base = resourceDirectory(p);
        if (base == null || !p.description().resource().equals(pd.description().resource())) {
            return null;
        }
        Path dir = Path.of(pd.path()).normalize();
        if (dir.startsWith(base) && !dir.equals(base)) {
            return base.relativize(dir);
        }
        Path written = pd.description().path() == null ? null : Path.of(pd.description().path()).normalize();
        if (written != null && !written.isAbsolute() && written.startsWith(base) && !written.equals(base)) {
            return base.relativize(written); // both start with the same variable ($HOME/...): the pilot is not launched
        }
        Path realDir = real(dir);
        Path realBase = real(base);
        return realDir.startsWith(realBase) && !realDir.equals(realBase) ? realBase.relativize(realDir) : null;
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    /** The data units a unit reads or writes, inputs first. */
    static List<String> dataOf(UnitRecord u) {
        Set<String> out = new LinkedHashSet<>(u.description().inputData());
        u.description().outputData().forEach(o -> out.add(o.dataUnit()));
        return List.copyOf(out);
    }

    /** What the scheduler is told of a unit's data; null when the unit has none. */
    sealed interface Where {
        record Known(DataLocality locality) implements Where { }

        /** A data unit is not READY yet: the unit waits. */
        record NotReady() implements Where { }

        /** The unit can never run: a data unit is unknown or FAILED. */
        record Never(String reason) implements Where { }
    }

    static Where locate(Tx tx, UnitRecord u, Collection<PilotRecord> pilots) throws SQLException {
        List<String> dus = dataOf(u);
        Map<String, List<PilotDataRow>> replicas = new LinkedHashMap<>();
        List<Affinity> affinities = new ArrayList<>();
        for (String du : dus) {
            DataUnitRow row = DataTable.dataUnit(tx.connection(), u.sessionId(), du, false);
            String field = u.description().inputData().contains(du) ? "inputData" : "outputData";
            if (row == null) {
                return new Where.Never(field + ": data unit " + du + " is unknown in session " + u.sessionId());
            }
            if (row.state() == DataUnitState.FAILED) {
                return new Where.Never(field + ": data unit " + du + " FAILED (" + row.reason() + ")");
            }
            if (row.state() != DataUnitState.READY) {
                return new Where.NotReady();
            }
            affinities.add(row.description().affinity());
            List<PilotDataRow> pds = new ArrayList<>();
            for (String pd : DataTable.replicas(tx.connection(), u.sessionId(), List.of(du)).get(du)) {
                PilotDataRow r = DataTable.pilotData(tx.connection(), u.sessionId(), pd, false);
                if (r != null) {
                    pds.add(r);
                    affinities.add(r.description().affinity());
                }
            }
            replicas.put(du, pds);
        }
        Set<String> reaching = new HashSet<>();
        Set<String> near = new HashSet<>();
        for (PilotRecord p : pilots) {
            boolean all = true;
            for (List<PilotDataRow> pds : replicas.values()) {
                all &= pds.stream().anyMatch(pd -> reaches(p, pd));
            }
            if (all) {
                reaching.add(p.uid());
                if (affinities.stream().anyMatch(a -> a.matches(p.description().affinity()))) {
                    near.add(p.uid());
                }
            }
        }
        StringBuilder why = new StringBuilder("no pilot of unit manager " + u.manager() + " reaches its data:");
        replicas.forEach((du, pds) -> why.append(" data unit ").append(du).append(" is on ").append(pds.stream()
                .map(pd -> pd.uid() + " (" + pd.description().resource() + ":" + pd.path() + ")").toList())
                .append(';'));
        why.append(" a pilot reaches a replica on its own resource below its sandbox base (resource://)");
        return new Where.Known(new DataLocality(reaching, near, why.toString()));
    }

    // ---------------------------------------------------------------- input data

    /**
     * The directives that link each input data unit's files into the unit sandbox from a replica {@code pilot}
     * reaches: {@code resource:///<pilot-data below the base>/<du>/<file> > unit:///<file>} (LINK). Empty when the
     * unit reads no data.
     */
    static List<StagingDirective> inputDirectives(Tx tx, UnitRecord u, PilotRecord pilot) throws SQLException {
        List<StagingDirective> out = new ArrayList<>();
        for (String du : u.description().inputData()) {
            DataUnitRow row = DataTable.dataUnit(tx.connection(), u.sessionId(), du, false);
            PilotDataRow at = null;
            for (String pd : DataTable.replicas(tx.connection(), u.sessionId(), List.of(du)).get(du)) {
                PilotDataRow r = DataTable.pilotData(tx.connection(), u.sessionId(), pd, false);
                if (r != null && reaches(pilot, r)) {
                    at = r;
                    break;
                }
            }
            if (row == null || at == null) {
                // placement checked it; a replica cannot go away (there is no remove yet). The agent then fails the
                // unit naming the directive
                LOG.warn("unit {}: data unit {} has no replica pilot {} reaches", u.uid(), du, pilot.uid());
                out.add(StagingDirective.link("resource:///pilot-data-unreachable/" + du, "unit:///" + du)
                        .resolved("inputData", StagingDirective.Direction.INPUT));
                continue;
            }
            Path rel = relativeToBase(pilot, at);
            for (DataFile f : row.files()) {
                out.add(StagingDirective.link("resource:///" + rel + "/" + du + "/" + f.name(), "unit:///" + f.name())
                        .resolved("inputData[" + du + "]", StagingDirective.Direction.INPUT));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- output data

    /**
     * Adds the files of a unit's sandbox that match its {@code outputData} patterns to their data units, on every
     * replica, checked and put in place whole, inside the transaction that applies the unit's DONE (a retry of it
     * copies again: the same files, renamed over the same targets). Where the sandbox or a replica is on another
     * machine the unit process's output step does it ({@link ClientStaging}); when that process cannot (it did not
     * take the message), the files go here over SFTP on the resources' shared connections, streamed through this
     * machine ({@link #collectOverShells}), and the transaction waits on the network while they move.
     *
     * @return why it failed (nothing was put in place then), or null
     */
    static String collectOutput(Tx tx, UnitRecord u, String sandbox, PilotDataShells shells) throws SQLException {
        List<OutputData> entries = u.description().outputData();
        if (entries.isEmpty()) {
            return null;
        }
        if (sandbox == null) {
            return "output data: the unit's sandbox is not known";
        }
        PilotRecord pilot = u.pilot() == null ? null : tx.pilot(u.pilotKey());
        if (pilot != null && !allLocal(tx, u, pilot, shells)) {
            return collectOverShells(tx, u, pilot, sandbox, shells);
        }
        List<LocalFiles.Staged> staged = new ArrayList<>();
        List<SqlStep> writes = new ArrayList<>();
        try {
            for (int i = 0; i < entries.size(); i++) {
                OutputData o = entries.get(i);
                String what = "outputData[" + i + "] (data unit " + o.dataUnit() + ", patterns " + o.patterns() + ")";
                DataUnitRow du = DataTable.dataUnit(tx.connection(), u.sessionId(), o.dataUnit(), true);
                if (du == null || du.state() != DataUnitState.READY) {
                    return what + ": the data unit is " + (du == null ? "unknown" : du.state());
                }
                Set<Path> found = new LinkedHashSet<>();
                for (String pattern : o.patterns()) {
                    found.addAll(LocalFiles.matches(Path.of(sandbox), pattern, what));
                }
                Map<String, DataFile> files = new LinkedHashMap<>();
                du.files().forEach(f -> files.put(f.name(), f));
                List<DataFile> added = new ArrayList<>();
                for (String pdUid : DataTable.replicas(tx.connection(), u.sessionId(), List.of(du.uid())).get(du.uid())) {
                    PilotDataRow pd = DataTable.pilotData(tx.connection(), u.sessionId(), pdUid, true);
                    Path dir = Path.of(pd.path()).resolve(du.uid());
                    Files.createDirectories(dir);
                    added.clear();
                    for (Path f : found) {
                        LocalFiles.Staged s = LocalFiles.stage(f, dir, f.getFileName().toString(), null, null, what);
                        staged.add(s);
                        added.add(s.file());
                    }
                    Map<String, DataFile> after = new LinkedHashMap<>(files);
                    added.forEach(f -> after.put(f.name(), f));
                    long bytes = after.values().stream().mapToLong(f -> f.size() == null ? 0 : f.size()).sum();
                    long limit = pd.description().sizeLimit();
                    long used = DataTable.usedBytes(tx.connection(), u.sessionId(), pdUid) - du.bytes() + bytes;
                    if (limit > 0 && used > limit) {
                        return what + ": pilot-data " + pdUid + " would hold " + used + " bytes, more than its "
                                + "sizeLimit " + limit;
                    }
                    writes.add(() -> DataTable.putReplica(tx.connection(), u.sessionId(), du.uid(), pdUid, bytes));
                }
                added.forEach(f -> files.put(f.name(), f));
                List<DataFile> list = List.copyOf(files.values());
                writes.add(() -> move(tx, du, DataUnitState.READY, null, list));
            }
            for (LocalFiles.Staged s : staged) {
                s.commit();
            }
            staged.clear();
            for (SqlStep w : writes) {
                w.run();
            }
            return null;
        } catch (LocalFiles.CopyFailure e) {
            return e.getMessage();
        } catch (IOException e) {
            return "output data: " + e;
        } finally {
            staged.forEach(LocalFiles.Staged::discard);
        }
    }

    private interface SqlStep {
        void run() throws SQLException;
    }

    /** Whether the unit's sandbox and every replica of its output data units are on this machine. */
    static boolean allLocal(Tx tx, UnitRecord u, PilotRecord pilot, PilotDataShells shells) throws SQLException {
        if (!shells.isLocal(pilot.description().resource())) {
            return false;
        }
        for (OutputData o : u.description().outputData()) {
            for (String pd : DataTable.replicas(tx.connection(), u.sessionId(), List.of(o.dataUnit()))
                    .getOrDefault(o.dataUnit(), List.of())) {
                PilotDataRow r = DataTable.pilotData(tx.connection(), u.sessionId(), pd, false);
                if (r != null && !shells.isLocal(r.description().resource())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Output data that cannot be kept, in words naming {@code outputData[i]}. */
    static final class OutputFailure extends Exception {
        OutputFailure(String message) {
            super(message);
        }
    }

    /** Where one {@code outputData} entry's files go: its data unit's replicas when the unit ended. */
    record OutputPlan(int index, String what, String dataUnit, List<String> patterns, List<PilotDataRow> replicas) {
    }

    /** One replica's new files, checked, under temporary names on the machine of {@code shell}. */
    record StagedReplica(OutputPlan plan, PilotDataRow pd, ResourceShell shell, List<PilotDataFiles.Staged> files) {
    }

    /** Where each of the unit's output data entries goes (each data unit READY; locked when {@code lock}). */
    static List<OutputPlan> planOutput(Tx tx, UnitRecord u, boolean lock) throws SQLException, OutputFailure {
        List<OutputPlan> out = new ArrayList<>();
        List<OutputData> entries = u.description().outputData();
        for (int i = 0; i < entries.size(); i++) {
            OutputData o = entries.get(i);
            String what = "outputData[" + i + "] (data unit " + o.dataUnit() + ", patterns " + o.patterns() + ")";
            DataUnitRow du = DataTable.dataUnit(tx.connection(), u.sessionId(), o.dataUnit(), lock);
            if (du == null || du.state() != DataUnitState.READY) {
                throw new OutputFailure(what + ": the data unit is " + (du == null ? "unknown" : du.state()));
            }
            List<PilotDataRow> pds = new ArrayList<>();
            for (String pdUid : DataTable.replicas(tx.connection(), u.sessionId(), List.of(du.uid())).get(du.uid())) {
                PilotDataRow pd = DataTable.pilotData(tx.connection(), u.sessionId(), pdUid, lock);
                if (pd != null) {
                    pds.add(pd);
                }
            }
            out.add(new OutputPlan(i, what, du.uid(), o.patterns(), pds));
        }
        return out;
    }

    /**
     * The network part, in no transaction when the caller can: lists the unit sandbox through the pilot's shell,
     * matches the patterns, and writes each match into every replica's directory under a temporary name through
     * that replica's machine's shell (streamed through this machine), size and adler32 checked. On failure what was
     * written is removed.
     *
     * @throws ResourceException a machine out of reach, or a copy that failed (its {@link PilotDataFiles.CopyFailure}
     *                           names the file: {@link PilotDataFiles#failureOf})
     */
    static List<StagedReplica> stageOutput(List<OutputPlan> plans, PilotRecord pilot, String sandbox,
                                           PilotDataShells shells, String unit) throws ResourceException {
        List<StagedReplica> staged = new ArrayList<>();
        boolean done = false;
        try {
            ResourceShell source = shells.ofPilot(pilot);
            for (OutputPlan plan : plans) {
                List<String> found = source.withFiles("list the output data of unit " + unit, files -> {
                    Set<String> all = new LinkedHashSet<>();
                    for (String pattern : plan.patterns()) {
                        all.addAll(PilotDataFiles.matches(files, sandbox, pattern, plan.what()));
                    }
                    return List.copyOf(all);
                });
                for (PilotDataRow pd : plan.replicas()) {
                    ResourceShell target = shells.isLocal(pd.description().resource()) ? LocalShell.INSTANCE
                            : shells.ofResource(pd.description().resource());
                    String dir = pd.path() + "/" + plan.dataUnit();
                    List<PilotDataFiles.Staged> here = source.withFiles("read the output data of unit " + unit,
                            in -> PilotDataFiles.inner(target, "put the output data of unit " + unit + " on "
                                    + pd.uid(), out -> {
                                List<PilotDataFiles.Staged> made = new ArrayList<>();
                                try {
                                    for (String f : found) {
                                        String name = f.substring(f.lastIndexOf('/') + 1);
                                        made.add(PilotDataFiles.stage(out, dir, new PilotDataFiles.Source(name, f,
                                                () -> in.open(f), null, null, plan.what())));
                                    }
                                } catch (IOException | RuntimeException e) {
                                    made.forEach(m -> PilotDataFiles.deleteQuietly(out, m.temporary()));
                                    throw e;
                                }
                                return made;
                            }));
                    staged.add(new StagedReplica(plan, pd, target, here));
                }
            }
            done = true;
            return staged;
        } finally {
            if (!done) {
                discard(staged, unit);
            }
        }
    }

    /**
     * Puts staged output data in place, in the transaction that ends the unit: each data unit locked and still READY,
     * its file list merged with what it holds now (another unit may have added files meanwhile), each replica's size
     * limit checked, then the files renamed into place (a round trip each) and the rows written.
     *
     * @return why it failed (nothing renamed then: the caller discards the staged files), or null
     */
    static String placeOutput(Tx tx, UnitRecord u, List<StagedReplica> staged) throws SQLException {
        List<SqlStep> writes = new ArrayList<>();
        Map<OutputPlan, List<StagedReplica>> byPlan = new LinkedHashMap<>();
        staged.forEach(r -> byPlan.computeIfAbsent(r.plan(), k -> new ArrayList<>()).add(r));
        for (Map.Entry<OutputPlan, List<StagedReplica>> e : byPlan.entrySet()) {
            OutputPlan plan = e.getKey();
            DataUnitRow du = DataTable.dataUnit(tx.connection(), u.sessionId(), plan.dataUnit(), true);
            if (du == null || du.state() != DataUnitState.READY) {
                return plan.what() + ": the data unit is " + (du == null ? "unknown" : du.state());
            }
            Map<String, DataFile> files = new LinkedHashMap<>();
            du.files().forEach(f -> files.put(f.name(), f));
            List<DataFile> added = new ArrayList<>();
            for (StagedReplica r : e.getValue()) {
                String pdUid = r.pd().uid();
                PilotDataRow pd = DataTable.pilotData(tx.connection(), u.sessionId(), pdUid, true);
                added.clear();
                r.files().forEach(f -> added.add(f.file()));
                Map<String, DataFile> after = new LinkedHashMap<>(files);
                added.forEach(f -> after.put(f.name(), f));
                long bytes = after.values().stream().mapToLong(f -> f.size() == null ? 0 : f.size()).sum();
                long limit = pd == null ? 0 : pd.description().sizeLimit();
                long used = DataTable.usedBytes(tx.connection(), u.sessionId(), pdUid) - du.bytes() + bytes;
                if (limit > 0 && used > limit) {
                    return plan.what() + ": pilot-data " + pdUid + " would hold " + used + " bytes, more than its "
                            + "sizeLimit " + limit;
                }
                writes.add(() -> DataTable.putReplica(tx.connection(), u.sessionId(), du.uid(), pdUid, bytes));
            }
            added.forEach(f -> files.put(f.name(), f));
            List<DataFile> list = List.copyOf(files.values());
            writes.add(() -> move(tx, du, DataUnitState.READY, null, list));
        }
        List<Pending> pending = new ArrayList<>();
        staged.forEach(r -> r.files().forEach(f -> pending.add(new Pending(r.shell(), f))));
        try {
            for (Map.Entry<ResourceShell, List<PilotDataFiles.Staged>> e : byShell(pending).entrySet()) {
                e.getKey().withFiles("put the output data of unit " + u.uid() + " in place", files -> {
                    for (PilotDataFiles.Staged f : e.getValue()) {
                        files.rename(f.temporary(), f.target());
                    }
                    return null;
                });
            }
        } catch (ResourceException ex) {
            return "putting the output data in place failed: " + ex.getMessage();
        }
        for (SqlStep w : writes) {
            w.run();
        }
        return null;
    }

    /** Removes staged output data that will not be placed; quietly. */
    static void discard(List<StagedReplica> staged, String unit) {
        List<Pending> pending = new ArrayList<>();
        staged.forEach(r -> r.files().forEach(f -> pending.add(new Pending(r.shell(), f))));
        for (Map.Entry<ResourceShell, List<PilotDataFiles.Staged>> e : byShell(pending).entrySet()) {
            try {
                e.getKey().withFiles("remove the unused output data of unit " + unit, files -> {
                    e.getValue().forEach(f -> PilotDataFiles.deleteQuietly(files, f.temporary()));
                    return null;
                });
            } catch (ResourceException ex) {
                LOG.warn("unit {}: could not remove the temporary output data files: {}", unit, ex.toString());
            }
        }
    }

    /** A checked file under its temporary name, on the machine of {@code shell}. */
    private record Pending(ResourceShell shell, PilotDataFiles.Staged staged) {
    }

    /**
     * {@link #collectOutput} through resource shells, all in the caller's transaction (the fallback when the unit's
     * process cannot run its output step): planned, staged, placed.
     */
    private static String collectOverShells(Tx tx, UnitRecord u, PilotRecord pilot, String sandbox,
                                            PilotDataShells shells) throws SQLException {
        List<StagedReplica> staged = List.of();
        String failure = null;
        try {
            staged = stageOutput(planOutput(tx, u, true), pilot, sandbox, shells, u.uid());
            failure = placeOutput(tx, u, staged);
            return failure;
        } catch (OutputFailure e) {
            failure = e.getMessage();
            return failure;
        } catch (ResourceException e) {
            failure = PilotDataFiles.failureOf(e);
            return failure;
        } finally {
            if (failure != null) {
                discard(staged, u.uid());
            }
        }
    }

    private static Map<ResourceShell, List<PilotDataFiles.Staged>> byShell(List<Pending> pending) {
        Map<ResourceShell, List<PilotDataFiles.Staged>> out = new LinkedHashMap<>();
        pending.forEach(p -> out.computeIfAbsent(p.shell(), k -> new ArrayList<>()).add(p.staged()));
        return out;
    }

}
