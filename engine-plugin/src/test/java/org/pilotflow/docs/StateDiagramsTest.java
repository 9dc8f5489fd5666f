package org.pilotflow.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.util.Map;
import org.pilotflow.internal.lifecycle.PilotEffect;
import org.pilotflow.internal.lifecycle.UnitEffect;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * The README (and docs/state-models.md) show the state models drawn from the code's own transition table
 * ({@code PilotState.MODEL}, {@code UnitState.MODEL}), never by hand. Each document that exists must hold, between
 * its markers, exactly the current {@code toMermaid()} output in a {@code ```mermaid} fence:
 *
 * <pre>
 * &lt;!-- pilot-states:begin --&gt;
 * ```mermaid
 * (PilotState.MODEL.toMermaid())
 * ```
 * &lt;!-- pilot-states:end --&gt;
 * </pre>
 *
 * <p>With {@code -Dpilotflow.updateDocs=true} the test rewrites the blocks between the markers instead of failing.
 * Surefire runs with engine-plugin's directory as the working directory, hence the {@code ../} paths.
 */
class StateDiagramsTest {

    static final String UPDATE_PROPERTY = "pilotflow.updateDocs";
    static final String REGENERATE = "mvn -B install -DskipTests && mvn -B -pl engine-plugin test"
            + " -Dtest=StateDiagramsTest -Dpilotflow.updateDocs=true";

    private static final Path README = Path.of("..", "README.md");
    private static final Path STATE_MODELS = Path.of("..", "docs", "state-models.md");

    /** A generated block: a Mermaid diagram (fenced) or a Markdown table (as is). */
    private record Diagram(String marker, String mermaid, boolean fenced) {
        Diagram(String marker, String mermaid) {
            this(marker, mermaid, true);
        }

        String begin() {
            return "<!-- " + marker + ":begin -->";
        }

        String end() {
            return "<!-- " + marker + ":end -->";
        }

        String block() {
            return fenced ? "```mermaid\n" + mermaid + (mermaid.endsWith("\n") ? "" : "\n") + "```" : mermaid.strip();
        }
    }

    private static List<Diagram> diagrams() {
        return List.of(
                new Diagram("pilot-states", PilotState.MODEL.toMermaid()),
                new Diagram("unit-states", UnitState.MODEL.toMermaid()),
                new Diagram("data-unit-states", org.pilotflow.api.DataUnitState.MODEL.toMermaid()),
                new Diagram("pilot-effects", effects(PilotEffect.ON_ENTER, PilotEffect::description), false),
                new Diagram("unit-effects", effects(UnitEffect.ON_ENTER, UnitEffect::description), false));
    }

    /** The table of what entering each state does, from the lifecycle's own effect table. */
    static <S extends Enum<S>, E extends Enum<E>> String effects(Map<S, List<E>> onEnter,
                                                                 java.util.function.Function<E, String> text) {
        StringBuilder b = new StringBuilder("| entering | does, in this order |\n|---|---|\n");
        onEnter.forEach((state, list) -> {
            if (!list.isEmpty()) {
                b.append("| ").append(state.name()).append(" | ");
                for (int i = 0; i < list.size(); i++) {
                    b.append(i > 0 ? "; " : "").append(list.get(i).name()).append(": ").append(text.apply(list.get(i)));
                }
                b.append(" |\n");
            }
        });
        return b.toString();
    }

    @Test
    void stateModelsDocumentExists() {
        assertThat(STATE_MODELS)
                .as("docs/state-models.md holds the generated pilot and unit state diagrams (working directory %s)",
                        Path.of("").toAbsolutePath())
                .isRegularFile();
    }

    @Test
    void documentsShowTheCurrentStateModels() throws IOException {
        boolean update = Boolean.getBoolean(UPDATE_PROPERTY);
        List<String> problems = new ArrayList<>();
        for (Path doc : List.of(README, STATE_MODELS)) {
            if (!Files.isRegularFile(doc)) {
                continue; // the README may not exist yet; stateModelsDocumentExists() insists on the other one
            }
            String original = Files.readString(doc, StandardCharsets.UTF_8);
            String text = original.replace("\r\n", "\n");
            for (Diagram d : diagrams()) {
                int begin = text.indexOf(d.begin());
                int end = text.indexOf(d.end());
                if (begin < 0 || end < 0 || end < begin
                        || text.indexOf(d.begin(), begin + 1) >= 0 || text.indexOf(d.end(), end + 1) >= 0) {
                    problems.add(doc.normalize() + ": needs exactly one '" + d.begin() + "' followed by exactly one '"
                            + d.end() + "' (put both where the diagram belongs, then run: " + REGENERATE + ")");
                    continue;
                }
                int from = begin + d.begin().length();
                String between = text.substring(from, end);
                if (between.strip().equals(d.block())) {
                    continue;
                }
                if (update) {
                    text = text.substring(0, from) + "\n" + d.block() + "\n" + text.substring(end);
                } else {
                    problems.add(doc.normalize() + ": the " + d.marker() + " block is not the one generated from "
                            + "the code's tables; regenerate it with: " + REGENERATE
                            + "\n  expected between the markers:\n" + d.block() + "\n  found:\n" + (between.isBlank() ? "(nothing)" : between.strip()));
                }
            }
            if (update && !text.equals(original.replace("\r\n", "\n"))) {
                Files.writeString(doc, text, StandardCharsets.UTF_8);
            }
        }
        if (!problems.isEmpty()) {
            fail(String.join("\n\n", problems));
        }
    }
}
