package org.pilotflow.internal.lifecycle;

import java.util.List;
import org.pilotflow.api.FileSpec;
import org.pilotflow.internal.store.PilotKey;

/**
 * The Data API for a workflow's "Stage data" task: the session service does it (it knows the resources), for a pilot
 * read from the database, so any engine node can run the task whether or not the session is open on it.
 */
public interface FileStager {

    /**
     * Moves {@code files} to ({@code in}) or from the pilot's resource, as {@link org.pilotflow.api.DataClient} does.
     *
     * @return the specs in order, each TRANSFERRED or FAILED
     * @throws org.pilotflow.api.BadParameter naming {@code pilot} or {@code files[i].source}/{@code .target}, before
     *         anything moved
     * @throws org.pilotflow.api.IncorrectState when the pilot has no sandbox yet or its resource cannot be reached
     */
    List<FileSpec> stage(PilotKey pilot, boolean in, List<FileSpec> files);
}
