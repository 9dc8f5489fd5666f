package org.pilotflow.resource.ssh;

import com.jcraft.jsch.AgentIdentityRepository;
import com.jcraft.jsch.AgentProxyException;
import com.jcraft.jsch.Identity;
import com.jcraft.jsch.IdentityRepository;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.SSHAgentConnector;
import com.jcraft.jsch.UnixDomainSocketFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys one connection offers: its key files (decrypted in memory) first, then the ssh-agent's keys.
 *
 * <p>Why not JSch's own repositories: once an {@link AgentIdentityRepository} is set on a {@code JSch},
 * {@code JSch.addIdentity(file)} <em>adds that key to the user's ssh-agent</em>. This repository is read-only, so
 * nothing here ever changes the agent. The agent is reached through JSch's {@link UnixDomainSocketFactory}, which
 * uses the JDK's own Unix-domain sockets (Java 16+): no junixsocket or JNA is needed.
 */
final class KeyRepository implements IdentityRepository {

    private static final Logger LOG = LoggerFactory.getLogger(KeyRepository.class);

    private final List<Identity> files;
    private final IdentityRepository agent;

    private KeyRepository(List<Identity> files, IdentityRepository agent) {
        this.files = List.copyOf(files);
        this.agent = agent;
    }

    /**
     * Loads the credentials' key file and {@code extraFiles} (ssh config {@code IdentityFile}s; unreadable or
     * encrypted ones are skipped) and connects the agent if the credentials use one.
     *
     * @throws JSchException when the credentials' own key file cannot be loaded or decrypted
     */
    static KeyRepository load(SshCredentials credentials, List<Path> extraFiles) throws JSchException {
        List<Identity> ids = new ArrayList<>();
        if (credentials.keyFile().isPresent()) {
            Identity id = loadFile(credentials.keyFile().get(), credentials);
            if (id != null) {
                ids.add(id);
            }
        }
        for (Path f : extraFiles) {
            try {
                Identity id = loadFile(f, null);
                if (id != null) {
                    ids.add(id);
                }
            } catch (JSchException e) {
                LOG.debug("skipping IdentityFile {} from the ssh config: {}", f, e.getMessage());
            }
        }
        IdentityRepository agent = null;
        if (credentials.agentSocket().isPresent()) {
            try {
                agent = new AgentIdentityRepository(new SSHAgentConnector(new UnixDomainSocketFactory(),
                        credentials.agentSocket().get()));
            } catch (AgentProxyException e) {
                throw new JSchException("cannot use ssh-agent at " + credentials.agentSocket().get() + ": "
                        + e.getMessage(), e);
            }
        }
        return new KeyRepository(ids, agent);
    }

    /**
     * One key file, decrypted with the credentials' passphrase when {@code withPassphrase} is given; {@code null}
     * for an encrypted key without passphrase that the agent may hold.
     */
    private static Identity loadFile(Path file, SshCredentials withPassphrase) throws JSchException {
        byte[] pass = withPassphrase == null ? null : withPassphrase.passphraseBytes();
        try {
            JSch scratch = new JSch(); // its LocalIdentityRepository only loads and decrypts the file
            scratch.addIdentity(file.toString(), pass);
            Vector<Identity> loaded = scratch.getIdentityRepository().getIdentities();
            if (loaded.isEmpty()) {
                throw new JSchException("no key in " + file);
            }
            Identity id = loaded.get(0);
            if (id.isEncrypted()) {
                if (pass != null || withPassphrase == null || !withPassphrase.useAgent()) {
                    throw new JSchException(pass == null ? "key " + file + " is protected by a passphrase and none"
                            + " was given" : "the passphrase does not decrypt key " + file);
                }
                return null;
            }
            return id;
        } finally {
            if (pass != null) {
                java.util.Arrays.fill(pass, (byte) 0);
            }
        }
    }

    @Override
    public String getName() {
        return "pilotflow-keys";
    }

    @Override
    public int getStatus() {
        return RUNNING;
    }

    @Override
    public Vector<Identity> getIdentities() {
        Vector<Identity> all = new Vector<>(files);
        if (agent != null) {
            try {
                all.addAll(agent.getIdentities());
            } catch (RuntimeException e) {
                LOG.warn("cannot list the keys of ssh-agent: {}", e.toString());
            }
        }
        return all;
    }

    @Override
    public boolean add(byte[] identity) {
        return false; // read-only: see the class comment
    }

    @Override
    public boolean remove(byte[] blob) {
        return false;
    }

    @Override
    public void removeAll() {
        // read-only
    }

    /** Forgets the decrypted keys (on disconnect). */
    void clear() {
        files.forEach(Identity::clear);
    }
}
