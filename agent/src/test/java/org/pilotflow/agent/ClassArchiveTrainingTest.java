package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The class archive's training run: a whole agent against the canned engine, in this JVM. */
class ClassArchiveTrainingTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a bound for a hung agent, not a speed expectation
    void theAgentRunsToItsNormalEndAndLeavesNothingBehind() throws Exception {
        assertThat(ClassArchiveTraining.run(dir.resolve("training"))).isEqualTo(AgentMain.EXIT_OK);
        try (Stream<Path> left = Files.list(dir.resolve("training"))) {
            assertThat(left).as("its sandbox is removed").isEmpty();
        }
    }
}
