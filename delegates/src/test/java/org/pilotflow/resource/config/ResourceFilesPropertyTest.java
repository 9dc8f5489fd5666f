package org.pilotflow.resource.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Garbage {@code resource_<site>.json} files: loading one either works or throws {@link ResourceConfigException}
 * naming the file (nothing else escapes: no NullPointerException, IllegalArgumentException, Jackson exception,
 * StackOverflowError...), and a failed load leaves the registry exactly as it was.
 */
class ResourceFilesPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The parser's own settings, to tell independently whether a file is syntactically valid JSON. */
    private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_YAML_COMMENTS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    // ShrinkingMode.FULL: shrinking runs on the test's thread (a bounded shrink that times out goes on in the
    // background, writing the same file names the next property uses)
    private static Path dir;
    private static Path goodFile;
    /** The built-in local entry and the documented remote example: the shapes garbage is made from. */
    private static ObjectNode localEntry;
    private static ObjectNode remoteEntry;

    @BeforeContainer
    static void prepare() throws IOException {
        dir = Files.createTempDirectory("pbt-resources");
        try (InputStream in = ResourceRegistry.class.getClassLoader()
                .getResourceAsStream("org/pilotflow/resource/config/resource_local.json")) {
            localEntry = (ObjectNode) JSON.readTree(in).get("localhost");
        }
        remoteEntry = (ObjectNode) JSON.readTree(Path.of("..", "docs", "resources", "resource_example.json")
                .toFile()).get("cluster");
        // every key of the format present, so each can be spoiled
        remoteEntry.put("heartbeat_interval", 10).put("heartbeat_timeout", 60.5)
                .put("sge_parallel_environment", "mpi");
        // a batch system's key needs an entry with that system's job manager
        remoteEntry.withObject("schemas").putObject("sge")
                .put("job_manager_endpoint", "sge+ssh://login.cluster.example.org/")
                .put("filesystem_endpoint", "sftp://login.cluster.example.org/");
        remoteEntry.withObject("launch_methods").putObject("SRUN").put("flags", "--exclusive");
        goodFile = Files.writeString(dir.resolve("resource_good.json"),
                JSON.writeValueAsString(NODES.objectNode().set("cluster", remoteEntry.deepCopy())));
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ properties

    @Property(tries = 500, shrinking = ShrinkingMode.FULL)
    void aFileEitherLoadsOrFailsNamingTheFileAndChangesNothing(@ForAll("anyFile") FileCase file) throws IOException {
        Registry before = Registry.withGoodEntry();
        Path f = file.writeTo(dir);
        List<String> loaded;
        try {
            loaded = before.registry.loadFile(f);
        } catch (ResourceConfigException e) {
            assertThat(e.file()).isEqualTo(f.toString());
            assertThat(e.getMessage()).startsWith(f + ": ");
            before.assertUnchanged();
            return;
        } // any other Throwable escapes and fails the property
        String site = file.fileName().substring("resource_".length(), file.fileName().length() - ".json".length());
        assertThat(loaded).allMatch(l -> l.startsWith(site + "."));
        assertThat(before.registry.labels()).containsAll(loaded).contains("good.cluster");
        assertThat(before.registry.get("good.cluster")).isSameAs(before.good);
    }

    /** A file that is not valid JSON names the line and column of the error (in the message too). */
    @Property(tries = 300, shrinking = ShrinkingMode.FULL)
    void aJsonSyntaxErrorNamesLineAndColumn(@ForAll("brokenJson") FileCase file) throws IOException {
        Path f = file.writeTo(dir);
        ResourceConfigException e = loadExpectingError(f);
        assertThat(e.key()).as("key of a syntax error").isNull();
        assertThat(e.line()).as("line, in: %s", e.getMessage()).isPositive();
        assertThat(e.column()).as("column, in: %s", e.getMessage()).isPositive();
        assertThat(e.getMessage()).contains("line " + e.line()).contains("column " + e.column());
    }

    /** A garbage file next to a good one in a directory: all or nothing, so the good one is not loaded either. */
    @Property(tries = 200, shrinking = ShrinkingMode.FULL)
    void aBadFileInADirectoryLoadsNothingFromTheDirectory(@ForAll("spoiledEntry") Spoiled bad) throws IOException {
        Path d = Files.createDirectories(dir.resolve("dir-" + System.nanoTime()));
        Files.writeString(d.resolve("resource_aaa.json"),
                JSON.writeValueAsString(NODES.objectNode().set("box", remoteEntry.deepCopy())));
        bad.writeTo(d);
        Registry before = Registry.withGoodEntry();
        try {
            List<String> loaded = before.registry.loadDirectory(d);
            assertThat(loaded).contains("aaa.box");
            assertThat(before.registry.labels()).contains("aaa.box", "good.cluster");
        } catch (ResourceConfigException e) {
            assertThat(e.file()).startsWith(d.toString());
            before.assertUnchanged();
        }
    }

    // ------------------------------------------------------------------------------------------------ the registry

    /** A registry as a deployment has it before a new file: the built-ins and one user entry. */
    private record Registry(ResourceRegistry registry, List<String> labels, ResourceConfig local,
                            ResourceConfig good) {
        static Registry withGoodEntry() {
            ResourceRegistry r = ResourceRegistry.withBuiltIns();
            r.loadFile(goodFile);
            return new Registry(r, r.labels(), r.get("local.localhost"), r.get("good.cluster"));
        }

        void assertUnchanged() {
            assertThat(registry.labels()).as("labels after a failed load").isEqualTo(labels);
            assertThat(registry.get("local.localhost")).as("built-in entry after a failed load").isSameAs(local);
            assertThat(registry.get("good.cluster")).as("user entry after a failed load").isSameAs(good);
        }
    }

    private static ResourceConfigException loadExpectingError(Path f) {
        try {
            ResourceRegistry.withBuiltIns().loadFile(f);
        } catch (ResourceConfigException e) {
            return e;
        }
        throw new AssertionError("loaded " + f + " although it is not valid JSON");
    }

    // ------------------------------------------------------------------------------------------------ generators

    @Provide
    Arbitrary<FileCase> anyFile() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, randomBytes()),
                Tuple.of(1, brokenJson()),
                Tuple.of(8, spoiledEntry()));
    }

    @Provide
    Arbitrary<FileCase> brokenJson() {
        return Arbitraries.oneOf(truncated(), strayCharacter(), parserLimit());
    }

    private Arbitrary<FileCase> randomBytes() {
        Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
        // byte-order marks and UTF-16/32 look-alikes steer the parser into its other decoders
        Arbitrary<byte[]> prefixed = Combinators.combine(
                Arbitraries.of(new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF}, new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0},
                        new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, new byte[] {(byte) 0xFE, (byte) 0xFF},
                        new byte[] {0, 0, 0, '{'}, new byte[] {0, '{'}, new byte[] {'{', 0}),
                any).as(ResourceFilesPropertyTest::concat);
        return Arbitraries.oneOf(any, prefixed).map(b -> new Raw("random bytes", "resource_fuzz.json", b));
    }

    /** A valid file cut short: never valid JSON (it ends in the closing brace of the top object). */
    private Arbitrary<FileCase> truncated() {
        String full = fileText(remoteEntry, "cluster");
        return Arbitraries.integers().between(0, full.length() - 1)
                .map(n -> new Raw("the valid file cut after " + n + " of " + full.length() + " chars",
                        "resource_fuzz.json", full.substring(0, n).getBytes(StandardCharsets.UTF_8)));
    }

    private Arbitrary<FileCase> strayCharacter() {
        String full = fileText(remoteEntry, "cluster");
        return Combinators.combine(Arbitraries.integers().between(0, full.length()),
                        Arbitraries.of(',', ':', '{', '}', '[', ']', '"', '\\', '\0', 'x', '/', '\'', ';', '\u00e9',
                                '\ufeff'))
                .as((at, c) -> new Raw("'" + Shown.escape(String.valueOf(c)) + "' inserted at " + at,
                        "resource_fuzz.json",
                        (full.substring(0, at) + c + full.substring(at)).getBytes(StandardCharsets.UTF_8)))
                .filter(r -> !isValidJson(r.content()))
                .map(r -> (FileCase) r);
    }

    /** Well-formed but beyond the parser's limits (nesting depth 1000, names of 50,000 chars, numbers of 1000 digits). */
    private Arbitrary<FileCase> parserLimit() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(900, 20_000).map(n -> new Raw("arrays nested " + n + " deep",
                        "resource_fuzz.json", ("{\"x\": " + "[".repeat(n) + "]".repeat(n) + "}")
                        .getBytes(StandardCharsets.UTF_8))),
                Arbitraries.integers().between(40_000, 100_000).map(n -> new Raw("a key of " + n + " chars",
                        "resource_fuzz.json", ("{\"" + "k".repeat(n) + "\": {}}").getBytes(StandardCharsets.UTF_8))),
                Arbitraries.integers().between(900, 5_000).map(n -> new Raw("a number of " + n + " digits",
                        "resource_fuzz.json", ("{\"x\": {\"cores_per_node\": " + "9".repeat(n) + "}}")
                        .getBytes(StandardCharsets.UTF_8))))
                .filter(r -> !isValidJson(r.content()))
                .map(r -> (FileCase) r);
    }

    @Provide
    Arbitrary<Spoiled> spoiledEntry() {
        // mostly one spoiled key: the parser stops at the first bad one, so more would hide the checks after it
        Arbitrary<List<Mutation>> mutations = Arbitraries.frequencyOf(
                Tuple.of(4, mutation().map(List::of)),
                Tuple.of(1, mutation().list().ofMinSize(2).ofMaxSize(4)));
        return Combinators.combine(Arbitraries.of(Base.values()), mutations).as(Spoiled::new);
    }

    private Arbitrary<Mutation> mutation() {
        Arbitrary<List<String>> path = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(ResourceConfigParser.KEYS).map(List::of)),
                // keys whose values are checked beyond their type (numbers, paths, URLs)
                Tuple.of(8, Arbitraries.of(List.of("cores_per_node"), List.of("gpus_per_node"),
                        List.of("heartbeat_interval"), List.of("heartbeat_timeout"), List.of("default_remote_workdir"),
                        List.of("valid_roots"), List.of("valid_roots", "0"),
                        List.of("schemas", "ssh", "job_manager_endpoint"),
                        List.of("schemas", "local", "filesystem_endpoint"),
                        List.of("job_manager_environment", "SLURM_CONF"))),
                Tuple.of(4, Arbitraries.of(
                        List.of("schemas", "ssh", "job_manager_endpoint"),
                        List.of("schemas", "ssh", "filesystem_endpoint"),
                        List.of("schemas", "local", "job_manager_endpoint"),
                        List.of("schemas", "local", "filesystem_endpoint"),
                        List.of("schemas", "ssh"),
                        List.of("schemas", "extra", "job_manager_endpoint"),
                        List.of("launch_methods", "order"),
                        List.of("launch_methods", "MPIEXEC"),
                        List.of("launch_methods", "FORK", "x"),
                        List.of("channel", "mode"),
                        List.of("job_manager_environment", "SLURM_CONF"),
                        List.of("valid_roots", "0"),
                        List.of("agent_jvm_args", "0"))),
                Tuple.of(2, keys().map(k -> List.of(k))), // unknown (or comment) keys
                Tuple.of(1, Arbitraries.just(List.<String>of()))) // the whole entry
                .withoutEdgeCases(); // else lists of mutations are mostly about the first key, "description"
        return path.flatMap(p -> valueFor(p).injectNull(0.05).map(v -> new Mutation(p, v))); // null: removed
    }

    /** Mostly values of the kind the key is near to (so the checks behind the type check are reached). */
    private static Arbitrary<JsonNode> valueFor(List<String> path) {
        String key = path.isEmpty() ? "" : path.get(path.size() - 1);
        String top = path.isEmpty() ? "" : path.get(0);
        Arbitrary<JsonNode> near = switch (key) {
            case "heartbeat_interval", "heartbeat_timeout" -> Arbitraries.frequencyOf(
                    Tuple.of(2, Arbitraries.of("1e400", "-1e400", "1e309", "1e-400", "0", "-1", "0.0000000001",
                            "9223372036.854775807", "9223372037", "4.5").map(ResourceFilesPropertyTest::number)),
                    Tuple.of(1, numbers()));
            case "cores_per_node", "gpus_per_node" ->
                    Arbitraries.frequencyOf(Tuple.of(4, numbers()),
                            Tuple.of(1, Arbitraries.of("auto", "AUTO", "4", "").map(NODES::textNode)));
            case "valid_roots", "agent_jvm_args", "pre_bootstrap", "mandatory_args", "order" ->
                    textList(key.equals("valid_roots") ? paths() : nastyString());
            case "default_remote_workdir" -> paths().map(NODES::textNode);
            case "job_manager_endpoint", "filesystem_endpoint" -> endpoints().map(NODES::textNode);
            default -> top.equals("valid_roots") ? paths().map(NODES::textNode) : nastyString().map(NODES::textNode);
        };
        return Arbitraries.frequencyOf(Tuple.of(4, near), Tuple.of(1, garbage()));
    }

    private static Arbitrary<JsonNode> textList(Arbitrary<String> elements) {
        return elements.map(NODES::textNode).map(n -> (JsonNode) n).injectNull(0.1)
                .map(n -> n == null ? NODES.nullNode() : n)
                .list().ofMaxSize(3).map(l -> {
                    ArrayNode a = NODES.arrayNode();
                    l.forEach(a::add);
                    return (JsonNode) a;
                });
    }

    static Arbitrary<String> paths() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of("", " ", "/", "//", "/..", "/a/../..", "..", ".", "relative/path", "~/x",
                        "$HOME", "${HOME}/x", "${TMPDIR}/../..", "$PILOTFLOW_UNDEFINED_VAR/x", "$", "${", "${}",
                        "$1/x", "/\u00e9t\u00e9", "/scratch/alice/../../etc")),
                Tuple.of(3, Arbitraries.of("$HOME\0/x", "/scratch\0/x", "/tmp/a\0", "\0", "$HOME/\0", "/\0")),
                Tuple.of(1, Arbitraries.integers().between(10_000, 300_000).map(n -> "/" + "x".repeat(n))));
    }

    static Arbitrary<String> endpoints() {
        return Arbitraries.of("fork://compute17.example.org/", "slurm+ssh://", "ftp://x", "fork://localhost/",
                "file://localhost/", "sftp://h/", "ssh://u@h:22/", "fork://localhost:99999/", "fork://u@localhost/",
                "fork://local host/", "fork://localhost/x?y#z", "slurm+ssh://[::1]/", "sge+ssh://h:-1/",
                "ssh://h:65536/", "ssh://%00/", "file:///", "sftp://", "://", "fork:", "FORK://LOCALHOST/",
                "\0fork://localhost/", "fork://localhost/\0", "fork://[zz]/", "ssh://h/..", "http://h/",
                "slurm://localhost", "sge://localhost/#", "ssh://h\0/", "sftp://u@h:0/", "", " ", "slurm+ssh://h/",
                "sftp://other/", "ssh://h:/", "ssh://:22/", "ssh://u@/", "slurm+ssh:///", "ssh:h", "ssh://h//");
    }

    /** Any JSON value, biased to what each key must not be. */
    static Arbitrary<JsonNode> garbage() {
        return Arbitraries.recursive(ResourceFilesPropertyTest::scalar, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> {
                    ArrayNode a = NODES.arrayNode();
                    l.forEach(a::add);
                    return (JsonNode) a;
                }),
                Arbitraries.maps(keys(), inner).ofMaxSize(4).map(m -> {
                    ObjectNode o = NODES.objectNode();
                    m.forEach(o::set);
                    return (JsonNode) o;
                })), 0, 3);
    }

    private static Arbitrary<JsonNode> scalar() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, nastyString().map(NODES::textNode)),
                Tuple.of(3, numbers()),
                Tuple.of(1, Arbitraries.of(NODES.nullNode(), NODES.booleanNode(true), NODES.booleanNode(false))));
    }

    private static Arbitrary<JsonNode> numbers() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.of("0", "-1", "-4", "1", "2147483647", "-2147483648", "2147483648",
                        "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                        "10000000000000000000000000000000000000000", "4.5", "-0.0", "1e-10", "0.0000000001", "1e308",
                        "1e309", "-1e309", "1e400", "-1e400", "1e-400", "9223372036.854775807", "9223372037")
                        .map(ResourceFilesPropertyTest::number)),
                Tuple.of(1, Arbitraries.longs().map(NODES::numberNode)),
                Tuple.of(1, Arbitraries.doubles().map(NODES::numberNode)));
    }

    /** A number node written exactly as {@code text} (1e400 stays 1E+400 in the file, as a person would write it). */
    private static JsonNode number(String text) {
        BigDecimal d = new BigDecimal(text);
        return d.scale() <= 0 && text.matches("-?[0-9]+") ? NODES.numberNode(new BigInteger(text)) : NODES.numberNode(d);
    }

    private static Arbitrary<String> keys() {
        return Arbitraries.frequencyOf(Tuple.of(20, nastyString().filter(k -> k.length() < 1000)),
                Tuple.of(1, Arbitraries.just("k".repeat(60_000)))); // beyond the parser's name-length limit
    }

    /** Strings that mean something to some key, or break something: NUL, variables, URLs, paths, long ones. */
    static Arbitrary<String> nastyString() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("", " ", "\0", "a\0b", "auto", "FORK", "SRUN", "MPIEXEC", "direct",
                        "ssh_tunnel", "local", "ssh", "extra", "project", "queue", "mpi", "my pe", "SLURM_CONF", "1X",
                        "A=B", "_comment", "cors_per_node", "x.y", "-", "\u00e9")),
                Tuple.of(1, paths()),
                Tuple.of(1, endpoints()),
                Tuple.of(3, Arbitraries.strings().all().ofMaxLength(12)),
                Tuple.of(1, Arbitraries.integers().between(10_000, 300_000).map(n -> "x".repeat(n) + "\0")));
    }

    // ------------------------------------------------------------------------------------------------ cases

    /** A file to load; its {@code toString} is what jqwik prints, so it is kept short and readable. */
    interface FileCase {
        String fileName();

        byte[] content();

        default Path writeTo(Path directory) throws IOException {
            return Files.write(directory.resolve(fileName()), content());
        }
    }

    record Raw(String what, String fileName, byte[] content) implements FileCase {
        @Override
        public String toString() {
            return what + " " + Shown.bytes(content);
        }
    }

    enum Base {
        /** The built-in entry under its own label: merged key by key onto the built-in. */
        LOCAL_OVERRIDE("resource_local.json", "localhost"),
        /** The built-in's shape under a new label. */
        LOCAL("resource_fuzz.json", "box"),
        /** The documented SLURM-over-SSH example. */
        REMOTE("resource_fuzz.json", "cluster");

        final String fileName;
        final String machine;

        Base(String fileName, String machine) {
            this.fileName = fileName;
            this.machine = machine;
        }

        ObjectNode entry() {
            return (this == REMOTE ? remoteEntry : localEntry).deepCopy();
        }
    }

    /** A valid entry with keys replaced (or removed) by garbage. */
    record Spoiled(Base base, List<Mutation> mutations) implements FileCase {
        @Override
        public String fileName() {
            return base.fileName;
        }

        @Override
        public byte[] content() {
            ObjectNode entry = base.entry();
            JsonNode value = entry;
            for (Mutation m : mutations) {
                value = m.applyTo(value);
            }
            ObjectNode root = NODES.objectNode();
            root.set(base.machine, value);
            try {
                return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return base + " entry with " + mutations;
        }
    }

    /**
     * Sets (value null: removes) the key at {@code path} of an entry; an empty path replaces the entry, a number
     * after a list key (valid_roots/0) is an element of that list.
     */
    record Mutation(List<String> path, JsonNode value) {
        JsonNode applyTo(JsonNode entry) {
            if (path.isEmpty()) {
                return value == null ? NODES.objectNode() : value;
            }
            ObjectNode root = entry instanceof ObjectNode o ? o : NODES.objectNode();
            JsonNode at = root;
            for (int i = 0; i < path.size() - 1; i++) {
                at = container((ObjectNode) at, path.get(i), path.get(i + 1));
            }
            String last = path.get(path.size() - 1);
            if (at instanceof ArrayNode a) {
                int i = Integer.parseInt(last);
                if (value == null) {
                    if (i < a.size()) {
                        a.remove(i);
                    }
                } else if (i < a.size()) {
                    a.set(i, value);
                } else {
                    a.add(value);
                }
            } else if (value == null) {
                ((ObjectNode) at).remove(last);
            } else {
                ((ObjectNode) at).set(last, value);
            }
            return root;
        }

        /** The object (or, before an index, the list) at {@code key}; made an empty object when it is neither. */
        private static JsonNode container(ObjectNode parent, String key, String next) {
            JsonNode c = parent.get(key);
            if (c instanceof ObjectNode || c instanceof ArrayNode && next.matches("[0-9]+")) {
                return c;
            }
            ObjectNode fresh = NODES.objectNode();
            parent.set(key, fresh);
            return fresh;
        }

        @Override
        public String toString() {
            return String.join("/", path) + (value == null ? " removed" : " = " + Shown.json(value));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static String fileText(ObjectNode entry, String machine) {
        try {
            return JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(NODES.objectNode().set(machine, entry)).strip();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isValidJson(byte[] content) {
        try {
            JsonNode n = STRICT.readTree(content);
            return n != null && !n.isMissingNode();
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Short, escaped renderings for jqwik's report (a 300,000-character value is shown by its length). */
    static final class Shown {
        private static final int MAX = 160;

        static String json(JsonNode n) {
            return cut(n.toString());
        }

        static String bytes(byte[] b) {
            StringBuilder s = new StringBuilder("(" + b.length + " bytes) ");
            String text = new String(b, StandardCharsets.ISO_8859_1);
            return s.append(cut(escape(text))).toString();
        }

        static String escape(String text) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < text.length() && s.length() <= MAX * 2; i++) {
                char c = text.charAt(i);
                if (c == '\0') {
                    s.append("\\0");
                } else if (c < 0x20 || c >= 0x7f) {
                    s.append(String.format("\\u%04x", (int) c));
                } else {
                    s.append(c);
                }
            }
            return s.toString();
        }

        private static String cut(String s) {
            return s.length() <= MAX ? s : s.substring(0, MAX) + "...(" + s.length() + " chars)";
        }
    }
}
