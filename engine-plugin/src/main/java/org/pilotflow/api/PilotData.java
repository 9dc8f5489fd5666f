package org.pilotflow.api;

import java.util.List;

/**
 * BigJob's {@code PilotData}: a directory on a resource that holds replicas of data units, up to a size limit.
 * Populated from the application's machine: by a local copy on this machine's resources, over SFTP on the shared SSH
 * connection of a resource reached over SSH ({@code ssh://}, {@code slurm+ssh://}, ...).
 */
public interface PilotData {

    String uid();

    PilotDataDescription description();

    /**
     * The directory as the resource sees it ({@code $HOME} resolved there), as checked against the resource's
     * {@code valid_roots}.
     */
    String path();

    /**
     * Where it is as BigJob names a pilot-data, by URL: how its files move and {@link #path()},
     * {@code file://localhost/scratch/pd.0000} on this machine, {@code sftp://user@host:2222/scratch/pd.0000} over the
     * SSH connection of the resource's job manager endpoint.
     */
    String url();

    /** The bytes its replicas hold. */
    long usedBytes();

    /** The uids of the data units it holds a replica of. */
    List<String> listDataUnits();

    /**
     * Stores a new data unit and copies its files here (checked against their size and checksum, each put in place
     * whole or not at all); returns it READY, or FAILED with the reason (a missing file, a checksum mismatch, the
     * size limit).
     *
     * @throws BadParameter for a description that names no usable file
     */
    DataUnit submitDataUnit(DataUnitDescription description);

    /**
     * Copies a READY data unit here from one of its replicas (BigJob's {@code pd.submit_data_unit(data_unit=du)});
     * between two machines the bytes pass through the application's machine, checked against their size and checksum.
     *
     * @throws BadParameter when the data unit is not READY or the copy would exceed the size limit
     */
    void replicate(DataUnit dataUnit);
}
