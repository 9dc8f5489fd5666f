package org.pilotflow.internal.resources;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.model.archive.TarballTool;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceAdapters;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.SandboxStep;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.internal.data.DirectiveTransfers;
import org.pilotflow.internal.data.FileMover;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.BatchSystemInfo;
import org.pilotflow.resource.config.BatchSystemProvider;
import org.pilotflow.resource.config.LaunchMethod;
import org.pilotflow.resource.config.LaunchMethods;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceRegistry;
import org.pilotflow.resource.config.ResourceSchema;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.ssh.SshConnections;

/**
 * This node's view of the resources: the resource configurations, the SSH connections (and credentials, which
 * live in this node's memory only), and the adapters that start, watch and end pilots' jobs.
 */
public final class Resources implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Resources.class);

    private final PilotFlowConfig config;
    private final ResourceRegistry registry = ResourceRegistry.withBuiltIns();
    private final SshConnections shells = SshConnections.builder().build();
    private final ResourceAdapters adapters = new ResourceAdapters(shells);

    public Resources(PilotFlowConfig config) {
        this.config = config;
        Path userDir = config.resourceDirectory() != null ? config.resourceDirectory()
                : Path.of(System.getProperty("user.home"), ".pilotflow", "resources");
        if (config.resourceDirectory() != null || Files.isDirectory(userDir)) {
            registry.loadDirectory(userDir);
        }
        configureAdapters();
    }

    public ResourceRegistry registry() {
        return registry;
    }

    public SshConnections shells() {
        return shells;
    }

    public ResourceAdapters adapters() {
        return adapters;
    }

    /**
     * Tells the adapters about every resource entry (job manager environments), so jobs of earlier runs can be
     * watched and killed; call again after loading more entries.
     */
    public void configureAdapters() {
        for (String label : registry.labels()) {
            adapters.configure(registry.get(label));
        }
    }

    /** The adapter that started (or will start) the pilot's job. */
    public ResourceAdapter adapterOf(PilotRecord p) throws ResourceException {
        if (p.job() != null) {
            return adapters.forHandle(JobHandle.parse(p.job()));
        }
        return adapters.forEndpoint(schemaOf(p).jobManagerEndpoint().uri());
    }

    private ResourceConfig resourceOf(PilotRecord p) throws ResourceException {
        try {
            return registry.get(p.description().resource());
        } catch (RuntimeException e) {
            throw new ResourceException("resource " + p.description().resource() + " is no longer configured on this"
                    + " engine node: " + e.getMessage());
        }
    }

    private ResourceSchema schemaOf(PilotRecord p) throws ResourceException {
        return resourceOf(p).schema(p.description().accessSchema());
    }

    /**
     * What an adapter needs to start the pilot's job: the agent's configuration (with the secret and the agent
     * endpoints of every live engine node) and the batch parameters.
     */
    public PilotLaunch launchOf(PilotRecord p, String secret, List<String> endpoints, int enginePort)
            throws ResourceException {
        ComputePilotDescription d = p.description();
        ResourceConfig rc = resourceOf(p);
        adapters.configure(rc); // an entry added after the start: its job manager settings reach the adapter
        ResourceSchema schema = rc.schema(d.accessSchema());
        LaunchMethods methods = rc.launchMethods();
        Map<String, Map<String, Object>> methodOptions = new LinkedHashMap<>();
        methods.options().forEach((m, o) -> methodOptions.put(m.name(), o));
        AgentConfig agent = new AgentConfig(p.sessionId(), p.uid(), endpoints, false, secret, p.sandbox(),
                d.cores(), d.gpus(), d.runtime().toSeconds(), config.heartbeatInterval().toMillis(),
                config.orphanTimeout().toMillis(), methods.order().stream().map(LaunchMethod::name).toList(), methodOptions,
                d.cleanup(), config.memorySampleInterval().toMillis()).withInputStaging(d.inputStaging().stream()
                .filter(x -> !x.onClient()).toList()); // client:// is the engine's, before the agent starts
        BatchSystemProvider batch = BatchSystemCatalog.installed().providerFor(schema.jobManagerEndpoint().type());
        if (batch != null) {
            BatchSystemInfo.NodeListSource nodeList = batch.info().nodeList();
            agent = agent.withNodeList(new AgentConfig.NodeList(nodeList.variable(), nodeList.format()));
        }
        String java = javaOf(rc, schema);
        return new PilotLaunch(agent, rc, schema, p.sandbox(), d.sandbox() != null, java, d.runtime(),
                d.queue() != null ? d.queue() : rc.defaultQueue().orElse(null), d.project(),
                (int) Math.min(Integer.MAX_VALUE, d.memoryMb()), enginePort, clientInput(p));
    }

    /** On this host the engine's own java serves the agent; elsewhere the resource says where java is. */
    private static String javaOf(ResourceConfig rc, ResourceSchema schema) {
        return schema.access() == Access.LOCAL && "java".equals(rc.agentJava())
                ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : rc.agentJava();
    }

    /**
     * Where the pilot's TARBALLs from and to the client are packed and unpacked on its resource: in this JVM when
     * the shell is this host's, else the agent jar's {@link TarballTool} run by the resource's java over the shell
     * (one exec on the pilot's connection; each argument one word, see {@link ResourceShell#run}).
     */
    private FileMover.TarballRunner tarballRunner(ResourceShell shell, PilotRecord p) {
        if (shell instanceof LocalShell) {
            return TarballTool::run;
        }
        return args -> {
            ResourceConfig rc = resourceOf(p);
            List<String> argv = new ArrayList<>(List.of(javaOf(rc, schemaOf(p)), "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", AgentStaging.agentJar(shell, rc), TarballTool.class.getName()));
            argv.addAll(args);
            long t0 = System.nanoTime();
            CommandResult r = shell.run(argv, Map.of(), TARBALL_TOOL_TIMEOUT);
            LOG.debug("pilot {}: TarballTool {} on {}: exit {} in {} ms", p.uid(), args.get(0), shell.target(),
                    r.exitCode(), (System.nanoTime() - t0) / 1_000_000);
            if (r.ok()) {
                return null;
            }
            String why = TarballTool.failureIn(r.stderr());
            return why != null ? why : "the tarball tool on " + shell.target() + " failed: " + r.describe();
        };
    }

    /** A bound on one pack or unpack on the resource (a large tree on a slow file system). */
    private static final Duration TARBALL_TOOL_TIMEOUT = Duration.ofHours(1);

    /**
     * RADICAL-Pilot's pilot staging from the client: the engine moves the files into the new sandbox during the
     * launch (the Data API's mover on the launch's shell: SFTP for a remote resource), before the agent starts.
     * A failure that is not NON_FATAL fails the launch naming the directive.
     */
    private SandboxStep clientInput(PilotRecord p) {
        List<StagingDirective> list = p.description().inputStaging();
        if (list.stream().noneMatch(StagingDirective::onClient)) {
            return SandboxStep.NONE;
        }
        return (shell, sandbox, roots) -> {
            FileMover mover = new FileMover(shell, p.uid(), sandbox, roots).quiet()
                    .withTarballs(tarballRunner(shell, p));
            for (int i = 0; i < list.size(); i++) {
                StagingDirective d = list.get(i);
                if (!d.onClient()) {
                    continue;
                }
                String problem;
                try {
                    problem = DirectiveTransfers.in(mover, config.clientDirectory(), d, d.targetLocation().toString());
                } catch (org.pilotflow.api.IncorrectState e) {
                    throw new ResourceException(e.getMessage(), e);
                }
                if (problem != null) {
                    String msg = "pilot input staging [" + i + "] " + d.describe() + " failed: " + problem;
                    if (!d.has(StagingDirective.Flag.NON_FATAL)) {
                        throw new ResourceException(msg);
                    }
                    LOG.warn("pilot {}: {} (NON_FATAL: ignored)", p.uid(), msg);
                }
            }
        };
    }

    /**
     * The last {@code lines} lines of a pilot's agent.log, read where its sandbox is (over SFTP for SSH
     * resources); empty when there is no job yet or the log cannot be read.
     */
    public String agentLog(PilotRecord p, int lines) {
        if (p.job() == null) {
            return "";
        }
        try {
            JobHandle h = JobHandle.parse(p.job());
            byte[] tail = adapters.forHandle(h).shell(h).readTail(p.sandbox() + "/" + AgentStaging.AGENT_LOG,
                    64 * 1024);
            if (tail == null) {
                return "";
            }
            List<String> all = List.of(new String(tail, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (ResourceException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Copies {@code remotePath} (a file in a pilot's sandbox, on its resource) to {@code local}, at most its last
     * {@code maxBytes}; false when there is no job yet or the file is not there (a cleaned-up sandbox, a unit that
     * never started).
     *
     * @throws ResourceException when the resource cannot be reached or the local file not written
     */
    public boolean fetch(PilotRecord p, String remotePath, Path local, long maxBytes) throws ResourceException {
        if (p.job() == null) {
            return false;
        }
        JobHandle h = JobHandle.parse(p.job());
        org.pilotflow.resource.shell.ResourceShell shell = adapters.forHandle(h).shell(h);
        if (!shell.exists(remotePath)) {
            return false;
        }
        byte[] content = shell.readTail(remotePath, maxBytes);
        if (content == null) {
            return false;
        }
        try {
            java.nio.file.Files.createDirectories(local.getParent());
            java.nio.file.Files.write(local, content);
            return true;
        } catch (java.io.IOException e) {
            throw new ResourceException("cannot write " + local + ": " + e.getMessage(), e);
        }
    }

    /**
     * The shell of the machine a resource's default schema reaches (its job manager's host), for pilot-data there:
     * this host, or the resource's shared SSH connection (made now if there is none).
     *
     * @throws ResourceException when the resource is not configured or cannot be reached
     */
    public org.pilotflow.resource.shell.ResourceShell shellOf(String resource) throws ResourceException {
        ResourceConfig rc;
        try {
            rc = registry.get(resource);
        } catch (RuntimeException e) {
            throw new ResourceException("resource " + resource + " is not configured on this engine node: "
                    + e.getMessage());
        }
        return shells.forEndpoint(rc.jobManagerEndpoint(), rc.hostKeyChecking());
    }

    /** Whether a resource's default schema is on this machine (an unknown one counts as local). */
    public boolean isLocal(String resource) {
        try {
            return registry.get(resource).isLocal();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** The valid roots of a resource as the machine behind {@code shell} sees them. */
    public List<String> validRoots(String resource, org.pilotflow.resource.shell.ResourceShell shell)
            throws ResourceException {
        return AgentStaging.validRoots(shell, registry.get(resource));
    }

    /** Where a launched pilot's files are: the shell of its resource, its sandbox and the resource's valid roots. */
    public record PilotFiles(org.pilotflow.resource.shell.ResourceShell shell, String sandbox,
                             List<String> validRoots, FileMover.TarballRunner tarballs) {

        /** A mover of the pilot's files, TARBALLs included. */
        public FileMover mover(String pilotUid) {
            return new FileMover(shell, pilotUid, sandbox, validRoots).withTarballs(tarballs);
        }
    }

    /**
     * The shell, sandbox and valid roots of a pilot whose job was submitted (over SSH: the connection its job
     * uses); empty when it has no job or sandbox yet.
     *
     * @throws ResourceException when its resource cannot be reached
     */
    public java.util.Optional<PilotFiles> filesOf(PilotRecord p) throws ResourceException {
        if (p.job() == null || p.sandbox() == null) {
            return java.util.Optional.empty();
        }
        JobHandle h = JobHandle.parse(p.job());
        org.pilotflow.resource.shell.ResourceShell shell = adapters.forHandle(h).shell(h);
        return java.util.Optional.of(new PilotFiles(shell, p.sandbox(), AgentStaging.validRoots(shell,
                resourceOf(p)), tarballRunner(shell, p)));
    }

    @Override
    public void close() {
        shells.close(); // agents behind an SSH tunnel lose this node now, as direct ones do with its endpoint
    }
}
