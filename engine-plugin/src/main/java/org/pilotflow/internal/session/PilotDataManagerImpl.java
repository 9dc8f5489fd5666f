package org.pilotflow.internal.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.DataFile;
import org.pilotflow.api.DataUnit;
import org.pilotflow.api.DataUnitDescription;
import org.pilotflow.api.DataUnitState;
import org.pilotflow.api.PilotData;
import org.pilotflow.api.PilotDataDescription;
import org.pilotflow.api.PilotDataManager;
import org.pilotflow.internal.data.PilotDataFiles;
import org.pilotflow.internal.lifecycle.DataUnits;
import org.pilotflow.internal.lifecycle.LocalFiles;
import org.pilotflow.internal.store.DataTable;
import org.pilotflow.internal.store.DataTable.DataUnitRow;
import org.pilotflow.internal.store.DataTable.PilotDataRow;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.PathVariables;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.UnknownResourceException;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pilot-Data on the resources' machines: pilot-data directories checked against {@code valid_roots} (as the resource
 * sees them), data units copied in from local files (each replica made in a temporary directory, each file's size and
 * checksum checked, then renamed into place whole), replicas copied between pilot-data. On this machine the files move
 * through java.nio; on a resource reached over SSH ({@code ssh://}, {@code slurm+ssh://}, ...) through SFTP on its
 * shared connection ({@link PilotDataFiles}), a copy between two machines streamed through this one. Every handle
 * reads the database, so any engine node sees the same.
 */
final class PilotDataManagerImpl implements PilotDataManager {

    private static final Logger LOG = LoggerFactory.getLogger(PilotDataManagerImpl.class);

    private final SessionState session;

    PilotDataManagerImpl(SessionState session) {
        this.session = session;
    }

    private <T> T tx(org.pilotflow.internal.lifecycle.Transactions.Body<T> body) {
        return session.service().txs().runRetrying(body);
    }

    @Override
    public PilotData submitPilotData(PilotDataDescription d) {
        BadParameter.requireNonNull(d, "description", "a PilotDataDescription");
        session.requireOpen(false, "the pilot-data manager");
        ResourceConfig rc;
        try {
            rc = session.resources().registry().get(d.resource());
        } catch (UnknownResourceException e) {
            throw new BadParameter("resource", d.resource(), "one of the configured resources " + e.knownLabels(), e);
        }
        String uid = DataTable.pilotDataUid(tx(tx -> DataTable.take(tx.connection(), session.id(),
                DataTable.PILOT_DATA_COUNTER)));
        Path dir = rc.isLocal() ? localDirectory(rc, d, uid) : remoteDirectory(rc, d, uid);
        // on a remote resource the description keeps the path as written ($HOME/...; the default's too): a pilot whose
        // sandbox is written the same way reaches it before its launch resolves that sandbox
        PilotDataDescription kept = rc.isLocal() || d.path() != null ? d : new PilotDataDescription(d.resource(),
                rc.defaultRemoteWorkdir() + "/" + session.id() + "/" + uid, d.sizeLimit(), d.affinity());
        PilotDataRow row = new PilotDataRow(session.id(), uid, kept, dir.toString());
        tx(tx -> {
            DataTable.insertPilotData(tx.connection(), row);
            return null;
        });
        LOG.info("pilot-data {} on {} at {}", uid, d.resource(), dir);
        return new PilotDataHandle(uid);
    }

    private Path localDirectory(ResourceConfig rc, PilotDataDescription d, String uid) {
        Path dir;
        try {
            dir = d.path() == null ? rc.defaultSandbox(session.id()).resolve(uid) : rc.checkSandbox(Path.of(d.path()));
        } catch (InvalidDescriptionException e) {
            throw new BadParameter("path", d.path(), e.expected() + " (the pilot-data's directory)", e);
        } catch (ResourceConfigException | java.nio.file.InvalidPathException e) {
            throw new BadParameter("path", d.path(), "a path the resource configuration can resolve ("
                    + e.getMessage() + ")", e);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BadParameter("path", dir.toString(), "a directory that can be made (" + e + ")", e);
        }
        return dir;
    }

    /**
     * The pilot-data's directory on a resource reached over SSH: the path as the resource sees it ({@code $HOME} and
     * the valid roots resolved there), checked against the valid roots, made over SFTP part by part, each part's
     * real path checked (so no link leads it out).
     */
    private Path remoteDirectory(ResourceConfig rc, PilotDataDescription d, String uid) {
        ResourceShell shell = shellOf(d.resource(), "resource");
        String given = d.path();
        try {
            java.util.Set<String> names = new java.util.TreeSet<>();
            PathVariables.variable(rc.defaultRemoteWorkdir()).ifPresent(names::add);
            rc.validRoots().forEach(r -> PathVariables.variable(r).ifPresent(names::add));
            if (given != null) {
                if (!PathVariables.isWellFormed(given)) {
                    throw new BadParameter("path", given, "an absolute path, or one starting with a variable such "
                            + "as $HOME, below one of the valid_roots of " + rc.label() + " " + rc.validRoots());
                }
                PathVariables.variable(given).ifPresent(names::add);
            }
            java.util.Map<String, String> vars = names.isEmpty() ? java.util.Map.of()
                    : shell.variables(List.copyOf(names));
            Path dir;
            if (given == null) {
                dir = rc.defaultSandbox(session.id(), vars).resolve(uid);
            } else {
                Path expanded = PathVariables.expand(given, vars).orElseThrow(() -> new BadParameter("path", given,
                        "a path whose variable is defined on " + shell.target()));
                dir = rc.checkSandbox(expanded, vars);
            }
            List<String> roots = session.resources().validRoots(d.resource(), shell);
            Path normalized = dir.normalize();
            PilotDataFiles.Made made = shell.withFiles("make the directory of pilot-data " + uid, files ->
                    PilotDataFiles.makeDirectory(files, normalized.toString(), roots));
            if (made.problem() != null) {
                throw new BadParameter("path", given == null ? normalized.toString() : given, made.problem()
                        + " (the pilot-data's directory on " + shell.target() + ")");
            }
            return normalized;
        } catch (InvalidDescriptionException e) {
            throw new BadParameter("path", given, e.expected() + " (the pilot-data's directory)", e);
        } catch (ResourceConfigException | java.nio.file.InvalidPathException e) {
            throw new BadParameter("path", given, "a path the resource configuration can resolve ("
                    + e.getMessage() + ")", e);
        } catch (ResourceException e) {
            throw new BadParameter("resource", d.resource(), "a resource whose machine this engine reaches ("
                    + e.getMessage() + ")", e);
        }
    }

    /** The shell of a resource's machine; unreachable is a BadParameter on {@code field}. */
    private ResourceShell shellOf(String resource, String field) {
        try {
            return session.resources().shellOf(resource);
        } catch (ResourceException e) {
            throw new BadParameter(field, resource, "a resource whose machine this engine reaches ("
                    + e.getMessage() + ")", e);
        }
    }

    @Override
    public List<String> listPilotData() {
        return tx(tx -> DataTable.pilotDataOf(tx.connection(), session.id()).stream().map(PilotDataRow::uid).toList());
    }

    @Override
    public PilotData getPilotData(String uid) {
        pilotDataRow(uid, "uid");
        return new PilotDataHandle(uid);
    }

    @Override
    public List<String> listDataUnits() {
        return tx(tx -> DataTable.dataUnitUids(tx.connection(), session.id()));
    }

    @Override
    public DataUnit getDataUnit(String uid) {
        dataUnitRow(uid, "uid");
        return new DataUnitHandle(uid);
    }

    private PilotDataRow pilotDataRow(String uid, String field) {
        PilotDataRow r = uid == null ? null : tx(tx -> DataTable.pilotData(tx.connection(), session.id(), uid, false));
        if (r == null) {
            throw new BadParameter(field, uid, "a pilot-data of session " + session.id() + " " + listPilotData());
        }
        return r;
    }

    private DataUnitRow dataUnitRow(String uid, String field) {
        DataUnitRow r = uid == null ? null : tx(tx -> DataTable.dataUnit(tx.connection(), session.id(), uid, false));
        if (r == null) {
            throw new BadParameter(field, uid, "a data unit of session " + session.id());
        }
        return r;
    }

    /** Checks a unit description's data unit uids: each must name a data unit of the session that has not FAILED. */
    void checkUnitData(String prefix, org.pilotflow.api.ComputeUnitDescription d) {
        java.util.Map<String, String> linked = new java.util.HashMap<>(); // file name -> data unit
        for (int i = 0; i < d.inputData().size(); i++) {
            String field = prefix + "inputData[" + i + "]";
            DataUnitRow r = checkUsable(field, d.inputData().get(i));
            for (DataFile f : r.files()) { // each is linked as unit:///<name>: two of one name would collide
                String other = linked.putIfAbsent(f.name(), r.uid());
                if (other != null) {
                    throw new BadParameter(field, r.uid(), "a data unit without a file named like one of "
                            + other + " ('" + f.name() + "'): input data is linked into the sandbox by file name");
                }
            }
        }
        for (int i = 0; i < d.outputData().size(); i++) {
            checkUsable(prefix + "outputData[" + i + "].dataUnit", d.outputData().get(i).dataUnit());
        }
    }

    private DataUnitRow checkUsable(String field, String uid) {
        DataUnitRow r = dataUnitRow(uid, field);
        if (r.state() == DataUnitState.FAILED) {
            throw new BadParameter(field, uid, "a data unit that has not FAILED (it FAILED: " + r.reason() + ")");
        }
        return r;
    }

    // ---------------------------------------------------------------- handles

    private final class PilotDataHandle implements PilotData {
        private final String uid;

        PilotDataHandle(String uid) {
            this.uid = uid;
        }

        private PilotDataRow row() {
            return pilotDataRow(uid, "uid");
        }

        @Override
        public String uid() {
            return uid;
        }

        @Override
        public PilotDataDescription description() {
            return row().description();
        }

        @Override
        public String path() {
            return row().path();
        }

        @Override
        public String url() {
            PilotDataRow r = row();
            String path = r.path().startsWith("/") ? r.path() : "/" + r.path();
            try { // where its files move: this machine, or the SSH connection of the resource's job manager endpoint
                var rc = session.resources().registry().get(r.description().resource());
                var jm = rc.jobManagerEndpoint();
                java.net.URI u = rc.isLocal() ? new java.net.URI("file", null, "localhost", -1, path, null, null)
                        : new java.net.URI("sftp", jm.user(), jm.host(), jm.port() > 0 ? jm.port() : -1, path, null,
                        null); // encodes a space, '#' or '%' in the path; brackets an IPv6 host
                return u.toASCIIString();
            } catch (java.net.URISyntaxException | RuntimeException e) { // the resource left the configuration since
                return "resource://" + r.description().resource() + path;
            }
        }

        @Override
        public long usedBytes() {
            return tx(tx -> DataTable.usedBytes(tx.connection(), session.id(), uid));
        }

        @Override
        public List<String> listDataUnits() {
            return tx(tx -> DataTable.dataUnitsOn(tx.connection(), session.id(), uid));
        }

        @Override
        public DataUnit submitDataUnit(DataUnitDescription d) {
            BadParameter.requireNonNull(d, "description", "a DataUnitDescription");
            PilotDataRow pd = row();
            long bytes = 0;
            for (int i = 0; i < d.files().size(); i++) {
                DataFile f = d.files().get(i);
                Path src = Path.of(f.source());
                if (!Files.isRegularFile(src)) {
                    throw new BadParameter("files[" + i + "].source", f.source(), Files.exists(src)
                            ? "a regular file (this is not one)" : "an existing file on the application's machine");
                }
                try {
                    bytes += Files.size(src);
                } catch (IOException e) {
                    throw new BadParameter("files[" + i + "].source", f.source(), "a readable file (" + e + ")", e);
                }
            }
            checkRoom(pd, bytes, "files");
            String du = DataTable.dataUnitUid(tx(tx -> DataTable.take(tx.connection(), session.id(),
                    DataTable.DATA_UNIT_COUNTER)));
            tx(tx -> {
                DataUnitRow created = new DataUnitRow(session.id(), du, d, DataUnitState.NEW, null, List.of());
                DataTable.insertDataUnit(tx.connection(), created);
                DataUnits.move(tx, created, DataUnitState.PENDING, null, null);
                return null;
            });
            List<DataFile> placed = new ArrayList<>();
            String failure = isLocal(pd) ? copyIn(pd, du, d.files(), placed) : putOverShell(pd, du,
                    localSources(d.files()), placed);
            tx(tx -> {
                DataUnitRow now = DataTable.dataUnit(tx.connection(), session.id(), du, true);
                String why = failure;
                if (why == null) {
                    PilotDataRow locked = DataTable.pilotData(tx.connection(), session.id(), uid, true);
                    long total = placed.stream().mapToLong(DataFile::size).sum();
                    long limit = locked.description().sizeLimit();
                    long used = DataTable.usedBytes(tx.connection(), session.id(), uid);
                    if (limit > 0 && used + total > limit) { // another data unit took the room meanwhile
                        why = "pilot-data " + uid + " would hold " + (used + total) + " bytes, more than its "
                                + "sizeLimit " + limit;
                    } else {
                        DataTable.putReplica(tx.connection(), session.id(), du, uid, total);
                        DataUnits.move(tx, now, DataUnitState.READY, null, List.copyOf(placed));
                        return null;
                    }
                }
                DataUnits.move(tx, now, DataUnitState.FAILED, why, null);
                return null;
            });
            DataUnitRow after = dataUnitRow(du, "uid");
            if (after.state() == DataUnitState.FAILED && failure == null) { // refused after its copy: none stays
                removeReplica(pd, du);
            }
            return new DataUnitHandle(du);
        }

        @Override
        public void replicate(DataUnit dataUnit) {
            BadParameter.requireNonNull(dataUnit, "dataUnit", "a data unit of session " + session.id());
            DataUnitRow du = dataUnitRow(dataUnit.uid(), "dataUnit");
            if (du.state() != DataUnitState.READY) {
                throw new BadParameter("dataUnit", du.uid(), "a READY data unit (it is " + du.state() + ")");
            }
            List<String> on = tx(tx -> DataTable.replicas(tx.connection(), session.id(), List.of(du.uid()))
                    .get(du.uid()));
            if (on.contains(uid)) {
                return;
            }
            PilotDataRow pd = row();
            checkRoom(pd, du.bytes(), "dataUnit");
            PilotDataRow source = pilotDataRow(on.get(0), "dataUnit");
            List<DataFile> placed = new ArrayList<>();
            String failure;
            if (isLocal(pd) && isLocal(source)) {
                Path from = Path.of(source.path()).resolve(du.uid());
                List<DataFile> sources = new ArrayList<>();
                for (DataFile f : du.files()) {
                    sources.add(new DataFile(f.name(), from.resolve(f.name()).toString(), f.size(), f.checksum()));
                }
                failure = copyIn(pd, du.uid(), sources, placed);
            } else {
                failure = replicateOverShells(source, pd, du, placed);
            }
            if (failure != null) {
                throw new BadParameter("dataUnit", du.uid(), "a data unit whose replica on " + on.get(0) + " can be "
                        + "copied (" + failure + ")");
            }
            tx(tx -> {
                DataTable.pilotData(tx.connection(), session.id(), uid, true);
                DataTable.putReplica(tx.connection(), session.id(), du.uid(), uid, du.bytes());
                return null;
            });
            LOG.info("data unit {} replicated to pilot-data {}", du.uid(), uid);
        }

        private void checkRoom(PilotDataRow pd, long bytes, String field) {
            long limit = pd.description().sizeLimit();
            long used = usedBytes();
            if (limit > 0 && used + bytes > limit) {
                throw new BadParameter(field, bytes + " bytes", "at most " + (limit - used) + " bytes, the room left"
                        + " in pilot-data " + uid + " (sizeLimit " + limit + ", " + used + " used)");
            }
        }
    }

    /**
     * Copies files into {@code <pd>/<du>}: into a temporary directory beside it, each checked, then the directory
     * renamed into place; on any failure nothing is left there.
     *
     * @return why it failed, or null ({@code placed} then lists the files as measured)
     */
    private static String copyIn(PilotDataRow pd, String du, List<DataFile> files, List<DataFile> placed) {
        Path dir = Path.of(pd.path());
        Path target = dir.resolve(du);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = LocalFiles.temporaryDirectory(dir, du);
            for (int i = 0; i < files.size(); i++) {
                DataFile f = files.get(i);
                LocalFiles.Staged s = LocalFiles.stage(Path.of(f.source()), tmp, f.name(), f.size(), f.checksum(),
                        "files[" + i + "] (" + f.name() + ")");
                s.commit();
                placed.add(s.file());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            return null;
        } catch (LocalFiles.CopyFailure e) {
            placed.clear();
            return e.getMessage();
        } catch (IOException e) {
            placed.clear();
            return "copying into " + target + " failed: " + e;
        } finally {
            LocalFiles.deleteQuietly(tmp);
        }
    }

    private boolean isLocal(PilotDataRow pd) {
        return session.resources().isLocal(pd.description().resource());
    }

    /** Local files, read on this machine, as sources for a replica elsewhere. */
    private static List<PilotDataFiles.Source> localSources(List<DataFile> files) {
        List<PilotDataFiles.Source> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            DataFile f = files.get(i);
            Path src = Path.of(f.source());
            out.add(new PilotDataFiles.Source(f.name(), f.source(), () -> Files.newInputStream(src), f.size(),
                    f.checksum(), "files[" + i + "] (" + f.name() + ")"));
        }
        return out;
    }

    /**
     * {@link #copyIn} onto pilot-data on another machine: over SFTP on its resource's shared connection, into a
     * temporary directory beside {@code <pd>/<du>}, each file's size and checksum checked, then renamed whole.
     */
    private String putOverShell(PilotDataRow pd, String du, List<PilotDataFiles.Source> sources,
                                List<DataFile> placed) {
        try {
            ResourceShell shell = session.resources().shellOf(pd.description().resource());
            placed.addAll(shell.withFiles("put data unit " + du + " on pilot-data " + pd.uid(), files ->
                    PilotDataFiles.putReplica(files, pd.path(), du, sources)));
            return null;
        } catch (ResourceException e) {
            placed.clear();
            return PilotDataFiles.failureOf(e);
        }
    }

    /** A replica copied from one pilot-data to another when either is on another machine: streamed through here. */
    private String replicateOverShells(PilotDataRow from, PilotDataRow to, DataUnitRow du, List<DataFile> placed) {
        try {
            ResourceShell in = isLocal(from) ? LocalShell.INSTANCE
                    : session.resources().shellOf(from.description().resource());
            ResourceShell out = isLocal(to) ? LocalShell.INSTANCE
                    : session.resources().shellOf(to.description().resource());
            placed.addAll(in.withFiles("read data unit " + du.uid() + " on pilot-data " + from.uid(), src -> {
                List<PilotDataFiles.Source> sources = new ArrayList<>();
                for (int i = 0; i < du.files().size(); i++) {
                    DataFile f = du.files().get(i);
                    String path = from.path() + "/" + du.uid() + "/" + f.name();
                    sources.add(new PilotDataFiles.Source(f.name(), path, () -> src.open(path), f.size(),
                            f.checksum(), "files[" + i + "] (" + f.name() + ")"));
                }
                return PilotDataFiles.inner(out, "put data unit " + du.uid() + " on pilot-data " + to.uid(), dst ->
                        PilotDataFiles.putReplica(dst, to.path(), du.uid(), sources));
            }));
            return null;
        } catch (ResourceException e) {
            placed.clear();
            return PilotDataFiles.failureOf(e);
        }
    }

    /** Removes a replica's directory (a data unit refused after its copy landed). */
    private void removeReplica(PilotDataRow pd, String du) {
        if (isLocal(pd)) {
            LocalFiles.deleteQuietly(Path.of(pd.path()).resolve(du));
            return;
        }
        try {
            session.resources().shellOf(pd.description().resource()).withFiles("remove data unit " + du,
                    files -> {
                        PilotDataFiles.deleteTree(files, pd.path() + "/" + du);
                        return null;
                    });
        } catch (ResourceException e) {
            LOG.warn("could not remove {}/{} on {}: {}", pd.path(), du, pd.description().resource(), e.toString());
        }
    }

    private final class DataUnitHandle implements DataUnit {
        private final String uid;

        DataUnitHandle(String uid) {
            this.uid = uid;
        }

        @Override
        public String uid() {
            return uid;
        }

        @Override
        public DataUnitDescription description() {
            return dataUnitRow(uid, "uid").description();
        }

        @Override
        public DataUnitState state() {
            return dataUnitRow(uid, "uid").state();
        }

        @Override
        public Optional<String> reason() {
            return Optional.ofNullable(dataUnitRow(uid, "uid").reason());
        }

        @Override
        public List<DataFile> files() {
            return dataUnitRow(uid, "uid").files();
        }

        @Override
        public List<String> pilotData() {
            return tx(tx -> DataTable.replicas(tx.connection(), session.id(), List.of(uid)).get(uid));
        }

        @Override
        public String toString() {
            return uid;
        }
    }
}
