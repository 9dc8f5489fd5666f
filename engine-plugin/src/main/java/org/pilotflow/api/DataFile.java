package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One file of a data unit, with PanDA's file spec: its name in the data unit (a plain file name), its size and its
 * checksum ({@code adler32:<8 hex digits>} or {@code md5:<32 hex digits>}). In a {@link DataUnitDescription},
 * {@code source} is where the file is now: an absolute path on the application's machine; size and checksum, when
 * given, are checked on the copy before it is put in place. In a {@link DataUnit}'s list, {@code source} is null and
 * size and checksum (adler32) are what PilotFlow measured.
 */
public record DataFile(String name, String source, Long size, String checksum) {

    private static final Pattern CHECKSUM = Pattern.compile("adler32:[0-9a-f]{8}|md5:[0-9a-f]{32}");

    @JsonCreator
    public DataFile(@JsonProperty("name") String name, @JsonProperty("source") String source,
                    @JsonProperty("size") Long size, @JsonProperty("checksum") String checksum) {
        this.name = name;
        this.source = source;
        this.size = size;
        this.checksum = checksum == null ? null : checksum.strip().toLowerCase(Locale.ROOT);
    }

    /** A local file, named as it is. */
    public static DataFile of(Path file) {
        return new DataFile(file.getFileName().toString(), file.toString(), null, null);
    }

    /** A local file with the size and checksum its copy must have. */
    public static DataFile of(Path file, long size, String checksum) {
        return new DataFile(file.getFileName().toString(), file.toString(), size, checksum);
    }

    /** Checks the entry; {@code field} names it in errors ({@code files[2]}). */
    void validate(String field) {
        if (!isPlainName(name)) {
            throw new BadParameter(field + ".name", name, "a plain file name (no '/', not '.' or '..', no NUL, at "
                    + "most 255 characters)");
        }
        if (source == null || source.indexOf('\0') >= 0 || !Path.of(source).isAbsolute()) {
            throw new BadParameter(field + ".source", source, "an absolute path of a file on the application's "
                    + "machine");
        }
        if (size != null && size < 0) {
            throw new BadParameter(field + ".size", size, "the file's size in bytes (>= 0), or null");
        }
        if (checksum != null && !CHECKSUM.matcher(checksum).matches()) {
            throw new BadParameter(field + ".checksum", checksum, "adler32:<8 hex digits> or md5:<32 hex digits>, "
                    + "or null");
        }
    }

    static boolean isPlainName(String name) {
        return name != null && !name.isEmpty() && name.length() <= 255 && !name.contains("/") && !name.equals(".")
                && !name.equals("..") && name.indexOf('\0') < 0;
    }
}
