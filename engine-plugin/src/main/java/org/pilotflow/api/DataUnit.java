package org.pilotflow.api;

import java.util.List;
import java.util.Optional;

/** BigJob's {@code DataUnit}: a set of files with replicas on pilot-data. A handle: every call reads the database. */
public interface DataUnit {

    String uid();

    DataUnitDescription description();

    DataUnitState state();

    /** Why it FAILED. */
    Optional<String> reason();

    /** Its files (name, size, adler32 checksum), the same on every replica. */
    List<DataFile> files();

    /** The uids of the pilot-data holding a complete replica, first placed first. */
    List<String> pilotData();
}
