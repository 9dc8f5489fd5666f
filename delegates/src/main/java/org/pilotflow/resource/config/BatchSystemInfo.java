package org.pilotflow.resource.config;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.pilotflow.agent.nodes.NodeListFormat;
import org.pilotflow.agent.nodes.NodeListFormats;

/**
 * What a batch system offers, as data that can be read without submitting anything (the shape of an Airflow
 * provider's {@code get_provider_info()}: a name, the connection types it serves, the config it reads).
 *
 * @param name      the system's name in messages, e.g. {@code PBS}
 * @param scheme    the job-manager scheme: endpoints {@code <scheme>://localhost/} and {@code <scheme>+ssh://host/}
 * @param configKeys the resource-config keys the system reads (top-level keys of an entry, each with its default)
 * @param nodeList  where the agent finds the job's nodes, e.g. {@code PBS_NODEFILE}
 */
public record BatchSystemInfo(String name, String scheme, List<ConfigKey> configKeys, NodeListSource nodeList) {

    static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9-]*");

    public BatchSystemInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nodeList, "nodeList");
        configKeys = List.copyOf(configKeys);
        if (scheme == null || !SCHEME.matcher(scheme).matches() || scheme.equals("fork") || scheme.equals("ssh")) {
            throw new IllegalArgumentException("batch system " + name + ": scheme '" + scheme + "' must be lower-case "
                    + "letters, digits and '-', starting with a letter, and not fork or ssh");
        }
    }

    /** The schemes of its endpoints: {@code pbs} and {@code pbs+ssh}. */
    public List<String> schemes() {
        return List.of(scheme, scheme + "+ssh");
    }

    /**
     * A resource-config key a batch system reads: a string value matching {@code pattern}.
     *
     * @param name         the key, prefixed with the scheme by convention ({@code pbs_resource_syntax})
     * @param defaultValue its value when the entry does not give one
     * @param pattern      what a value must match
     * @param expected     what a value should be, for error messages ("a parallel environment name of ...")
     */
    public record ConfigKey(String name, String defaultValue, Pattern pattern, String expected) {
        public ConfigKey {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(expected, "expected");
            if (defaultValue == null || !pattern.matcher(defaultValue).matches()) {
                throw new IllegalArgumentException("config key " + name + ": default '" + defaultValue
                        + "' is not " + expected);
            }
        }
    }

    /**
     * Where the agent reads the job's nodes: an environment variable, holding the list itself or naming a file, and
     * the way it is written, a {@code org.pilotflow.agent.nodes.NodeListFormat} the agent has ({@link #describe}).
     *
     * @param variable e.g. {@code SLURM_JOB_NODELIST}, {@code PE_HOSTFILE}, {@code PBS_NODEFILE}
     * @param format   the format's name, e.g. {@code slurm-hostlist}, {@code host-per-core-file}
     */
    public record NodeListSource(String variable, String format) {
        public NodeListSource {
            Objects.requireNonNull(variable, "variable");
            Objects.requireNonNull(format, "format");
        }

        /** What the variable holds, in the words of the agent's format; null when the agent has no such format. */
        public String describe() {
            NodeListFormat f = NodeListFormats.byName(format);
            return f == null ? null : f.description();
        }
    }
}
