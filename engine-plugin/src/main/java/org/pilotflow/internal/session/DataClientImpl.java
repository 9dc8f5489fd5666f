package org.pilotflow.internal.session;

import java.util.List;
import java.util.function.Supplier;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.DataClient;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.internal.data.FileMover;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.resource.ResourceException;

/** A pilot's {@link DataClient}: finds the pilot's resource and sandbox at each call and hands the files over. */
final class DataClientImpl implements DataClient {

    private final Resources resources;
    private final String pilotUid;
    /** The pilot as it is now: a session's view of it, or (for a workflow's task) its row. */
    private final Supplier<PilotRecord> pilot;

    DataClientImpl(Resources resources, String pilotUid, Supplier<PilotRecord> pilot) {
        this.resources = resources;
        this.pilotUid = pilotUid;
        this.pilot = pilot;
    }

    @Override
    public String pilot() {
        return pilotUid;
    }

    @Override
    public List<FileSpec> stageIn(List<FileSpec> files) {
        return mover(files).stageIn(files);
    }

    @Override
    public List<FileSpec> stageOut(List<FileSpec> files) {
        return mover(files).stageOut(files);
    }

    private FileMover mover(List<FileSpec> files) {
        BadParameter.requireNonNull(files, "files", "a list of FileSpecs");
        PilotRecord p = pilot.get();
        try {
            Resources.PilotFiles where = resources.filesOf(p).orElseThrow(() -> new IncorrectState(
                    "pilot " + pilotUid + " is " + p.state() + " and has no sandbox on its resource yet: move files "
                    + "once it was launched (wait for PENDING_ACTIVE or ACTIVE)"));
            return new FileMover(where.shell(), pilotUid, where.sandbox(), where.validRoots());
        } catch (ResourceException e) {
            throw new IncorrectState("cannot reach the resource of pilot " + pilotUid + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "DataClient[" + pilotUid + "]";
    }
}
