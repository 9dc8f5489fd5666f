package org.pilotflow.api;

import java.util.Locale;
import java.util.regex.Pattern;
import org.pilotflow.model.wire.StagingDirective;

/**
 * One file to move with a {@link DataClient}, in the spirit of the PanDA pilot's {@code FileSpec}: where it is,
 * where it goes, and optionally its size ({@code filesize}) and checksums ({@code checksum: {adler32, md5}}); after
 * the transfer, its {@link #status()}, the {@link #error()} and {@link #reason()} of a failure, and the size and
 * checksums of what arrived. Immutable: a client returns new specs with the outcome filled in.
 *
 * <p>Which side is which depends on the direction: for {@link DataClient#stageIn} the source is a path on the
 * application's machine (absolute, or relative to the working directory) and the target a location on the resource
 * ({@code pilot:///in/a.dat}, {@code session:///...}, {@code resource:///...}); for {@link DataClient#stageOut} the
 * source is on the resource and the target on the application's machine. A resource target ending in {@code /} (or
 * a scheme alone), or a local target that is an existing directory, gets the source's file name.
 *
 * <pre>{@code
 * FileSpec in = FileSpec.builder().source("data/events.root").target("pilot:///events.root")
 *         .size(104857600).adler32("0a1b2c3d").build();
 * }</pre>
 */
public final class FileSpec {

    /** Where a spec is. */
    public enum Status {
        /** Not moved yet. */
        NEW,
        /** At its target, size and checksums verified where the spec gave them. */
        TRANSFERRED,
        /** Not at its target: see {@link #error()} and {@link #reason()}; nothing of it was left there. */
        FAILED
    }

    /** Why a file failed (PanDA's pilot names these errors too: no such file, size and checksum mismatches). */
    public enum TransferError {
        /** The source does not exist. */
        MISSING_SOURCE,
        /** The source is a directory, a device or a FIFO: the Data API moves regular files. */
        NOT_A_FILE,
        /** A source or target resolves (through links) outside where its scheme or the valid roots allow. */
        ESCAPES_ROOT,
        /** The target is an existing directory, or its parent is not a directory. */
        TARGET_NOT_WRITABLE,
        /** The bytes that arrived are not as many as the spec's {@link #size()}. */
        SIZE_MISMATCH,
        /** The checksum of what arrived is not the spec's. */
        CHECKSUM_MISMATCH,
        /** The receiving file system is full. */
        NO_SPACE,
        /** Anything else the machine said (permission denied, connection lost...). */
        TRANSFER_FAILED
    }

    private static final Pattern ADLER32 = Pattern.compile("[0-9a-f]{8}");
    private static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");

    private final String source;
    private final String target;
    private final Long size;
    private final String adler32;
    private final String md5;
    private final Status status;
    private final TransferError error;
    private final String reason;
    private final Long transferredSize;
    private final String transferredAdler32;
    private final String transferredMd5;

    private FileSpec(Builder b, Status status, TransferError error, String reason, Long transferredSize,
            String transferredAdler32, String transferredMd5) {
        this.source = b.source;
        this.target = b.target;
        this.size = b.size;
        this.adler32 = b.adler32;
        this.md5 = b.md5;
        this.status = status;
        this.error = error;
        this.reason = reason;
        this.transferredSize = transferredSize;
        this.transferredAdler32 = transferredAdler32;
        this.transferredMd5 = transferredMd5;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A spec without size or checksum. */
    public static FileSpec of(String source, String target) {
        return builder().source(source).target(target).build();
    }

    public String source() {
        return source;
    }

    /** The target as given ({@code ""} for the source's name in the scheme's or working directory). */
    public String target() {
        return target;
    }

    /** The expected size in bytes, or null. */
    public Long size() {
        return size;
    }

    /** The expected adler32 (8 lower-case hex digits), or null. */
    public String adler32() {
        return adler32;
    }

    /** The expected md5 (32 lower-case hex digits), or null. */
    public String md5() {
        return md5;
    }

    public Status status() {
        return status;
    }

    /** Why it failed; null unless {@link Status#FAILED}. */
    public TransferError error() {
        return error;
    }

    /** What went wrong, naming the file, the expected and the actual values; null unless failed. */
    public String reason() {
        return reason;
    }

    /** The bytes that arrived at the target, or null unless transferred. */
    public Long transferredSize() {
        return transferredSize;
    }

    /** The adler32 of what arrived (always computed), or null unless transferred. */
    public String transferredAdler32() {
        return transferredAdler32;
    }

    /** The md5 of what arrived (computed when the spec gives one, or the client was asked to), or null. */
    public String transferredMd5() {
        return transferredMd5;
    }

    /** The checksum of what arrived in PanDA's form, {@code adler32:<hex>} (md5 when no adler32), or null. */
    public String transferredChecksum() {
        return transferredAdler32 != null ? "adler32:" + transferredAdler32
                : transferredMd5 != null ? "md5:" + transferredMd5 : null;
    }

    public boolean failed() {
        return status == Status.FAILED;
    }

    /** This spec, transferred: what arrived had these size and checksums (null for one not computed). */
    public FileSpec transferred(long bytes, String arrivedAdler32, String arrivedMd5) {
        return new FileSpec(toBuilder(), Status.TRANSFERRED, null, null, bytes, arrivedAdler32, arrivedMd5);
    }

    /** This spec, failed. */
    public FileSpec failed(TransferError why, String description) {
        return new FileSpec(toBuilder(), Status.FAILED, BadParameter.requireNonNull(why, "error",
                "a TransferError"), description, null, null, null);
    }

    private Builder toBuilder() {
        Builder b = new Builder();
        b.source = source;
        b.target = target;
        b.size = size;
        b.adler32 = adler32;
        b.md5 = md5;
        return b;
    }

    @Override
    public String toString() {
        return "FileSpec['" + source + "' > '" + target + "'" + (size != null ? ", " + size + " bytes" : "")
                + (adler32 != null ? ", adler32:" + adler32 : "") + (md5 != null ? ", md5:" + md5 : "") + ", "
                + status + (error != null ? " " + error + ": " + reason : "") + "]";
    }

    /** Builds a {@link FileSpec}; each setter checks its value. */
    public static final class Builder {
        private String source;
        private String target = "";
        private Long size;
        private String adler32;
        private String md5;

        private Builder() {
        }

        /** The file to move: a local path for stage-in, a resource location for stage-out. */
        public Builder source(String s) {
            if (s == null || s.isBlank()) {
                throw new BadParameter("source", s, "a file: a local path for stage-in, a location such as "
                        + "'pilot:///out.dat' for stage-out");
            }
            this.source = s.strip();
            return this;
        }

        /** Where it goes; empty (the default) for the source's file name. */
        public Builder target(String t) {
            this.target = t == null ? "" : t.strip();
            return this;
        }

        public Builder size(long bytes) {
            if (bytes < 0) {
                throw new BadParameter("size", bytes, "the file's size in bytes (>= 0)");
            }
            this.size = bytes;
            return this;
        }

        /** The expected adler32, 8 hex digits (PanDA's form; any case). */
        public Builder adler32(String hex) {
            this.adler32 = hex(hex, ADLER32, "adler32", "8 hex digits, e.g. 0a1b2c3d");
            return this;
        }

        /** The expected md5, 32 hex digits. */
        public Builder md5(String hex) {
            this.md5 = hex(hex, MD5, "md5", "32 hex digits");
            return this;
        }

        /** A checksum as PanDA and the staging directives write it: {@code adler32:<hex>} or {@code md5:<hex>}. */
        public Builder checksum(String typed) {
            String c = typed == null ? null : typed.strip().toLowerCase(Locale.ROOT);
            try {
                StagingDirective.checkChecksum("checksum", c);
            } catch (StagingDirective.Invalid e) {
                throw new BadParameter(e.field(), typed, e.expected(), e);
            }
            if (c != null) {
                String hex = c.substring(c.indexOf(':') + 1);
                if (c.startsWith("adler32:")) {
                    this.adler32 = hex;
                } else {
                    this.md5 = hex;
                }
            }
            return this;
        }

        private static String hex(String value, Pattern p, String field, String expected) {
            if (value == null) {
                return null;
            }
            String h = value.strip().toLowerCase(Locale.ROOT);
            if (!p.matcher(h).matches()) {
                throw new BadParameter(field, value, expected);
            }
            return h;
        }

        public FileSpec build() {
            if (source == null) {
                throw new BadParameter("source", null, "a file to move (FileSpec.builder().source(...))");
            }
            return new FileSpec(this, Status.NEW, null, null, null, null, null);
        }
    }
}
