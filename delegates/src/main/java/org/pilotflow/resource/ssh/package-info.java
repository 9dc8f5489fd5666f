/**
 * SSH access to resources, on JSch ({@code com.github.mwiede:jsch}).
 *
 * <ul>
 *   <li>{@link org.pilotflow.resource.ssh.SshCredentials} - who the engine is on a host: user, key file and
 *       passphrase, known_hosts, ssh-agent and ~/.ssh/config use; validated when built.</li>
 *   <li>{@link org.pilotflow.resource.ssh.SshConnections} - the engine's {@link
 *       org.pilotflow.resource.shell.ShellProvider} for SSH endpoints: one shared, self-healing connection per
 *       {@code [user@]host[:port]}, credentials per host, host-key policy per resource, reverse-tunnel watchdog.</li>
 *   <li>{@link org.pilotflow.resource.ssh.SshShell} - the {@link org.pilotflow.resource.shell.ResourceShell} on
 *       such a connection: quoted commands on exec channels, files over SFTP (atomic, mode set before content),
 *       remote port forwards for the agents' channel back to the engine.</li>
 * </ul>
 *
 * <p>Package-private: {@code SshConnection} (one JSch session: connect, reconnect, channel limit, forwards),
 * {@code SshErrors} (JSch exceptions to messages naming host and remedy), {@code KeyRepository} (read-only key
 * files + agent), {@code SshAddress}, {@code JschLog}.
 */
package org.pilotflow.resource.ssh;
