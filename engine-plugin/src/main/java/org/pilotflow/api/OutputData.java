package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * BigJob's {@code output_data} entry: the files of the unit sandbox whose names match one of {@code patterns}
 * (globs: {@code *}, {@code ?}, {@code [abc]}; plain names, no '/') are added to data unit {@code dataUnit} once the
 * unit ran: copied into its pilot-data on the unit's resource, its file list updated.
 */
public record OutputData(String dataUnit, List<String> patterns) {

    @JsonCreator
    public OutputData(@JsonProperty("dataUnit") String dataUnit, @JsonProperty("patterns") List<String> patterns) {
        this.dataUnit = dataUnit;
        this.patterns = patterns == null ? null : List.copyOf(patterns.stream().map(p -> p == null ? "" : p).toList());
    }

    public static OutputData of(String dataUnit, String... patterns) {
        return new OutputData(dataUnit, List.of(patterns));
    }

    void validate(String field) {
        if (dataUnit == null || dataUnit.isBlank()) {
            throw new BadParameter(field + ".dataUnit", dataUnit, "the uid of a data unit");
        }
        if (patterns == null || patterns.isEmpty()) {
            throw new BadParameter(field + ".patterns", patterns, "one or more file name patterns such as '*.dat'");
        }
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            if (!DataFile.isPlainName(p)) {
                throw new BadParameter(field + ".patterns[" + i + "]", p, "a file name pattern in the unit sandbox "
                        + "(no '/', not '.' or '..', no NUL)");
            }
        }
    }
}
