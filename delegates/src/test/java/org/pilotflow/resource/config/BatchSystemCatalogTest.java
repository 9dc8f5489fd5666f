package org.pilotflow.resource.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog over a class loader whose only service file lists the providers below (and real ones by name). */
public class BatchSystemCatalogTest {

    @TempDir
    Path dir;

    private static BatchSystemInfo system(String scheme, String key) {
        return new BatchSystemInfo(scheme, scheme, List.of(new BatchSystemInfo.ConfigKey(key, "x", Pattern.compile("x"),
                "x")), new BatchSystemInfo.NodeListSource("NODES", "host-per-core-file"));
    }

    public static final class Good implements BatchSystemProvider {
        @Override
        public BatchSystemInfo info() {
            return system("good", "good_key");
        }
    }

    public static final class AlsoGood implements BatchSystemProvider {
        @Override
        public BatchSystemInfo info() {
            return system("alsogood", "alsogood_key");
        }
    }

    /** As a provider whose jar lacks a class it needs. */
    public static final class BrokenJar implements BatchSystemProvider {
        public BrokenJar() {
            throw new NoClassDefFoundError("org/example/pbs/Missing");
        }

        @Override
        public BatchSystemInfo info() {
            return null;
        }
    }

    /** Its node list is written in a way the agent cannot read: a pilot on it would find one node. */
    public static final class UnreadableNodeList implements BatchSystemProvider {
        @Override
        public BatchSystemInfo info() {
            return new BatchSystemInfo("Flux", "flux", List.of(), new BatchSystemInfo.NodeListSource("FLUX_R",
                    "flux-r"));
        }
    }

    public static final class SameSchemeAsGood implements BatchSystemProvider {
        @Override
        public BatchSystemInfo info() {
            return system("good", "other_key");
        }
    }

    public static final class BuiltInKey implements BatchSystemProvider {
        @Override
        public BatchSystemInfo info() {
            return system("builtin", "max_nodes");
        }
    }

    private ClassLoader listing(Class<?>... providers) throws IOException {
        Path services = dir.resolve("META-INF/services/" + BatchSystemProvider.class.getName());
        Files.createDirectories(services.getParent());
        StringBuilder lines = new StringBuilder("org.pilotflow.no.such.Provider\n"); // a class that is not there
        for (Class<?> p : providers) {
            lines.append(p.getName()).append('\n');
        }
        Files.writeString(services, lines);
        return new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                Path f = dir.resolve(name);
                return Files.exists(f) ? Collections.enumeration(List.of(f.toUri().toURL()))
                        : Collections.emptyEnumeration();
            }
        };
    }

    @Test
    void aProviderThatCannotBeLoadedIsSkippedAndTheOthersServe() throws Exception {
        BatchSystemCatalog catalog = BatchSystemCatalog.load(listing(Good.class, BrokenJar.class, AlsoGood.class));

        assertThat(catalog.providers()).extracting(p -> p.info().scheme()).containsExactly("good", "alsogood");
        assertThat(catalog.configKeys()).containsOnlyKeys("good_key", "alsogood_key");
    }

    @Test
    void aProviderWhoseNodeListTheAgentCannotReadIsSkipped() throws Exception {
        BatchSystemCatalog catalog = BatchSystemCatalog.load(listing(Good.class, UnreadableNodeList.class));

        assertThat(catalog.providers()).extracting(p -> p.info().scheme()).containsExactly("good");
        assertThat(catalog.forScheme("flux")).isNull();
        assertThat(catalog.forScheme("good").nodeList().describe()).isEqualTo("a file naming a host once per core");
    }

    @Test
    void aDuplicateSchemeFailsEveryCallWithItsMessage() throws Exception {
        Supplier<BatchSystemCatalog> installed = BatchSystemCatalog.loadedOnce(listing(Good.class,
                SameSchemeAsGood.class));

        for (int call = 0; call < 2; call++) {
            assertThatThrownBy(installed::get).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("batch systems good and good both declare scheme good");
        }
    }

    @Test
    void aKeyTheConfigurationReadsItselfIsRejected() throws Exception {
        assertThatThrownBy(() -> BatchSystemCatalog.load(listing(BuiltInKey.class)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("declares config key max_nodes, which the resource configuration itself reads");
    }
}
