package org.pilotflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Garbage for every field of the description builders: {@code build()} either returns or throws
 * {@link BadParameter} whose field is named and whose message starts with {@code "<field> is "}. Nothing else may
 * escape (a NullPointerException from a null list entry, say). The generators are shared with the end-to-end
 * garbage tests ({@code org.pilotflow.e2e.GarbageInputPropertyTest}).
 */
public class DescriptionsPropertyTest {

    /** Strings over a megabyte: together with the other fields, a description of more than 1 MB. */
    static final int HUGE = 1_100_000;

    @Property(tries = 500)
    void aUnitDescriptionBuildsOrNamesTheBadField(@ForAll("unitRecipes") Recipe<ComputeUnitDescription.Builder> r) {
        buildsOrNamesTheField(() -> r.applyTo(ComputeUnitDescription.builder()).build());
    }

    @Property(tries = 500)
    void aPilotDescriptionBuildsOrNamesTheBadField(
            @ForAll("pilotRecipes") Recipe<ComputePilotDescription.Builder> r) {
        ComputePilotDescription d = buildsOrNamesTheField(() -> r.applyTo(ComputePilotDescription.builder()).build());
        if (d != null) { // what is built survives a round trip through its builder
            assertThat(d.toBuilder().build()).isEqualTo(d);
        }
    }

    /** The built value, or null when build() refused with a well-formed BadParameter; anything else escapes. */
    static <T> T buildsOrNamesTheField(Supplier<T> build) {
        try {
            return build.get();
        } catch (BadParameter e) {
            assertThat(e.field()).as("field of: %s", Shown.text(e.getMessage())).isNotBlank();
            assertThat(e.getMessage()).as("message of a BadParameter on %s", e.field()).startsWith(e.field() + " is ");
            return null;
        }
    }

    @Provide
    Arbitrary<Recipe<ComputeUnitDescription.Builder>> unitRecipes() {
        return unitRecipe();
    }

    @Provide
    Arbitrary<Recipe<ComputePilotDescription.Builder>> pilotRecipes() {
        return pilotRecipe();
    }

    // ------------------------------------------------------------------------------------------------ recipes

    /** One builder call, shown as it would be written. */
    public record Call<B>(String text, Consumer<B> apply) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** Builder calls in order; jqwik prints it as the code that builds the description. */
    public record Recipe<B>(String start, List<Call<B>> calls) {
        public Recipe(List<Call<B>> calls) {
            this("builder()", calls);
        }

        public B applyTo(B builder) {
            calls.forEach(c -> c.apply().accept(builder));
            return builder;
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(start);
            calls.forEach(c -> s.append('.').append(c.text()));
            return s.append(".build()").toString();
        }
    }

    /** Each field set (or left alone) with garbage of its kind. */
    public static Arbitrary<Recipe<ComputeUnitDescription.Builder>> unitRecipe() {
        List<Arbitrary<Call<ComputeUnitDescription.Builder>>> calls = List.of(
                call("name", text(), (b, v) -> b.name(v)),
                call("executable", executables(), (b, v) -> b.executable(v)),
                Arbitraries.oneOf(
                        call("arguments", list(text()), (b, v) -> b.arguments(v)),
                        // the varargs overload, with null entries as a caller may pass them
                        text().injectNull(0.15).list().ofMaxSize(3).map(l -> new Call<ComputeUnitDescription.Builder>(
                                "arguments(" + String.join(", ", l.stream()
                                        .map(a -> a == null ? "(String) null" : Shown.text(a)).toList()) + ")",
                                b -> b.arguments(l.toArray(String[]::new))))),
                call("environment", environment(), (b, v) -> b.environment(v)),
                primitive("cores", counts(), (b, v) -> b.cores(v)),
                primitive("gpus", counts(), (b, v) -> b.gpus(v)),
                call("preExec", list(text()), (b, v) -> b.preExec(v)),
                call("postExec", list(text()), (b, v) -> b.postExec(v)),
                call("stdout", fileNames(), (b, v) -> b.stdout(v)),
                call("stderr", fileNames(), (b, v) -> b.stderr(v)),
                call("timeout", durations(), (b, v) -> b.timeout(v)),
                primitive("restartable", Arbitraries.of(true, false), (b, v) -> b.restartable(v)),
                call("pilot", text(), (b, v) -> b.pilot(v)),
                primitive("mpi", Arbitraries.of(true, false), (b, v) -> b.mpi(v)),
                primitive("cpuProcesses", counts(), (b, v) -> b.cpuProcesses(v)),
                primitive("cpuThreads", counts(), (b, v) -> b.cpuThreads(v)),
                call("tags", Arbitraries.oneOf(environment(), text().map(t -> Map.of("colocate", t))),
                        (b, v) -> b.tags(v)),
                call("metadata", environment(), (b, v) -> b.metadata(v)),
                call("sandbox", Arbitraries.oneOf(fileNames(), paths(), text()), (b, v) -> b.sandbox(v)),
                primitive("priority", counts(), (b, v) -> b.priority(v)),
                primitive("memoryMb", Arbitraries.oneOf(counts().map(Integer::longValue),
                        Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, ComputeUnitDescription.MAX_MEMORY_MB,
                                ComputeUnitDescription.MAX_MEMORY_MB + 1)), (b, v) -> b.memoryMb(v)));
        return recipe(calls);
    }

    public static Arbitrary<Recipe<ComputePilotDescription.Builder>> pilotRecipe() {
        List<Arbitrary<Call<ComputePilotDescription.Builder>>> calls = List.of(
                call("resource", Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just("local.localhost")),
                        Tuple.of(3, text())), (b, v) -> b.resource(v)),
                call("runtime", durations(), (b, v) -> b.runtime(v)),
                primitive("cores", counts(), (b, v) -> b.cores(v)),
                primitive("gpus", counts(), (b, v) -> b.gpus(v)),
                primitive("memoryMb", Arbitraries.oneOf(counts().map(Integer::longValue), Arbitraries.longs()),
                        (b, v) -> b.memoryMb(v)),
                call("queue", text(), (b, v) -> b.queue(v)),
                call("project", text(), (b, v) -> b.project(v)),
                call("sandbox", paths(), (b, v) -> b.sandbox(v)),
                call("accessSchema", text(), (b, v) -> b.accessSchema(v)),
                primitive("cleanup", Arbitraries.of(true, false), (b, v) -> b.cleanup(v)));
        return recipe(calls);
    }

    /** Some of the calls (a field left alone keeps the builder's default), in field order. */
    public static <B> Arbitrary<Recipe<B>> recipe(List<Arbitrary<Call<B>>> calls) {
        List<Arbitrary<Call<B>>> optional = calls.stream().map(a -> a.injectNull(0.25)).toList();
        return Combinators.combine(optional).as(l -> new Recipe<>(l.stream().filter(Objects::nonNull).toList()));
    }

    /** A setter of a reference type: null too. */
    public static <B, V> Arbitrary<Call<B>> call(String setter, Arbitrary<V> values,
                                                  java.util.function.BiConsumer<B, V> apply) {
        return primitive(setter, values.injectNull(0.1), apply);
    }

    public static <B, V> Arbitrary<Call<B>> primitive(String setter, Arbitrary<V> values,
                                                       java.util.function.BiConsumer<B, V> apply) {
        return values.map(v -> new Call<>(setter + "(" + Shown.value(v) + ")", b -> apply.accept(b, v)));
    }

    // ------------------------------------------------------------------------------------------------ values

    /** Any string: empty, blank, NUL anywhere, '/', '..', non-ASCII, over a megabyte. */
    public static Arbitrary<String> text() {
        return Arbitraries.frequencyOf(Tuple.of(7, smallText()), Tuple.of(1, huge()));
    }

    /** As {@link #text()}, but short. */
    public static Arbitrary<String> smallText() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of("", " ", "\0", "a\0b", "\0\0", "x\0", "/", "..", ".", "../x", "a/b",
                        "/bin/true", "STDOUT", "-c", "echo $HOME; exit 3", "A=B", "=", "\n", "\u00e9\u4e2d",
                        "\ud800", "pilot.0000", "local.localhost")),
                Tuple.of(3, Arbitraries.strings().all().ofMaxLength(12)));
    }

    /** Over a megabyte (two sizes only: shrinking a length byte by byte would cost a submission each). */
    public static Arbitrary<String> huge() {
        return Arbitraries.of(HUGE, 2 * HUGE).map(n -> "x".repeat(n));
    }

    static Arbitrary<String> executables() {
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of("/bin/true", "true", "/bin/sh")),
                Tuple.of(3, text()));
    }

    static Arbitrary<String> fileNames() {
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of("out.txt", "STDERR", "-", "a b")),
                Tuple.of(3, text()));
    }

    static Arbitrary<String> paths() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("/tmp", "/tmp/x/../..", "/tmp/\0", "relative", "$HOME/x", "${HOME}",
                        "~", "/", "//", "/etc", "/tmp/" + "d/".repeat(2000))),
                Tuple.of(2, text()));
    }

    /** Counts: the edge cases (0, 1, -1, MIN, MAX) and anything else. */
    public static Arbitrary<Integer> counts() {
        return Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.of(0, 1, 2, -1, Integer.MIN_VALUE, Integer.MAX_VALUE,
                        100_000)),
                Tuple.of(1, Arbitraries.integers()));
    }

    public static Arbitrary<Duration> durations() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1),
                        Duration.ofMinutes(10), Duration.ofSeconds(-600), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999),
                        Duration.ofSeconds(Long.MIN_VALUE), Duration.ofDays(365L * 1000))),
                Tuple.of(1, Arbitraries.longs().map(Duration::ofNanos)));
    }

    /** Lists with nulls among their entries sometimes. */
    public static <T> Arbitrary<List<T>> list(Arbitrary<T> elements) {
        return elements.injectNull(0.15).list().ofMaxSize(4).map(l -> (List<T>) new ArrayList<>(l));
    }

    /** Environments: null names and values, '=' and NUL in names, NUL in values, empty names, huge values. */
    public static Arbitrary<Map<String, String>> environment() {
        Arbitrary<String> names = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of("PATH", "A", "_X1", "", "A=B", "A\0", "\0", " ", "1X", "a b")),
                Tuple.of(1, text()));
        return Arbitraries.maps(names.injectNull(0.1), text().injectNull(0.15)).ofMaxSize(3)
                .map(m -> (Map<String, String>) new HashMap<>(m));
    }

    // ------------------------------------------------------------------------------------------------ display

    /** Short, escaped renderings for jqwik's report (a megabyte string shows as its length). */
    public static final class Shown {
        private Shown() {
        }

        public static String value(Object v) {
            if (v instanceof String s) {
                return text(s);
            }
            if (v instanceof List<?> l) { // List.of cannot hold a null: show what a caller would write then
                return (l.contains(null) ? "Arrays.asList(" : "List.of(")
                        + String.join(", ", l.stream().map(Shown::value).toList()) + ")";
            }
            if (v instanceof Map<?, ?> m) {
                List<String> entries = new ArrayList<>();
                m.forEach((k, x) -> entries.add(value(k) + ", " + value(x)));
                return "map(" + String.join(", ", entries) + ")";
            }
            if (v instanceof Object[] a) {
                return value(Arrays.asList(a));
            }
            return String.valueOf(v);
        }

        public static String text(String s) {
            if (s == null) {
                return "null";
            }
            if (s.length() > 60) {
                return "\"" + escape(s.substring(0, 12)) + "...\" (" + s.length() + " chars"
                        + (s.indexOf('\0') >= 0 ? ", with NUL" : "") + ")";
            }
            return "\"" + escape(s) + "\"";
        }

        private static String escape(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                if (c == '\0') {
                    b.append("\\0");
                } else if (c < 0x20 || c >= 0x7f) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            return b.toString();
        }
    }
}
