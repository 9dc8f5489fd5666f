package org.pilotflow.api;

import java.util.List;

/**
 * Moves files between the application's machine and a pilot's resource without running a unit: the PanDA pilot's
 * Data API ({@code StageInClient} and {@code StageOutClient} over file specs) for one pilot, from
 * {@link Session#dataClient(ComputePilot)}.
 *
 * <p>On a local resource ({@code fork://}, {@code slurm://} ...) files are copied; on a remote one ({@code ssh://},
 * {@code slurm+ssh://} ...) they go over SFTP on the SSH connection the engine already holds to the pilot's host:
 * a channel or two per call (stage-out checks its sources on one first), never a login per file. Resource
 * locations are the staging directives': {@code pilot://} (the pilot sandbox), {@code session://} (its parent), {@code resource://} (the base of all
 * sandboxes); a stage-out source may also resolve under the resource's {@code valid_roots}. Paths on the resource
 * obey the directives' rules: no {@code ..}, no absolute path, a known scheme; a target's directory must resolve
 * (links followed) inside its scheme's directory; missing parents are made.
 *
 * <p>The contract, per call: every spec is checked first, and bad input (an unknown scheme, {@code ..}, an
 * absolute resource path, {@code unit://} or {@code client://} on the resource side) throws {@link BadParameter}
 * naming {@code files[i].source} or {@code .target} before any byte moves. Then every file is moved on its own,
 * in order: a failed file does not stop the others (RADICAL-Pilot's NON_FATAL for every file; check
 * {@link FileSpec#failed()}). Each file is written under a temporary name beside its target, its size and
 * checksums computed from the bytes as they are written (adler32 always, md5 when the spec gives one), checked
 * against the spec, and only then renamed over the target: a target is replaced whole or not at all, and a
 * failed file leaves nothing there. The stage-in checksum is that of the bytes sent into the resource's file (SSH's
 * MAC guards them on the way) and the size is read back from the resource; stage-out computes both on this
 * machine from what arrived.
 *
 * <p>Thread-safe; calls from several threads each get their own SFTP channel.
 */
public interface DataClient {

    /** The pilot whose resource this client reaches. */
    String pilot();

    /**
     * Copies each spec's local source to its target on the resource.
     *
     * @return the specs in the same order, each {@link FileSpec.Status#TRANSFERRED} or {@link FileSpec.Status#FAILED}
     * @throws BadParameter before anything moved, naming the first bad spec's field
     * @throws IncorrectState when the pilot has no sandbox yet (not launched) or its resource is not reachable
     */
    List<FileSpec> stageIn(List<FileSpec> files);

    /** Copies each spec's source on the resource to its local target; as {@link #stageIn}. */
    List<FileSpec> stageOut(List<FileSpec> files);
}
