package org.pilotflow.agent.nodes;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.pilotflow.agent.BadConfigException;
import org.pilotflow.agent.scheduler.Node;
import org.pilotflow.model.wire.AgentConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the nodes of the pilot from the batch system's environment, so the agent can place units on every node of
 * its job, not only the one it runs on. The engine names the variable and its format
 * ({@link AgentConfig#nodeList()}, as the batch system's provider declares them); the formats are
 * {@link NodeListFormat} services: {@link SlurmHostlistFormat}, {@link PeHostfileFormat},
 * {@link HostPerCoreFileFormat}, {@link HostCorePairsFormat}. Without a declared list (fork, ssh), or when its
 * variable is not set (logged): this host alone, named {@code localhost}, with the config's cores and GPUs, whatever
 * batch variables the environment holds (an engine running inside a batch job passes its own on to a fork agent).
 *
 * <p>The pilot asked for {@code cfg.cores()} cores and never uses more: extra cores are trimmed from the last nodes
 * (nodes left without cores are dropped). When the batch system gave fewer, the agent uses what it got and logs a
 * warning. The config's GPUs all go to the first node: batch systems describe GPUs in many ways and the pilot
 * description has one GPU count, so this stays simple until a resource needs more.
 *
 * <p>Pure apart from reading the list files: the environment and this host's name are parameters.
 */
public final class NodeDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(NodeDiscovery.class);

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern CPUS_ITEM = Pattern.compile("(\\d{1,9})(?:\\(x(\\d{1,9})\\))?");

    private NodeDiscovery() {
    }

    /**
     * The pilot's nodes.
     *
     * @param env      the agent's environment ({@code System.getenv()})
     * @param thisHost the name of the host the agent runs on ({@link #localHostName})
     * @throws BadConfigException when a batch-system variable cannot be understood; the message names the variable
     *                            and its value
     */
    public static PilotNodes discover(Map<String, String> env, AgentConfig cfg, String thisHost)
            throws BadConfigException {
        AgentConfig.NodeList declared = cfg.nodeList();
        if (declared != null) {
            NodeListFormat format = NodeListFormats.require(declared.format(), "batch system: ");
            if (present(env, declared.variable())) {
                return fit(declared.variable(), format, format.read(declared.variable(), env), cfg,
                        format.self(env, thisHost));
            }
            LOG.warn("the batch system gives its node list in {}, which the job's environment does not set: using "
                    + "this host alone", declared.variable());
        }
        // fork and ssh: this host, whatever batch variables the environment inherited (an engine inside a job)
        Node local = Node.localhost(cfg.cores(), cfg.gpus());
        return new PilotNodes(PilotNodes.THIS_HOST, null, List.of(local), Optional.of(local.name()));
    }

    /**
     * This host's name: the kernel's ({@code /proc/sys/kernel/hostname}, no DNS involved), else the resolver's,
     * else {@code $HOSTNAME}, else {@code localhost}. {@code $HOSTNAME} comes last because a batch job may inherit
     * it from the submit host, and a wrong name here would hide the agent's own node.
     */
    public static String localHostName(Map<String, String> env) {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: ask the resolver
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            String h = env.get("HOSTNAME");
            return h != null && !h.isBlank() ? h.strip() : "localhost";
        }
    }

    static List<HostCores> slurm(Map<String, String> env, String nodelistVar) throws BadConfigException {
        String nodelist = env.get(nodelistVar);
        List<String> hosts;
        try {
            hosts = Hostlist.expand(nodelist.strip());
        } catch (IllegalArgumentException e) {
            throw bad(nodelistVar, nodelist, "not a Slurm host list: " + e.getMessage());
        }
        List<Integer> cores;
        if (present(env, "SLURM_JOB_CPUS_PER_NODE")) {
            String v = env.get("SLURM_JOB_CPUS_PER_NODE");
            cores = cpusPerNode(v);
            if (cores.size() != hosts.size()) {
                throw bad("SLURM_JOB_CPUS_PER_NODE", v, "gives the cores of " + cores.size() + " nodes, but "
                        + nodelistVar + " has " + hosts.size());
            }
        } else if (present(env, "SLURM_CPUS_ON_NODE")) {
            int n = positive("SLURM_CPUS_ON_NODE", env.get("SLURM_CPUS_ON_NODE"));
            cores = hosts.stream().map(h -> n).toList();
        } else {
            throw new BadConfigException("batch system: " + nodelistVar + " is set but neither "
                    + "SLURM_JOB_CPUS_PER_NODE nor SLURM_CPUS_ON_NODE is: cannot tell how many cores each node has");
        }
        List<HostCores> out = new ArrayList<>(hosts.size());
        for (int i = 0; i < hosts.size(); i++) {
            out.add(new HostCores(hosts.get(i), cores.get(i)));
        }
        return merge(out);
    }

    /** {@code SLURM_JOB_CPUS_PER_NODE}: a comma list of {@code count} or {@code count(xRepeat)}, in node order. */
    static List<Integer> cpusPerNode(String value) throws BadConfigException {
        List<Integer> out = new ArrayList<>();
        for (String item : value.strip().split(",", -1)) {
            Matcher m = CPUS_ITEM.matcher(item);
            if (!m.matches()) {
                throw bad("SLURM_JOB_CPUS_PER_NODE", value, "expected a comma list like 2(x3),1");
            }
            int cores = Integer.parseInt(m.group(1));
            int repeat = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
            if (cores < 1 || repeat < 1) {
                throw bad("SLURM_JOB_CPUS_PER_NODE", value, "counts must be >= 1");
            }
            if (out.size() + (long) repeat > Hostlist.MAX_HOSTS) {
                throw bad("SLURM_JOB_CPUS_PER_NODE", value, "more than " + Hostlist.MAX_HOSTS + " nodes");
            }
            for (int i = 0; i < repeat; i++) {
                out.add(cores);
            }
        }
        return out;
    }

    /** Grid Engine's {@code PE_HOSTFILE}: {@code host slots queue processors} per line. */
    static List<HostCores> peHostfile(String variable, Path file) throws BadConfigException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw bad(variable, file.toString(), "cannot read it: " + e);
        }
        List<HostCores> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length < 2) {
                throw bad(variable, file.toString(), "line " + (i + 1) + " '" + line
                        + "' is not 'host slots queue processors'");
            }
            int slots;
            try {
                slots = Integer.parseInt(f[1]);
            } catch (NumberFormatException e) {
                slots = 0;
            }
            if (slots < 1) {
                throw bad(variable, file.toString(), "line " + (i + 1) + " '" + line
                        + "': slots must be a number >= 1");
            }
            out.add(new HostCores(f[0], slots));
        }
        if (out.isEmpty()) {
            throw bad(variable, file.toString(), "lists no host");
        }
        return merge(out);
    }

    /** PBS's {@code PBS_NODEFILE}: one host name per line, once per core; the order of first appearance is kept. */
    static List<HostCores> hostPerCoreFile(String variable, Path file) throws BadConfigException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw bad(variable, file.toString(), "cannot read it: " + e);
        }
        List<HostCores> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String host = lines.get(i).strip();
            if (host.isEmpty()) {
                continue;
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw bad(variable, file.toString(), "line " + (i + 1) + " '" + host
                        + "' is not a host name (expected one host name per line, once per core)");
            }
            out.add(new HostCores(host, 1));
        }
        if (out.isEmpty()) {
            throw bad(variable, file.toString(), "lists no host");
        }
        return merge(out);
    }

    /** LSF's {@code LSB_MCPU_HOSTS}: {@code host cores host cores ...}. */
    static List<HostCores> hostCorePairs(String variable, String value) throws BadConfigException {
        String[] words = value.strip().split("\\s+");
        String expected = "expected pairs of host name and core count, like 'n1 4 n2 4'";
        if (words.length % 2 != 0) {
            throw bad(variable, value, "an odd number of words: " + expected);
        }
        List<HostCores> out = new ArrayList<>();
        for (int i = 0; i < words.length; i += 2) {
            if (!HOST_NAME.matcher(words[i]).matches()) {
                throw bad(variable, value, "'" + words[i] + "' is not a host name: " + expected);
            }
            int cores;
            try {
                cores = words[i + 1].length() > 9 ? 0 : Integer.parseInt(words[i + 1]);
            } catch (NumberFormatException e) {
                cores = 0;
            }
            if (cores < 1) {
                throw bad(variable, value, "host " + words[i] + " has '" + words[i + 1]
                        + "' cores, expected a number >= 1");
            }
            out.add(new HostCores(words[i], cores));
        }
        return merge(out);
    }

    /** Trims to the pilot's cores, puts its GPUs on the first node and finds the agent's own node. */
    static PilotNodes fit(String source, NodeListFormat format, List<HostCores> given, AgentConfig cfg,
                          String thisHost) {
        int givenCores = given.stream().mapToInt(HostCores::cores).sum();
        if (givenCores < cfg.cores()) {
            LOG.warn("{} gave {} cores on {} nodes, the pilot asked for {}: using {}", source, givenCores,
                    given.size(), cfg.cores(), givenCores);
        }
        List<Node> nodes = new ArrayList<>();
        int left = cfg.cores();
        for (HostCores h : given) {
            if (left == 0) {
                break;
            }
            int cores = Math.min(h.cores(), left);
            nodes.add(new Node(h.host(), cores, nodes.isEmpty() ? cfg.gpus() : 0));
            left -= cores;
        }
        if (nodes.size() < given.size()) {
            LOG.info("{} gave {} cores on {} nodes; the pilot asked for {}: using {} nodes", source, givenCores,
                    given.size(), cfg.cores(), nodes.size());
        }
        String self = shortName(thisHost);
        Optional<String> agentNode = nodes.stream().map(Node::name).filter(n -> shortName(n).equals(self))
                .findFirst();
        if (agentNode.isEmpty()) {
            LOG.warn("this host ({}) is not one of the pilot's nodes: no unit can be forked here, only started by "
                    + "a launch method that reaches other nodes", thisHost);
        }
        return new PilotNodes(source, format.name(), nodes, agentNode);
    }

    /** Short host names compare equal whatever the domain: {@code n1.cluster} is {@code n1}. */
    static String shortName(String host) {
        int dot = host.indexOf('.');
        return (dot > 0 ? host.substring(0, dot) : host).toLowerCase(Locale.ROOT);
    }

    /** Joins repeated hosts (Grid Engine lists a host once per queue), keeping the first position. */
    private static List<HostCores> merge(List<HostCores> hosts) {
        Map<String, Integer> cores = new LinkedHashMap<>();
        for (HostCores h : hosts) {
            cores.merge(h.host(), h.cores(), Integer::sum);
        }
        return cores.entrySet().stream().map(e -> new HostCores(e.getKey(), e.getValue())).toList();
    }

    private static int positive(String var, String value) throws BadConfigException {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(var, value, "expected a number >= 1");
    }

    private static boolean present(Map<String, String> env, String var) {
        String v = env.get(var);
        return v != null && !v.isBlank();
    }

    private static BadConfigException bad(String var, String value, String what) {
        return new BadConfigException("batch system: cannot use " + var + "='" + value + "': " + what);
    }
}
