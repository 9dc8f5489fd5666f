package org.pilotflow.internal.session;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.BatchSystemProvider;
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.PathVariables;
import org.pilotflow.resource.config.PilotShape;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.ResourceRegistry;
import org.pilotflow.resource.config.UnknownResourceException;

/** Checks a pilot description against its resource's configuration; turns each problem into a BadParameter. */
final class Validation {
    private Validation() {
    }

    static ResourceConfig resource(ResourceRegistry registry, String prefix, ComputePilotDescription d) {
        ResourceConfig rc;
        try {
            rc = registry.get(d.resource());
        } catch (UnknownResourceException e) {
            throw new BadParameter(prefix + "resource", d.resource(), "one of the configured resources "
                    + e.knownLabels(), e);
        }
        if (d.accessSchema() != null && !rc.schemas().containsKey(d.accessSchema())) {
            throw new BadParameter(prefix + "accessSchema", d.accessSchema(), "a schema of " + rc.label() + ": "
                    + rc.schemas().keySet());
        }
        Map<String, Object> present = new HashMap<>();
        present.put("project", d.project());
        present.put("queue", d.queue());
        present.put("memory", d.memoryMb() > 0 ? d.memoryMb() : null);
        present.put("gpus", d.gpus() > 0 ? d.gpus() : null);
        present.put("sandbox", d.sandbox());
        try {
            rc.checkMandatoryArgs(present);
        } catch (InvalidDescriptionException e) {
            throw new BadParameter(prefix + e.field(), e.value(), e.expected(), e);
        }
        checkSize(rc, prefix, d);
        return rc;
    }

    /**
     * What the resource can give at all: cores and GPUs within {@code max_nodes} nodes (one host for fork and ssh
     * resources), a runtime within {@code max_runtime}. A pilot asking for more would wait in a queue forever or
     * start with fewer cores than its units are placed on.
     */
    private static void checkSize(ResourceConfig rc, String prefix, ComputePilotDescription d) {
        String queue = d.queue() != null ? d.queue() : rc.defaultQueue().orElse(null);
        if (d.queue() != null && !rc.queues().isEmpty() && !rc.queues().containsKey(d.queue())) {
            throw new BadParameter(prefix + "queue", d.queue(), "one of the queues of " + rc.label() + " "
                    + rc.queues().keySet());
        }
        String where = queue != null && rc.queues().containsKey(queue) ? " in queue " + queue : "";
        java.util.OptionalInt maxNodes = rc.maxNodes(queue, d.accessSchema());
        if (maxNodes.isPresent()) {
            long maxCores = (long) maxNodes.getAsInt() * rc.coresPerNode();
            if (d.cores() > maxCores) {
                throw new BadParameter(prefix + "cores", d.cores(), "at most " + maxCores + ": " + rc.label()
                        + " gives a pilot" + where + " " + nodes(maxNodes.getAsInt()) + " of " + rc.coresPerNode()
                        + " cores");
            }
        }
        if (d.gpus() > 0) {
            if (rc.gpusPerNode() == 0) {
                throw new BadParameter(prefix + "gpus", d.gpus(), "0: " + rc.label() + " has no GPUs (gpus_per_node"
                        + " is 0)");
            }
            if (maxNodes.isPresent() && d.gpus() > (long) maxNodes.getAsInt() * rc.gpusPerNode()) {
                throw new BadParameter(prefix + "gpus", d.gpus(), "at most " + (long) maxNodes.getAsInt()
                        * rc.gpusPerNode() + ": " + rc.label() + " gives a pilot " + nodes(maxNodes.getAsInt())
                        + " of " + rc.gpusPerNode() + " GPUs");
            }
        }
        BatchSystemProvider batch = BatchSystemCatalog.installed()
                .providerFor(rc.schema(d.accessSchema()).jobManagerEndpoint().type());
        if (batch != null) {
            try {
                batch.checkPilot(new PilotShape(d.cores(), d.gpus(), rc.coresPerNode()));
            } catch (InvalidDescriptionException e) {
                // the description's own value (a number), as the other size errors give it
                Object value = switch (e.field()) {
                    case "gpus" -> d.gpus();
                    case "cores" -> d.cores();
                    default -> e.value();
                };
                throw new BadParameter(prefix + e.field(), value, e.expected(), e);
            }
        }
        rc.maxRuntime(queue).ifPresent(max -> {
            if (d.runtime().compareTo(max) > 0) {
                throw new BadParameter(prefix + "runtime", d.runtime(), "at most " + max + " (max_runtime of "
                        + rc.label() + where + ")");
            }
        });
    }

    private static String nodes(int n) {
        return n == 1 ? "one node" : "at most " + n + " nodes";
    }

    /**
     * The pilot sandbox: {@code <description's sandbox>/<session>/<pilot>} (that base inside {@code valid_roots}),
     * or the resource's default. For a resource reached over SSH the path may start with a variable
     * ({@code $HOME/...}) whose value only the resource knows: it is kept as written here and resolved and checked
     * against {@code valid_roots} when the pilot launches.
     */
    static String sandbox(ResourceConfig rc, String prefix, ComputePilotDescription d, String sessionId, String uid) {
        if (rc.schema(d.accessSchema()).access() == Access.SSH) {
            if (d.sandbox() == null) {
                return rc.defaultRemoteWorkdir() + "/" + sessionId + "/" + uid;
            }
            if (!PathVariables.isWellFormed(d.sandbox()) || d.sandbox().contains("/../")
                    || d.sandbox().endsWith("/..")) {
                throw new BadParameter(prefix + "sandbox", d.sandbox(), "an absolute path, or one starting with a "
                        + "variable such as $HOME, below one of the valid_roots of " + rc.label() + " "
                        + rc.validRoots());
            }
            return d.sandbox() + "/" + sessionId + "/" + uid;
        }
        return localSandbox(rc, prefix, d, sessionId, uid).toString();
    }

    private static Path localSandbox(ResourceConfig rc, String prefix, ComputePilotDescription d, String sessionId,
                                     String uid) {
        try {
            if (d.sandbox() != null) {
                return rc.checkSandbox(Path.of(d.sandbox())).resolve(sessionId).resolve(uid);
            }
            return rc.defaultSandbox(sessionId).resolve(uid);
        } catch (InvalidDescriptionException e) {
            throw new BadParameter(prefix + "sandbox", d.sandbox(), e.expected(), e);
        } catch (ResourceConfigException e) {
            throw new BadParameter(prefix + "sandbox", d.sandbox(), "a sandbox the resource configuration can "
                    + "resolve (" + e.getMessage() + ")", e);
        } catch (java.nio.file.InvalidPathException e) {
            throw new BadParameter(prefix + "sandbox", d.sandbox(), "a valid path (" + e.getReason() + ")", e);
        }
    }
}
