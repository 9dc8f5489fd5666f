package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * BigJob's {@code DataUnitDescription}: a set of files used together. Immutable; {@link #builder()}. An empty
 * file list makes a data unit that units fill through {@link ComputeUnitDescription#outputData()}.
 *
 * @param name     a name for people; null for none
 * @param files    the files, each a plain name in the data unit and a local source (see {@link DataFile}); names
 *                 are unique
 * @param affinity BigJob's affinity labels
 */
public record DataUnitDescription(String name, List<DataFile> files, Affinity affinity) {

    /** The most files a data unit description may list (its row is one JSON value). */
    public static final int MAX_FILES = 10_000;

    @JsonCreator
    public DataUnitDescription(@JsonProperty("name") String name, @JsonProperty("files") List<DataFile> files,
                               @JsonProperty("affinity") Affinity affinity) {
        this.name = name;
        this.affinity = affinity == null ? Affinity.NONE : affinity;
        if (files != null && files.size() > MAX_FILES) {
            throw new BadParameter("files", files.size() + " files", "at most " + MAX_FILES);
        }
        Set<String> names = new HashSet<>();
        List<DataFile> copy = new ArrayList<>();
        if (files != null) {
            for (int i = 0; i < files.size(); i++) {
                DataFile f = files.get(i);
                if (f == null) {
                    throw new BadParameter("files[" + i + "]", null, "a DataFile (a list without null entries)");
                }
                f.validate("files[" + i + "]");
                if (!names.add(f.name())) {
                    throw new BadParameter("files[" + i + "].name", f.name(), "a name not used by another file of "
                            + "the data unit");
                }
                copy.add(f);
            }
        }
        this.files = List.copyOf(copy);
        ComputeUnitDescription.noNul("name", name);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String name;
        private final List<DataFile> files = new ArrayList<>();
        private Affinity affinity = Affinity.NONE;

        public Builder name(String v) { name = v; return this; }
        public Builder file(DataFile f) { files.add(f); return this; }
        /** A local file, under its own name. */
        public Builder file(Path local) { files.add(local == null ? null : DataFile.of(local.toAbsolutePath())); return this; }
        /** A local file whose copy must have this size and checksum. */
        public Builder file(Path local, long size, String checksum) { files.add(DataFile.of(local.toAbsolutePath(), size, checksum)); return this; }
        public Builder affinity(Affinity v) { affinity = v; return this; }
        public Builder affinity(String datacenter, String machine) { affinity = Affinity.of(datacenter, machine); return this; }

        public DataUnitDescription build() {
            return new DataUnitDescription(name, files, affinity);
        }
    }
}
