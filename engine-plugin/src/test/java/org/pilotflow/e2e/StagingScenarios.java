package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Flag;

/**
 * Units' staging directives end to end on any resource whose sandboxes this test also sees on its own file system (a
 * local pilot, or an {@code ssh://} / {@code slurm+ssh://} pilot on this machine's test daemons): what the agent did
 * is checked where it landed, independently of what the engine reports.
 *
 * <p>Use: {@link #prepareResource} writes the inputs into the directory that will be the pilot's {@code resource://},
 * the pilot is submitted with {@link #withSharedInput}, and the scenarios run on it (any order, one pilot).
 */
public final class StagingScenarios {

    /** The pilot's shared input, staged once into {@code pilot:///shared.txt}. */
    public static final String SHARED = "shared.txt";

    private static final Duration WITHIN = Duration.ofMinutes(3);
    private static final int DATA_BYTES = 200_000; // several of the agent's 64 KiB checksum reads

    private StagingScenarios() {
    }

    /** The files a scenario stages, in {@code resource://}, and the secret outside every root that none may reach. */
    public record Inputs(Path resource, Path outside, byte[] shared, byte[] data) {

        public Path secret() {
            return outside.resolve("secret.txt");
        }
    }

    /**
     * Writes the scenarios' inputs into {@code resource} (the pilot's {@code resource://}, made before the pilot is
     * submitted) and a secret into {@code outside} (a directory outside the resource and its valid roots), with a
     * link to it in {@code resource://}.
     */
    public static Inputs prepareResource(Path resource, Path outside) throws IOException {
        Files.createDirectories(resource);
        Files.createDirectories(outside);
        byte[] shared = ("shared input of " + resource.getFileName() + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(resource.resolve(SHARED), shared);
        Files.createDirectories(resource.resolve("inputs/tree/sub"));
        Files.writeString(resource.resolve("inputs/tree/a.txt"), "A\n");
        Files.writeString(resource.resolve("inputs/tree/sub/b.txt"), "B\n");
        byte[] data = new byte[DATA_BYTES];
        new java.util.Random(42).nextBytes(data);
        Files.write(resource.resolve("data.bin"), data);
        Files.writeString(resource.resolve("movable.txt"), "moved\n");
        Files.writeString(outside.resolve("secret.txt"), "secret\n");
        Files.createSymbolicLink(resource.resolve("leak"), outside.resolve("secret.txt"));
        return new Inputs(resource, outside.toRealPath(), shared, data);
    }

    /** The pilot description with the shared input staged once into its sandbox, its size and md5 checked. */
    public static ComputePilotDescription.Builder withSharedInput(ComputePilotDescription.Builder pilot, Inputs in)
            throws Exception {
        return pilot.inputStaging(List.of(StagingDirective.copy("resource:///" + SHARED, "pilot:///" + SHARED)
                .verified((long) in.shared().length, "md5:" + md5(in.shared()))));
    }

    /**
     * COPY (a directory RECURSIVE into parents it creates), LINK and MOVE with adler32 and md5 checked, output
     * staging of a DONE unit; a checksum or size mismatch, a missing source and escapes (a link out as a source, a
     * link out as a target's directory) failing their unit naming the directive with nothing written outside (a
     * link as the target is replaced, not written through);
     * {@code ..} and absolute paths refused when the description is built; NON_FATAL failures leaving the unit DONE
     * with the warnings in its stderr; output staging after a failed or canceled unit only with
     * {@code stageOnError}.
     */
    public static void unitDirectives(UnitManager umgr, ComputePilot pilot, Inputs in) throws Exception {
        Path resource = in.resource();
        Path pilotSandbox = Path.of(pilot.sandbox());
        long size = in.data().length;
        String adler32 = "adler32:" + adler32(in.data());
        String md5 = "md5:" + md5(in.data());
        String outside = in.outside().toString();

        refusedWhenBuilt();

        ComputeUnit copier = submit(umgr, unit("copier", "cat deep/er/tree/a.txt deep/er/tree/sub/b.txt"
                + " moved/here.txt; cmp data.bin data-link.bin && echo same; md5sum data.bin > result.txt")
                .inputStaging(List.of(
                        StagingDirective.copy("resource:///inputs/tree", "deep/er/tree")
                                .withFlags(Flag.CREATE_PARENTS, Flag.RECURSIVE),
                        StagingDirective.copy("resource:///data.bin", "data.bin").verified(size, adler32),
                        StagingDirective.link("resource:///data.bin", "data-link.bin").verified(size, md5),
                        StagingDirective.move("resource:///movable.txt", "moved/here.txt")))
                .outputStaging("result.txt > resource:///results/"));
        ComputeUnit linker = submit(umgr, unit("linker", "cat " + SHARED)
                .inputStaging(List.of(StagingDirective.link("pilot:///" + SHARED, SHARED))));
        ComputeUnit lenient = submit(umgr, unit("lenient", "cat " + SHARED + "; echo ran >&2")
                .inputStaging(List.of(
                        StagingDirective.copy("resource:///inputs/tree", "tree").withFlags(Flag.NON_FATAL),
                        StagingDirective.copy("resource:///data.bin", "no/such/dir/data.bin").withFlags(Flag.NON_FATAL),
                        StagingDirective.link("pilot:///" + SHARED, SHARED)))
                .outputStaging(List.of(StagingDirective.copy("never-written.txt", "pilot:///never/")
                        .withFlags(Flag.NON_FATAL))));
        ComputeUnit badMd5 = submit(umgr, unit("bad-md5", "true").inputStaging(List.of(
                StagingDirective.copy("resource:///data.bin", "data.bin").verified(size, "md5:" + "0".repeat(32)))));
        ComputeUnit badAdler32 = submit(umgr, unit("bad-adler32", "true").inputStaging(List.of(
                StagingDirective.link("resource:///data.bin", "data.bin").verified(null, "adler32:00000001"))));
        ComputeUnit badSize = submit(umgr, unit("bad-size", "true").inputStaging(List.of(
                StagingDirective.copy("resource:///data.bin", "data.bin").verified(size + 1, null))));
        ComputeUnit missing = submit(umgr, unit("missing", "true").inputStaging(List.of(
                StagingDirective.copy("pilot:///no-such.txt", ""))));
        ComputeUnit linkedOut = submit(umgr, unit("linked-out", "true").inputStaging(List.of(
                StagingDirective.link("resource:///leak", "leak.txt"))));
        ComputeUnit leakOut = submit(umgr, unit("leak-out", "ln -s " + in.secret() + " leak")
                .outputStaging("leak > pilot:///leaked.txt"));
        ComputeUnit writeOut = submit(umgr, unit("write-out", "ln -s " + outside + " escape; echo data > x.txt")
                .outputStaging(List.of(StagingDirective.copy("x.txt", "unit:///escape/x.txt"))));
        ComputeUnit replacesLink = submit(umgr, unit("replaces-link", "ln -s " + in.secret() + " victim.txt;"
                + " echo data > x.txt").outputStaging(List.of(StagingDirective.copy("x.txt", "unit:///victim.txt"))));
        ComputeUnit savesOnError = submit(umgr, unit("saves-on-error", "echo partial > log.txt; exit 3")
                .outputStaging("log.txt > pilot:///saved/").stageOnError(true));
        ComputeUnit savesOnCancel = submit(umgr, unit("saves-on-cancel", "echo partial > log.txt; exec sleep 300")
                .outputStaging("log.txt > pilot:///saved-on-cancel/").stageOnError(true));
        ComputeUnit losesOnError = submit(umgr, unit("loses-on-error", "echo partial > log.txt; exit 3")
                .outputStaging("log.txt > pilot:///not-saved/"));

        savesOnCancel.waitFor(WITHIN, UnitState.EXECUTING);
        Path partial = sandbox(savesOnCancel).resolve("log.txt");
        await(partial + " written", () -> Files.exists(partial));
        savesOnCancel.cancel();
        umgr.waitUnits(List.of(copier, linker, lenient, badMd5, badAdler32, badSize, missing, linkedOut, leakOut,
                writeOut, replacesLink, savesOnError, savesOnCancel, losesOnError).stream().map(ComputeUnit::uid)
                .toList(), List.of(), WITHIN);
        assertDone(copier);
        Path copierBox = sandbox(copier);
        assertThat(copier.stdout()).isEqualTo("A\nB\nmoved\nsame\n");
        assertThat(Files.isDirectory(copierBox.resolve("deep/er/tree/sub"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.isSymbolicLink(copierBox.resolve("deep/er/tree"))).as("a copy, not a link").isFalse();
        assertThat(Files.isRegularFile(copierBox.resolve("data.bin"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readSymbolicLink(copierBox.resolve("data-link.bin")))
                .isEqualTo(resource.resolve("data.bin").toRealPath());
        assertThat(resource.resolve("movable.txt")).as("MOVE took it away").doesNotExist();
        assertThat(Files.readString(resource.resolve("results/result.txt"))).startsWith(md5(in.data()) + " ");
        byte[] result = Files.readAllBytes(resource.resolve("results/result.txt")); // measured where it landed
        assertThat(copier.outputFiles()).containsExactly(new org.pilotflow.model.StagedFile(
                "resource:///results/result.txt", result.length, "adler32:" + adler32(result)));
        assertThat(copier.stateHistory()).extracting(StateEntry::state).contains(UnitState.STAGING_INPUT,
                UnitState.EXECUTING, UnitState.STAGING_OUTPUT, UnitState.DONE);

        assertDone(linker);
        assertThat(linker.stdout()).isEqualTo(new String(in.shared(), StandardCharsets.UTF_8));
        assertThat(Files.readSymbolicLink(sandbox(linker).resolve(SHARED)))
                .isEqualTo(pilotSandbox.resolve(SHARED).toRealPath());

        assertDone(lenient);
        Path lenientBox = sandbox(lenient);
        assertThat(lenient.stdout()).isEqualTo(new String(in.shared(), StandardCharsets.UTF_8));
        assertThat(lenient.stderr()).contains(
                "pilotflow: warning: input staging [0] 'resource:///inputs/tree > unit:///tree' (COPY, [NON_FATAL]) "
                        + "failed: source " + resource.resolve("inputs/tree") + " is a directory: COPY it with flag "
                        + "RECURSIVE (NON_FATAL: ignored)\n",
                "pilotflow: warning: input staging [1] 'resource:///data.bin > unit:///no/such/dir/data.bin' (COPY, "
                        + "[NON_FATAL]) failed: target directory " + lenientBox.resolve("no") + " does not exist "
                        + "(flag CREATE_PARENTS makes it) (NON_FATAL: ignored)\n",
                "ran\n",
                "pilotflow: warning: output staging [0] 'unit:///never-written.txt > pilot:///never/never-written.txt'"
                        + " (COPY, [NON_FATAL]) failed: source " + lenientBox.resolve("never-written.txt")
                        + " does not exist (NON_FATAL: ignored)\n");
        assertThat(pilotSandbox.resolve("never")).doesNotExist();
        assertThat(lenientBox.resolve("tree")).doesNotExist();
        assertThat(lenientBox.resolve("no")).doesNotExist();

        String copyData = "input staging [0] 'resource:///data.bin > unit:///data.bin' (COPY, [CREATE_PARENTS]) "
                + "failed: ";
        assertStagingFailed(badMd5, ErrorCode.STAGING_INPUT_FAILED, copyData + "checksum mismatch: expected md5:"
                + "0".repeat(32) + ", the file has " + md5);
        assertStagingFailed(badAdler32, ErrorCode.STAGING_INPUT_FAILED, "input staging [0] 'resource:///data.bin > "
                + "unit:///data.bin' (LINK, [CREATE_PARENTS]) failed: checksum mismatch: expected adler32:00000001, "
                + "the file has " + adler32);
        assertStagingFailed(badSize, ErrorCode.STAGING_INPUT_FAILED, copyData + "size mismatch: expected "
                + (size + 1) + " bytes, the file has " + size);
        for (ComputeUnit u : List.of(badMd5, badAdler32, badSize)) {
            assertThat(u.stateHistory()).extracting(StateEntry::state).as("%s never ran", u.uid())
                    .doesNotContain(UnitState.EXECUTING);
            try (Stream<Path> files = Files.list(sandbox(u))) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .as("nothing half-written in %s", u.uid()).noneMatch(n -> n.contains("data.bin"));
            }
        }

        assertStagingFailed(missing, ErrorCode.STAGING_INPUT_FAILED, "input staging [0] 'pilot:///no-such.txt > "
                + "unit:///no-such.txt' (COPY, [CREATE_PARENTS]) failed: source " + pilotSandbox.resolve("no-such.txt")
                + " does not exist");
        assertStagingFailed(linkedOut, ErrorCode.STAGING_INPUT_FAILED, "input staging [0] 'resource:///leak > "
                + "unit:///leak.txt' (LINK, [CREATE_PARENTS]) failed: source " + resource.resolve("leak")
                + " resolves to " + in.secret() + ", outside the sandboxes (" + resource + ")");
        assertThat(sandbox(linkedOut).resolve("leak.txt")).doesNotExist();
        assertStagingFailed(leakOut, ErrorCode.STAGING_OUTPUT_FAILED, "output staging [0] 'unit:///leak > "
                + "pilot:///leaked.txt' (TRANSFER, [CREATE_PARENTS]) failed: source " + sandbox(leakOut).resolve("leak")
                + " resolves to " + in.secret() + ", outside the sandboxes (" + resource + ")");
        assertThat(pilotSandbox.resolve("leaked.txt")).doesNotExist();
        assertStagingFailed(writeOut, ErrorCode.STAGING_OUTPUT_FAILED, "output staging [0] 'unit:///x.txt > "
                + "unit:///escape/x.txt' (COPY, [CREATE_PARENTS]) failed: target directory "
                + sandbox(writeOut).resolve("escape") + " resolves to " + outside + ", outside "
                + sandbox(writeOut));
        for (ComputeUnit u : List.of(leakOut, writeOut)) {
            assertThat(u.exitCode()).as("%s ran, its output staging failed", u.uid()).contains(0);
        }
        assertDone(replacesLink);
        Path victim = sandbox(replacesLink).resolve("victim.txt");
        assertThat(Files.isRegularFile(victim, LinkOption.NOFOLLOW_LINKS)).as("the link replaced, not written through")
                .isTrue();
        assertThat(victim).hasContent("data\n");
        assertThat(in.secret()).hasContent("secret\n");
        try (Stream<Path> files = Files.list(in.outside())) {
            assertThat(files).as("nothing written outside").containsExactly(in.secret());
        }

        assertThat(savesOnError.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
        assertThat(savesOnError.exitCode()).contains(3);
        assertThat(savesOnError.errorCode()).contains(ErrorCode.EXIT_CODE);
        assertThat(savesOnError.failureReason()).get().asString().startsWith("exit code 3");
        assertThat(pilotSandbox.resolve("saved/log.txt")).hasContent("partial\n");
        assertThat(savesOnCancel.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
        assertThat(pilotSandbox.resolve("saved-on-cancel/log.txt")).hasContent("partial\n");
        assertThat(losesOnError.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
        assertThat(losesOnError.exitCode()).contains(3);
        assertThat(pilotSandbox.resolve("not-saved")).doesNotExist();

        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
    }

    /** {@code ..} and absolute paths: refused when the description is built, naming the field; nothing submitted. */
    private static void refusedWhenBuilt() {
        assertRefused(() -> ComputeUnitDescription.builder().executable("/bin/true")
                .inputStaging(List.of(StagingDirective.link("pilot:///../../../etc/passwd", "passwd"))).build(),
                "inputStaging[0].source", "pilot:///../../../etc/passwd");
        assertRefused(() -> ComputeUnitDescription.builder().executable("/bin/true")
                .inputStaging(List.of(StagingDirective.copy("pilot:///" + SHARED, "/tmp/escaped.txt"))).build(),
                "inputStaging[0].target", "/tmp/escaped.txt");
        assertRefused(() -> ComputeUnitDescription.builder().executable("/bin/true")
                .outputStaging("out.txt > resource:///../escaped.txt").build(), "outputStaging[0].target",
                "resource:///../escaped.txt");
        assertRefused(() -> ComputePilotDescription.builder().resource("any").runtime(Duration.ofMinutes(1))
                .cores(1).inputStaging("session:///../../etc/passwd").build(), "inputStaging[0].source",
                "session:///../../etc/passwd");
        assertThat(Path.of("/tmp/escaped.txt")).doesNotExist();
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable build, String field,
                                      String value) {
        assertThatThrownBy(build).isInstanceOfSatisfying(BadParameter.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.value()).isEqualTo(value);
            assertThat(e.getMessage()).contains(field, "'" + value + "'", "expected");
        });
    }

    /**
     * Pilot-level shared input linked into {@code n} units: the pilot staged it once; each unit LINKs it,
     * {@code sha256sum}s it to its stdout and a file it stages out to {@code pilot:///sums/}; all DONE, each saw the
     * right bytes, the pilot sandbox holds the file once and each unit's entry is a symbolic link to it.
     */
    public static void sharedInputLinkedIntoUnits(UnitManager umgr, ComputePilot pilot, byte[] shared, int n)
            throws Exception {
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(unit("reader-" + i, "sha256sum " + SHARED + " | tee sum.txt")
                    .inputStaging(List.of(StagingDirective.link("pilot:///" + SHARED, SHARED)))
                    .outputStaging("sum.txt > pilot:///sums/" + i + ".txt") // one directory made by many at once
                    .build());
        }
        List<ComputeUnit> units = umgr.submitUnits(ds);
        List<UnitState> states = umgr.waitUnits(units.stream().map(ComputeUnit::uid).toList(), List.of(), WITHIN);
        assertThat(states).hasSize(n).containsOnly(UnitState.DONE);

        Path pilotSandbox = Path.of(pilot.sandbox());
        Path sharedFile = pilotSandbox.resolve(SHARED).toRealPath();
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(shared)) + "  "
                + SHARED + "\n";
        for (int i = 0; i < n; i++) {
            ComputeUnit u = units.get(i);
            assertThat(u.stdout()).as("%s's stdout", u.uid()).isEqualTo(expected);
            assertThat(pilotSandbox.resolve("sums/" + i + ".txt")).hasContent(expected);
            Path entry = sandbox(u).resolve(SHARED);
            assertThat(Files.isSymbolicLink(entry)).as("%s is a link", entry).isTrue();
            assertThat(Files.readSymbolicLink(entry)).isEqualTo(sharedFile);
        }
        try (Stream<Path> all = Files.walk(pilotSandbox)) { // links are not followed
            assertThat(all.filter(p -> p.getFileName().toString().equals(SHARED)
                    && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)))
                    .as("the shared input, once in the pilot sandbox").containsExactly(pilotSandbox.resolve(SHARED));
        }
        assertThat(pilot.log()).as("the agent staged the pilot's input once")
                .containsOnlyOnce("pilot input staging: 1 directives");
    }

    /**
     * The README's Data API example end to end: a local file staged in with the Data API (SFTP on an SSH pilot), a
     * unit LINKs it with its md5 checked, writes a result that its output staging puts in {@code pilot:///out/}, and
     * the Data API brings that back.
     */
    public static void dataApiInputLinkedIntoAUnit(org.pilotflow.api.DataClient data, UnitManager umgr, Path local)
            throws Exception {
        byte[] events = new byte[DATA_BYTES];
        new java.util.Random(7).nextBytes(events);
        Path file = Files.write(Files.createDirectories(local).resolve("events.dat"), events);
        List<org.pilotflow.api.FileSpec> in = data.stageIn(List.of(org.pilotflow.api.FileSpec.builder()
                .source(file.toString()).target("pilot:///in/").size(events.length).adler32(adler32(events)).build()));
        assertThat(in.get(0).failed()).as("%s", in.get(0).reason()).isFalse();
        ComputeUnit u = submit(umgr, unit("analysis", "sha256sum events.dat > histo.dat")
                .inputStaging(List.of(StagingDirective.link("pilot:///in/events.dat", "events.dat")
                        .verified((long) events.length, "md5:" + md5(events))))
                .outputStaging("histo.dat > pilot:///out/"));
        assertDone(u);
        List<org.pilotflow.api.FileSpec> out = data.stageOut(List.of(
                org.pilotflow.api.FileSpec.of("pilot:///out/histo.dat", local.resolve("results") + "/")));
        assertThat(out.get(0).failed()).as("%s", out.get(0).reason()).isFalse();
        assertThat(local.resolve("results/histo.dat")).hasContent(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(events)) + "  events.dat\n");
    }

    /**
     * Cancels a pilot described with {@code cleanup(true)} after the scenarios ran: its sandbox goes, and nothing its
     * units' links lead to (the resource's inputs, the secret outside, a directory outside) goes with it.
     */
    public static void cleanupRemovesTheSandboxNotWhatItsLinksLeadTo(ComputePilot pilot, Inputs in)
            throws Exception {
        Path sandbox = Path.of(pilot.sandbox());
        try (Stream<Path> all = Files.walk(sandbox)) {
            assertThat(all.filter(Files::isSymbolicLink)).as("links in %s to follow or not", sandbox).isNotEmpty();
        }
        pilot.cancel();
        assertThat(pilot.waitFor(WITHIN)).isEqualTo(PilotState.CANCELED);
        // the agent removes it after the engine acknowledged its last reports, i.e. just after CANCELED
        await(sandbox + " removed", () -> !Files.exists(sandbox, LinkOption.NOFOLLOW_LINKS));
        assertThat(in.secret()).hasContent("secret\n");
        assertThat(in.resource().resolve(SHARED)).hasBinaryContent(in.shared());
        assertThat(in.resource().resolve("data.bin")).hasBinaryContent(in.data());
        assertThat(in.resource().resolve("inputs/tree/sub/b.txt")).hasContent("B\n");
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static ComputeUnitDescription.Builder unit(String name, String script) {
        return ComputeUnitDescription.builder().name(name).executable("/bin/sh").arguments("-c", script);
    }

    private static ComputeUnit submit(UnitManager umgr, ComputeUnitDescription.Builder d) {
        return umgr.submitUnit(d.build());
    }

    private static void assertDone(ComputeUnit u) {
        assertThat(u.waitFor(WITHIN)).as("%s: %s", u.uid(), u.failureReason()).isEqualTo(UnitState.DONE);
    }

    private static void assertStagingFailed(ComputeUnit u, ErrorCode code, String reasonStart) {
        assertThat(u.waitFor(WITHIN)).as("%s", u.uid()).isEqualTo(UnitState.FAILED);
        assertThat(u.errorCode()).as("%s", u.uid()).contains(code);
        assertThat(u.failureReason()).get().asString().as("%s", u.uid()).startsWith(reasonStart);
    }

    private static Path sandbox(ComputeUnit u) {
        return Path.of(u.sandbox().orElseThrow(() -> new AssertionError(u.uid() + " has no sandbox")));
    }

    /** The same paths, kinds, bytes, link targets and owner-execute bits in both trees. */
    public static void assertSameTree(Path expected, Path actual) throws java.io.IOException {
        List<String> want;
        List<String> got;
        try (var a = Files.walk(expected); var b = Files.walk(actual)) {
            want = a.map(p -> expected.relativize(p).toString()).sorted().toList();
            got = b.map(p -> actual.relativize(p).toString()).sorted().toList();
        }
        assertThat(got).as("the paths under %s", actual).isEqualTo(want);
        for (String rel : want) {
            Path e = expected.resolve(rel);
            Path g = actual.resolve(rel);
            assertThat(Files.isSymbolicLink(g)).as("%s is a link", g).isEqualTo(Files.isSymbolicLink(e));
            if (Files.isSymbolicLink(e)) {
                assertThat(Files.readSymbolicLink(g)).as("%s's target", g).isEqualTo(Files.readSymbolicLink(e));
            } else if (Files.isDirectory(e)) {
                assertThat(g).isDirectory();
            } else {
                assertThat(Files.mismatch(e, g)).as("%s's bytes", g).isEqualTo(-1L);
                assertThat(Files.isExecutable(g)).as("%s executable", g).isEqualTo(Files.isExecutable(e));
            }
        }
    }

    /** No temporary archive (an engine's or the tool's) and no half-unpacked sibling anywhere under {@code dir}. */
    public static void assertNoArchiveLeft(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("under %s", dir)
                    .noneMatch(n -> n.contains(".tarball-") || n.contains(".staging-"));
        }
    }

    static String adler32(byte[] bytes) {
        Adler32 a = new Adler32();
        a.update(bytes);
        return String.format("%08x", a.getValue());
    }

    static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
