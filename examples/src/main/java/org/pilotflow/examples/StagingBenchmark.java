package org.pilotflow.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.DataClient;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.ssh.SshCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staging throughput of the Data API (issue 9) against the usual tools, measured in the same run on the same files:
 * {@code N} small files (files/s) and one large file (MB/s), stage-in and stage-out, through a local pilot against
 * {@code cp}, and over SFTP to an {@code ssh://} pilot against {@code scp} and {@code sftp -b}. The Data API also
 * computes each file's adler32 (and checks size on arrival); the tools do not. Prints one table of medians.
 *
 * <pre>
 * test-backends/sshd.sh start /tmp/pilotflow-test-backends/sshd
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.StagingBenchmark \
 *     -Dexec.args="--sshd-env /tmp/pilotflow-test-backends/sshd/sshd.env"
 * </pre>
 *
 * With {@code --units N} (200; 0 for none) it also runs N units whose input comes from the client and whose output
 * goes back (the engine's client staging), against the same units without staging, per pilot.
 *
 * <p>Options: {@code --files N} (1000), {@code --small-bytes B} (4096), {@code --large-mb M} (200), {@code --repeats R}
 * (3), {@code --sshd-env FILE} (the env file {@code test-backends/sshd.sh} writes: SSH_HOST, SSH_PORT, SSH_USER,
 * SSH_KEY, SSH_KNOWN_HOSTS, SSHD_LOG; without it the SFTP rows are skipped; the SSH host must be this machine, whose
 * file system the benchmark cleans between repeats), {@code --work DIR} (a new temporary directory, deleted at the end).
 */
public final class StagingBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(StagingBenchmark.class);

    private StagingBenchmark() {
    }

    record Options(int files, int smallBytes, int largeMb, int repeats, Path sshdEnv, Path work, int units) {
        static Options parse(String... args) {
            int units = 200;
            int files = 1000;
            int smallBytes = 4096;
            int largeMb = 200;
            int repeats = 3;
            Path sshdEnv = null;
            Path work = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--files" -> files = Examples.intOption(args, i++, "--files");
                    case "--small-bytes" -> smallBytes = Examples.intOption(args, i++, "--small-bytes");
                    case "--large-mb" -> largeMb = Examples.intOption(args, i++, "--large-mb");
                    case "--repeats" -> repeats = Examples.intOption(args, i++, "--repeats");
                    case "--sshd-env" -> sshdEnv = Path.of(value(args, i++, "--sshd-env"));
                    case "--work" -> work = Path.of(value(args, i++, "--work"));
                    case "--units" -> units = Examples.intOption(args, i++, "--units");
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; expected --files,"
                            + " --small-bytes, --large-mb, --repeats, --sshd-env, --work, --units");
                }
            }
            return new Options(files, smallBytes, largeMb, repeats, sshdEnv, work, units);
        }

        private static String value(String[] args, int i, String name) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i + 1];
        }
    }

    /** One row: the Data API's median and each baseline's, in the row's unit (files/s or MB/s). */
    record Row(String measurement, double dataApi, Map<String, Double> baselines) {
        double bestBaseline() {
            return baselines.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    /** What a run measured. */
    record Result(List<Row> rows, String sftpSkipped, long dataApiLogins, String loadStart, String loadEnd) {
    }

    public static void main(String[] args) throws Exception {
        run(Options.parse(args), System.out);
    }

    static Result run(Options o, PrintStream out) throws Exception {
        boolean tempWork = o.work() == null;
        Path work = tempWork ? Files.createTempDirectory("pilotflow-staging-bench")
                : o.work().toAbsolutePath().normalize();
        String loadStart = PeerBenchmark.loadAverage();
        try {
            Path client = Files.createDirectories(work.resolve("client"));
            List<Path> small = new ArrayList<>();
            Path smallDir = Files.createDirectories(client.resolve("small"));
            Random r = new Random(1);
            for (int i = 0; i < o.files(); i++) {
                byte[] b = new byte[o.smallBytes()];
                r.nextBytes(b);
                small.add(Files.write(smallDir.resolve(String.format("f%05d.dat", i)), b));
            }
            Path large = client.resolve("large.dat");
            try (OutputStream os = Files.newOutputStream(large)) {
                byte[] b = new byte[1 << 20];
                for (int i = 0; i < o.largeMb(); i++) {
                    r.nextBytes(b);
                    os.write(b);
                }
            }
            List<Row> rows = new ArrayList<>();
            long logins = 0;
            String skipped = null;
            Map<String, String> sshd = o.sshdEnv() == null ? null : readEnv(o.sshdEnv());
            // client:// of the units' staging directives is the client directory of this run
            try (Session session = Session.builder().config(org.pilotflow.plugin.PilotFlowConfig.builder()
                    .workDirectory(work).clientDirectory(client).build()).create()) {
                ComputePilot local = Examples.startLocalPilot(session, session.createPilotManager(), work, 1,
                        Duration.ofHours(1));
                Side cp = new Side("cp", List.of("cp"), "", Path.of(local.sandbox()));
                rows.addAll(measure(o, "local", session.dataClient(local), Path.of(local.sandbox()), small, large,
                        client, List.of(cp), null));
                if (o.units() > 0) {
                    rows.add(unitsRow(o, "local", session, local, small, client));
                }
                if (sshd == null) {
                    skipped = "no --sshd-env";
                } else {
                    ComputePilot remote = sshPilot(session, sshd, work);
                    Path sandbox = Path.of(remote.sandbox()); // the SSH host is this machine
                    String at = sshd.get("SSH_USER") + "@" + sshd.get("SSH_HOST") + ":";
                    List<String> sshOpts = List.of("-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                            "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + sshd.get("SSH_KNOWN_HOSTS"),
                            "-i", sshd.get("SSH_KEY"), "-F", "/dev/null");
                    List<String> scp = new ArrayList<>(List.of("scp", "-q", "-P", sshd.get("SSH_PORT")));
                    scp.addAll(sshOpts);
                    List<String> sftp = new ArrayList<>(List.of("sftp", "-q", "-P", sshd.get("SSH_PORT")));
                    sftp.addAll(sshOpts);
                    Path sshdLog = Path.of(sshd.get("SSHD_LOG"));
                    long[] loginCount = {0};
                    rows.addAll(measure(o, "SFTP", session.dataClient(remote), sandbox, small, large, client,
                            List.of(new Side("scp", scp, at, sandbox), new Side("sftp -b", sftp, at, sandbox)),
                            new LoginCounter(sshdLog, loginCount)));
                    logins = loginCount[0];
                    if (o.units() > 0) {
                        long before = new LoginCounter(sshdLog, loginCount).now();
                        rows.add(unitsRow(o, "SFTP", session, remote, small, client));
                        logins += new LoginCounter(sshdLog, loginCount).now() - before;
                    }
                }
            }
            Result res = new Result(rows, skipped, logins, loadStart, PeerBenchmark.loadAverage());
            print(out, o, res);
            return res;
        } finally {
            if (tempWork) {
                Benchmark.deleteTree(work);
            }
        }
    }

    /** Counts sshd's accepted logins around the Data API's transfers. */
    record LoginCounter(Path sshdLog, long[] total) {
        long now() throws IOException {
            try (var lines = Files.lines(sshdLog)) {
                return lines.filter(l -> l.contains("Accepted publickey")).count();
            }
        }
    }

    /** A baseline tool: its argv prefix, the host prefix of remote paths ({@code user@host:}), the sandbox. */
    record Side(String name, List<String> argv, String at, Path sandbox) {
    }

    private static ComputePilot sshPilot(Session session, Map<String, String> sshd, Path work) throws IOException {
        Path root = Files.createDirectories(work.resolve("ssh"));
        String url = sshd.get("SSH_USER") + "@" + sshd.get("SSH_HOST") + ":" + sshd.get("SSH_PORT") + "/";
        session.resources().add(ResourceConfig.builder("bench.ssh")
                .schema("default", "ssh://" + url, "sftp://" + sshd.get("SSH_HOST") + "/")
                .coresPerNode(Runtime.getRuntime().availableProcessors())
                .defaultRemoteWorkdir(root + "/work")
                .validRoots(List.of(root.toString()))
                .agentJava(Path.of(System.getProperty("java.home"), "bin", "java").toString())
                .build());
        session.addContext(SshCredentials.builder().user(sshd.get("SSH_USER")).keyFile(Path.of(sshd.get("SSH_KEY")))
                .knownHosts(Path.of(sshd.get("SSH_KNOWN_HOSTS"))).build());
        ComputePilot p = session.createPilotManager().submitPilot(ComputePilotDescription.builder()
                .resource("bench.ssh").cores(1).runtime(Duration.ofHours(1)).sandbox(root.resolve("sandboxes")
                        .toString()).build());
        PilotState s = p.waitFor(Duration.ofSeconds(120), PilotState.ACTIVE, PilotState.FAILED);
        if (s != PilotState.ACTIVE) {
            throw new IllegalStateException("ssh pilot " + p.uid() + " is " + s + ": " + p.reason().orElse(""));
        }
        return p;
    }

    private static List<Row> measure(Options o, String mode, DataClient data, Path sandbox, List<Path> small,
            Path large, Path client, List<Side> tools, LoginCounter logins) throws Exception {
        double mb = o.largeMb();
        int n = small.size();
        Path back = client.resolve("back");
        Path smallIn = sandbox.resolve("small");
        List<Row> rows = new ArrayList<>();
        String sizeLabel = o.smallBytes() >= 1024 ? o.smallBytes() / 1024 + " KiB" : o.smallBytes() + " B";

        // Data API
        List<FileSpec> smallSpecs = small.stream().map(p -> FileSpec.of(p.toString(), "small/")).toList();
        List<FileSpec> smallBack = small.stream().map(p -> FileSpec.of("small/" + p.getFileName(),
                back.resolve("small").toString() + "/")).toList();
        Supplier<Void> cleanIn = () -> {
            if (Files.exists(smallIn)) {
                Benchmark.deleteTree(smallIn);
            }
            delete(sandbox.resolve("large.dat"));
            return null;
        };
        Supplier<Void> cleanBack = () -> {
            if (Files.exists(back)) {
                Benchmark.deleteTree(back);
            }
            return null;
        };
        double[] apiSmallIn = new double[o.repeats()];
        double[] apiSmallOut = new double[o.repeats()];
        double[] apiLargeIn = new double[o.repeats()];
        double[] apiLargeOut = new double[o.repeats()];
        for (int i = 0; i < o.repeats(); i++) {
            cleanIn.get();
            cleanBack.get();
            Files.createDirectories(back.resolve("small"));
            long before = logins == null ? 0 : logins.now();
            apiSmallIn[i] = n / timed(() -> check(data.stageIn(smallSpecs)));
            apiSmallOut[i] = n / timed(() -> check(data.stageOut(smallBack)));
            apiLargeIn[i] = mb / timed(() -> check(data.stageIn(List.of(FileSpec.of(large.toString(), "")))));
            apiLargeOut[i] = mb / timed(() -> check(data.stageOut(List.of(FileSpec.of("large.dat",
                    back.resolve("large.dat").toString())))));
            if (logins != null) {
                logins.total()[0] += logins.now() - before;
            }
            LOG.info("{} repeat {}: Data API {} files/s in, {} files/s out, {} MB/s in, {} MB/s out", mode, i + 1,
                    f(apiSmallIn[i]), f(apiSmallOut[i]), f(apiLargeIn[i]), f(apiLargeOut[i]));
        }
        Map<String, double[]> tSmallIn = new LinkedHashMap<>();
        Map<String, double[]> tSmallOut = new LinkedHashMap<>();
        Map<String, double[]> tLargeIn = new LinkedHashMap<>();
        Map<String, double[]> tLargeOut = new LinkedHashMap<>();
        for (Side t : tools) {
            double[] si = new double[o.repeats()];
            double[] so = new double[o.repeats()];
            double[] li = new double[o.repeats()];
            double[] lo = new double[o.repeats()];
            for (int i = 0; i < o.repeats(); i++) {
                cleanIn.get();
                cleanBack.get();
                Files.createDirectories(smallIn);
                Files.createDirectories(back.resolve("small"));
                String remoteSmall = t.at() + smallIn;
                String remoteLarge = t.at() + sandbox.resolve("large.dat");
                if (t.name().equals("sftp -b")) {
                    si[i] = n / sftpBatch(t, "put " + small.get(0).getParent() + "/* " + smallIn + "/");
                    so[i] = n / sftpBatch(t, "get " + smallIn + "/* " + back.resolve("small") + "/");
                    li[i] = mb / sftpBatch(t, "put " + large + " " + sandbox.resolve("large.dat"));
                    lo[i] = mb / sftpBatch(t, "get " + sandbox.resolve("large.dat") + " " + back.resolve("large.dat"));
                } else {
                    List<String> in = new ArrayList<>(t.argv());
                    small.forEach(p -> in.add(p.toString()));
                    in.add(remoteSmall + "/");
                    si[i] = n / process(in);
                    List<String> out = new ArrayList<>(t.argv());
                    if (t.at().isEmpty()) {
                        small.forEach(p -> out.add(smallIn.resolve(p.getFileName()).toString()));
                    } else {
                        out.add(remoteSmall + "/*");
                    }
                    out.add(back.resolve("small") + "/");
                    so[i] = n / process(out);
                    li[i] = mb / process(concat(t.argv(), large.toString(), remoteLarge));
                    lo[i] = mb / process(concat(t.argv(), remoteLarge, back.resolve("large.dat").toString()));
                }
                LOG.info("{} repeat {}: {} {} files/s in, {} files/s out, {} MB/s in, {} MB/s out", mode, i + 1,
                        t.name(), f(si[i]), f(so[i]), f(li[i]), f(lo[i]));
            }
            tSmallIn.put(t.name(), si);
            tSmallOut.put(t.name(), so);
            tLargeIn.put(t.name(), li);
            tLargeOut.put(t.name(), lo);
        }
        cleanIn.get();
        cleanBack.get();
        rows.add(row(mode + ": " + n + " x " + sizeLabel + " in, files/s", apiSmallIn, tSmallIn));
        rows.add(row(mode + ": " + n + " x " + sizeLabel + " out, files/s", apiSmallOut, tSmallOut));
        rows.add(row(mode + ": " + o.largeMb() + " MB in, MB/s", apiLargeIn, tLargeIn));
        rows.add(row(mode + ": " + o.largeMb() + " MB out, MB/s", apiLargeOut, tLargeOut));
        return rows;
    }

    /**
     * Units through the engine's client staging (RP's client-side TRANSFER: the unit model's transfer steps), each
     * taking one small file from the client and giving it back, against the same units without staging, on the same
     * pilot in the same run: what the engine-side staging costs a unit.
     */
    private static Row unitsRow(Options o, String mode, Session session, ComputePilot pilot, List<Path> small,
                                Path client) throws Exception {
        org.pilotflow.api.UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        int n = Math.min(o.units(), small.size());
        double[] staged = new double[o.repeats()];
        double[] plain = new double[o.repeats()];
        for (int i = 0; i < o.repeats(); i++) {
            int repeat = i;
            plain[i] = n / timed(() -> runUnits(umgr, n, k -> org.pilotflow.api.ComputeUnitDescription.builder()
                    .executable("/bin/true").build()));
            Path back = client.resolve("back-units");
            if (Files.exists(back)) {
                Benchmark.deleteTree(back);
            }
            staged[i] = n / timed(() -> runUnits(umgr, n, k -> {
                String name = small.get(k).getFileName().toString();
                return org.pilotflow.api.ComputeUnitDescription.builder().executable("/bin/true")
                        .inputStaging("small/" + name + " > in.dat")
                        .outputStaging("in.dat > back-units/" + repeat + "/" + name).build();
            }));
            LOG.info("{} repeat {}: {} units/s with client staging, {} units/s without", mode, i + 1, f(staged[i]),
                    f(plain[i]));
        }
        umgr.close(false);
        return row(mode + ": " + n + " units, client in+out, units/s", staged, Map.of("no staging", plain));
    }

    private static void runUnits(org.pilotflow.api.UnitManager umgr, int n,
                                 java.util.function.IntFunction<org.pilotflow.api.ComputeUnitDescription> unit) {
        List<org.pilotflow.api.ComputeUnitDescription> ds = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            ds.add(unit.apply(k));
        }
        List<String> uids = umgr.submitUnits(ds).stream().map(org.pilotflow.api.ComputeUnit::uid).toList();
        List<org.pilotflow.model.UnitState> end = umgr.waitUnits(uids, List.of(), Duration.ofMinutes(30));
        if (end.stream().anyMatch(s -> s != org.pilotflow.model.UnitState.DONE)) {
            throw new IllegalStateException("not every unit ended DONE: " + end.stream().distinct().toList());
        }
    }

    private static Row row(String what, double[] api, Map<String, double[]> tools) {
        Map<String, Double> b = new LinkedHashMap<>();
        tools.forEach((k, v) -> b.put(k, median(v)));
        return new Row(what, median(api), b);
    }

    private interface Timed {
        void run() throws Exception;
    }

    private static double timed(Timed t) throws Exception {
        long t0 = System.nanoTime();
        t.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void check(List<FileSpec> done) {
        done.stream().filter(FileSpec::failed).findFirst().ifPresent(f -> {
            throw new IllegalStateException("a transfer failed: " + f);
        });
    }

    private static double process(List<String> argv) throws Exception {
        return timed(() -> {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(argv.get(0) + " failed (exit " + p.exitValue() + "): " + output);
            }
        });
    }

    private static double sftpBatch(Side t, String command) throws Exception {
        Path batch = Files.createTempFile("sftp-batch", ".txt");
        try {
            Files.writeString(batch, command + "\n");
            List<String> argv = new ArrayList<>(t.argv());
            argv.add("-b");
            argv.add(batch.toString());
            argv.add(t.at().substring(0, t.at().length() - 1)); // user@host
            return process(argv);
        } finally {
            Files.deleteIfExists(batch);
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> l = new ArrayList<>(head);
        l.addAll(List.of(tail));
        return l;
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        for (String k : List.of("SSH_HOST", "SSH_PORT", "SSH_USER", "SSH_KEY", "SSH_KNOWN_HOSTS", "SSHD_LOG")) {
            if (!env.containsKey(k)) {
                throw new IllegalArgumentException("--sshd-env " + file + " has no " + k + " (expected the env file "
                        + "test-backends/sshd.sh writes)");
            }
        }
        return env;
    }

    private static String f(double x) {
        return x >= 100 ? String.format("%.0f", x) : String.format("%.1f", x);
    }

    private static void print(PrintStream out, Options o, Result r) {
        out.printf("Staging benchmark (issue 9): %d files of %d bytes, one file of %d MB, medians of %d repeat(s); "
                + "%d cores here, load average at start %s, at end %s%n", o.files(), o.smallBytes(), o.largeMb(),
                o.repeats(), Runtime.getRuntime().availableProcessors(), r.loadStart(), r.loadEnd());
        String fmt = "| %-40s | %10s | %-28s | %-16s |%n";
        out.printf(fmt, "measurement", "PilotFlow", "baseline (same files, same run)", "PilotFlow / best");
        out.printf(fmt, "-".repeat(40), "-".repeat(10), "-".repeat(28), "-".repeat(16));
        for (Row row : r.rows()) {
            StringBuilder b = new StringBuilder();
            row.baselines().forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(f(v)));
            out.printf(fmt, row.measurement(), f(row.dataApi()), b, String.format("%.2f", row.dataApi()
                    / row.bestBaseline()));
        }
        if (r.sftpSkipped() != null) {
            out.printf("SFTP rows: skipped (%s)%n", r.sftpSkipped());
        } else {
            out.printf("SSH logins during the Data API's SFTP transfers (sshd's log): %d%n", r.dataApiLogins());
        }
        out.flush();
    }
}
