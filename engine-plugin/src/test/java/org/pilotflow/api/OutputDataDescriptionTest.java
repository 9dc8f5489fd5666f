package org.pilotflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A unit's output data entries: what the builder accepts and refuses (by name). */
class OutputDataDescriptionTest {

    private static ComputeUnitDescription.Builder unit() {
        return ComputeUnitDescription.builder().executable("/bin/true");
    }

    @Test
    void twoEntriesForOneDataUnitAreRefused_namingTheSecond() {
        // collecting them would give the data unit the second entry's files only (each starts from the stored list)
        assertThatThrownBy(() -> unit().outputData(OutputData.of("du.000001", "*.out"),
                OutputData.of("du.000002", "*.log"), OutputData.of("du.000001", "*.err")).build())
                .isInstanceOfSatisfying(BadParameter.class, e -> {
                    assertThat(e.field()).isEqualTo("outputData[2].dataUnit");
                    assertThat(e.value()).isEqualTo("du.000001");
                    assertThat(e.expected()).contains("outputData[0]");
                });
    }

    @Test
    void oneEntryPerDataUnitWithSeveralPatternsIsKept() {
        ComputeUnitDescription d = unit().outputData(OutputData.of("du.000001", "*.out", "*.err"),
                OutputData.of("du.000002", "*.log")).build();
        assertThat(d.outputData()).extracting(OutputData::dataUnit).containsExactly("du.000001", "du.000002");
    }
}
