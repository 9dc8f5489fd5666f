package org.pilotflow.resource.ssh;

import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import org.pilotflow.resource.shell.ResourceFiles;

/**
 * {@link ResourceFiles} over one SFTP channel of a shared SSH connection: every operation of a batch is a request
 * on that channel, so a thousand files cost a thousand round trips or so, never a login or a channel each.
 */
final class SftpFiles implements ResourceFiles {

    private final ChannelSftp sftp;
    private final String target;

    SftpFiles(ChannelSftp sftp, String target) {
        this.sftp = sftp;
        this.target = target;
    }

    @Override
    public Stat stat(String path) throws IOException {
        try {
            return of(sftp.stat(SshShell.literal(path)));
        } catch (SftpException e) {
            return missingOrThrow(e, path);
        }
    }

    @Override
    public Stat lstat(String path) throws IOException {
        try {
            return of(sftp.lstat(SshShell.literal(path)));
        } catch (SftpException e) {
            return missingOrThrow(e, path);
        }
    }

    private static Stat of(SftpATTRS a) {
        return new Stat(a.isDir(), a.isReg(), a.isLink(), a.getSize());
    }

    private Stat missingOrThrow(SftpException e, String path) throws IOException {
        if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
            return null;
        }
        throw failure(e, path);
    }

    @Override
    public String realPath(String path) throws IOException {
        try {
            // OpenSSH's sftp-server answers with realpath(3): links resolved, the path must exist
            return sftp.realpath(path);
        } catch (SftpException e) {
            throw failure(e, path);
        }
    }

    @Override
    public void mkdir(String path) throws IOException {
        try {
            sftp.mkdir(path); // literal: mkdir does not glob
            sftp.chmod(0700, SshShell.literal(path));
        } catch (SftpException e) {
            throw failure(e, path);
        }
    }

    @Override
    public OutputStream create(String path) throws IOException {
        try {
            return sftp.put(SshShell.literal(path), ChannelSftp.OVERWRITE);
        } catch (SftpException e) {
            throw failure(e, path);
        }
    }

    @Override
    public InputStream open(String path) throws IOException {
        try {
            return sftp.get(SshShell.literal(path));
        } catch (SftpException e) {
            throw failure(e, path);
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        try {
            SshShell.renameOver(sftp, from, to);
        } catch (SftpException e) {
            throw failure(e, from + " -> " + to);
        }
    }

    @Override
    public long usableSpace(String directory) throws IOException {
        if (sftp.getExtension("statvfs@openssh.com") == null) {
            return -1;
        }
        try {
            com.jcraft.jsch.SftpStatVFS v = sftp.statVFS(directory);
            return v.getAvailBlocks() * v.getFragmentSize(); // getAvailForNonRoot() is in KiB
        } catch (SftpException e) {
            throw failure(e, directory);
        }
    }

    @Override
    public void deleteIfExists(String path) throws IOException {
        try {
            sftp.rm(SshShell.literal(path));
        } catch (SftpException e) {
            if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                throw failure(e, path);
            }
        }
    }

    @Override
    public java.util.List<String> list(String directory) throws IOException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try {
            sftp.ls(SshShell.literal(directory), entry -> {
                String n = entry.getFilename();
                if (!n.equals(".") && !n.equals("..")) {
                    names.add(n);
                }
                return ChannelSftp.LsEntrySelector.CONTINUE;
            });
        } catch (SftpException e) {
            throw failure(e, directory);
        }
        return names;
    }

    @Override
    public void rmdirIfExists(String directory) throws IOException {
        try {
            sftp.rmdir(SshShell.literal(directory));
        } catch (SftpException e) {
            if (e.id != ChannelSftp.SSH_FX_NO_SUCH_FILE) {
                throw failure(e, directory);
            }
        }
    }

    private IOException failure(SftpException e, String path) {
        if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE) {
            NoSuchFileException n = new NoSuchFileException(path, null, "on " + target);
            n.initCause(e);
            return n;
        }
        return new IOException(path + " on " + target + ": " + SshErrors.sftpMessage(e), e);
    }
}
