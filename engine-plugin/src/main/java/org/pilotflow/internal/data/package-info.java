/**
 * The Data API's implementation ({@link org.pilotflow.api.DataClient}): moving files between the application's
 * machine and a pilot's resource over the resource's shell (a local copy, or SFTP on the shared SSH connection),
 * with PanDA's size and checksum checks and the staging directives' confinement. Uses no engine role: the session
 * package hands it a shell and the pilot's directories.
 */
package org.pilotflow.internal.data;
