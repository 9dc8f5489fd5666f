package org.pilotflow.internal;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.resource.config.InvalidDescriptionException;
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
        return rc;
    }

    /** The pilot sandbox: the description's (inside {@code valid_roots}) or the resource's default. */
    static Path sandbox(ResourceConfig rc, String prefix, ComputePilotDescription d, String sessionId, String uid) {
        try {
            if (d.sandbox() != null) {
                return rc.checkSandbox(Path.of(d.sandbox()));
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
