package org.pilotflow.resource.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads one {@code resource_<site>.json} into {@link ResourceConfig}s. Every error is a
 * {@link ResourceConfigException} naming the file.
 */
final class ResourceConfigParser {

    static final Pattern FILE_NAME = Pattern.compile("resource_(.*)\\.json");

    static final List<String> KEYS = List.of("description", "notes", "schemas", "default_schema", "default_queue",
            "cores_per_node", "gpus_per_node", "max_nodes", "max_runtime", "queues", "valid_roots", "mandatory_args",
            "default_remote_workdir", "launch_methods", "agent_java", "agent_jvm_args", "pre_bootstrap",
            "heartbeat_interval", "heartbeat_timeout", "channel", "host_key_checking", "job_manager_environment");

    private final String file;

    private ResourceConfigParser(String file) {
        this.file = file;
    }

    /**
     * Parses a file's content.
     *
     * @param file     the file as shown in messages
     * @param fileName the bare file name, {@code resource_<site>.json}
     * @param base     for a label, the entry a user entry is merged onto (key by key), if any
     * @return the entries by label, in file order
     */
    static Map<String, ResourceConfig> parse(String file, String fileName, byte[] content,
                                             Function<String, Optional<ResourceConfig>> base) {
        return new ResourceConfigParser(file).parse(fileName, content, base);
    }

    private Map<String, ResourceConfig> parse(String fileName, byte[] content,
                                              Function<String, Optional<ResourceConfig>> base) {
        Matcher m = FILE_NAME.matcher(fileName);
        if (!m.matches() || !ResourceConfig.NAME.matcher(m.group(1)).matches()) {
            throw ResourceConfigException.badValue(file, "(file name)", Json.render(fileName),
                    "resource_<site>.json, the site of letters, digits, '_' and '-'");
        }
        String site = m.group(1);
        JsonNode root;
        com.fasterxml.jackson.core.JsonParser parser = null;
        try {
            parser = Json.MAPPER.createParser(content);
            root = Json.MAPPER.readTree(parser);
            if (root != null && parser.nextToken() != null) { // what readTree(byte[]) checks: nothing after the value
                throw new com.fasterxml.jackson.core.JsonParseException(parser, "trailing token after the value");
            }
        } catch (JsonProcessingException e) {
            // some errors carry no location (nesting too deep): then where the parser stopped
            JsonLocation loc = e.getLocation() != null ? e.getLocation()
                    : parser == null ? null : parser.currentLocation();
            throw ResourceConfigException.invalidJson(file, loc == null ? -1 : loc.getLineNr(),
                    loc == null ? -1 : loc.getColumnNr(), e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw ResourceConfigException.io(file, "cannot read", e);
        } finally {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // a parser over a byte array holds nothing to release
                }
            }
        }
        if (root == null || root.isMissingNode()) {
            throw ResourceConfigException.invalidJson(file, 1, 1, "empty file", null);
        }
        if (!root.isObject()) {
            throw ResourceConfigException.badValue(file, site, kind(root),
                    "an object of machine name -> resource entry");
        }
        Map<String, ResourceConfig> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String machine = e.getKey();
            if (machine.startsWith("_")) {
                continue;
            }
            String label = site + "." + machine;
            if (!ResourceConfig.NAME.matcher(machine).matches()) {
                throw ResourceConfigException.badValue(file, label, Json.render(machine),
                        "a machine name of letters, digits, '_' and '-'");
            }
            if (!e.getValue().isObject()) {
                throw ResourceConfigException.badValue(file, label, kind(e.getValue()), "an object (a resource entry)");
            }
            ResourceConfig.Builder b = base.apply(label).map(ResourceConfig::toBuilder)
                    .orElseGet(() -> ResourceConfig.builder(label));
            entry(label, e.getValue(), b);
            try {
                out.put(label, b.build());
            } catch (ResourceConfigException ex) {
                throw ex.inFile(file);
            }
        }
        return out;
    }

    private void entry(String label, JsonNode node, ResourceConfig.Builder b) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = label + "/" + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "description" -> b.description(string(key, v, "a string"));
                case "notes" -> b.notes(string(key, v, "a string"));
                case "schemas" -> schemas(key, v, b);
                case "default_schema" -> b.defaultSchema(string(key, v, "the name of one of the schemas"));
                case "default_queue" -> b.defaultQueue(string(key, v, ResourceConfig.EXPECTED_NON_BLANK));
                case "cores_per_node" -> {
                    if (v.isTextual() && v.asText().equals("auto")) {
                        b.coresPerNodeAuto();
                    } else {
                        b.coresPerNode(integer(key, v, ResourceConfig.EXPECTED_CORES));
                    }
                }
                case "gpus_per_node" -> b.gpusPerNode(integer(key, v, ResourceConfig.EXPECTED_GPUS));
                case "max_nodes" -> b.maxNodes(integer(key, v, "an integer > 0"));
                case "max_runtime" -> b.maxRuntime(seconds(key, v));
                case "queues" -> b.queues(queues(key, v));
                case "valid_roots" -> b.validRoots(strings(key, v, ResourceConfig.EXPECTED_ROOTS));
                case "mandatory_args" -> b.mandatoryArgs(strings(key, v,
                        "a list of names from " + ResourceConfig.MANDATORY_ARG_NAMES));
                case "default_remote_workdir" -> b.defaultRemoteWorkdir(string(key, v, ResourceConfig.EXPECTED_PATH));
                case "launch_methods" -> b.launchMethods(launchMethods(key, v));
                case "agent_java" -> b.agentJava(string(key, v, ResourceConfig.EXPECTED_NON_BLANK));
                case "agent_jvm_args" -> b.agentJvmArgs(strings(key, v, "a list of strings"));
                case "pre_bootstrap" -> b.preBootstrap(strings(key, v, "a list of strings (shell lines)"));
                case "heartbeat_interval" -> b.heartbeatInterval(seconds(key, v));
                case "heartbeat_timeout" -> b.heartbeatTimeout(seconds(key, v));
                case "channel" -> b.channelMode(channel(key, v));
                case "host_key_checking" -> {
                    if (!v.isBoolean()) {
                        throw bad(key, v, "true or false");
                    }
                    b.hostKeyChecking(v.booleanValue());
                }
                case "job_manager_environment" -> b.jobManagerEnvironment(environment(key, v));
                default -> {
                    BatchSystemInfo.ConfigKey declared = BatchSystemCatalog.installed().configKeys().get(e.getKey());
                    if (declared == null) {
                        List<String> known = new ArrayList<>(KEYS);
                        known.addAll(BatchSystemCatalog.installed().configKeys().keySet());
                        unknown(key, e.getKey(), v, known);
                    } else {
                        b.batchSystemKey(e.getKey(), string(key, v, declared.expected()));
                    }
                }
            }
        }
    }

    private void schemas(String key, JsonNode v, ResourceConfig.Builder b) {
        String expected = "an object of schema name -> {\"job_manager_endpoint\": ..., \"filesystem_endpoint\": ...}";
        if (!v.isObject() || v.isEmpty()) {
            throw bad(key, v, expected);
        }
        b.clearSchemas();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("_")) {
                continue;
            }
            String sk = key + "/" + e.getKey();
            JsonNode s = e.getValue();
            if (!s.isObject()) {
                throw bad(sk, s, "{\"job_manager_endpoint\": ..., \"filesystem_endpoint\": ...}");
            }
            String jm = null;
            String fs = null;
            for (Iterator<Map.Entry<String, JsonNode>> f = s.fields(); f.hasNext(); ) {
                Map.Entry<String, JsonNode> fe = f.next();
                String fk = sk + "/" + fe.getKey();
                switch (fe.getKey()) {
                    case "job_manager_endpoint" -> jm = string(fk, fe.getValue(), JobManagerEndpoint.expected());
                    case "filesystem_endpoint" -> fs = string(fk, fe.getValue(), FilesystemEndpoint.EXPECTED);
                    default -> unknown(fk, fe.getKey(), fe.getValue(),
                            List.of("job_manager_endpoint", "filesystem_endpoint"));
                }
            }
            if (jm == null) {
                throw ResourceConfigException.missing(file, sk + "/job_manager_endpoint", JobManagerEndpoint.expected());
            }
            if (fs == null) {
                throw ResourceConfigException.missing(file, sk + "/filesystem_endpoint", FilesystemEndpoint.EXPECTED);
            }
            b.schema(e.getKey(), jm, fs);
        }
    }

    private LaunchMethods launchMethods(String key, JsonNode v) {
        String names = LaunchMethod.installed().toString();
        if (!v.isObject()) {
            throw bad(key, v, "{\"order\": [launch methods], \"<METHOD>\": {options}}");
        }
        List<LaunchMethod> order = null;
        Map<LaunchMethod, Map<String, Object>> options = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = key + "/" + e.getKey();
            if (e.getKey().equals("order")) {
                List<String> raw = strings(k, e.getValue(), "a non-empty list of " + names);
                order = new ArrayList<>();
                for (int i = 0; i < raw.size(); i++) {
                    order.add(launchMethod(k + "/" + i, raw.get(i), "one of " + names));
                }
            } else if (!e.getKey().startsWith("_")) {
                LaunchMethod lm = launchMethod(k, e.getKey(), "\"order\" or one of " + names);
                if (!e.getValue().isObject()) {
                    throw bad(k, e.getValue(), "an object of options for " + lm);
                }
                options.put(lm, Json.MAPPER.convertValue(e.getValue(), new TypeReference<Map<String, Object>>() { }));
            }
        }
        if (order == null) {
            throw ResourceConfigException.missing(file, key + "/order", "a non-empty list of " + names);
        }
        return new LaunchMethods(order, options);
    }

    private LaunchMethod launchMethod(String key, String name, String expected) {
        try {
            return LaunchMethod.of(name);
        } catch (IllegalArgumentException e) {
            throw ResourceConfigException.badValue(file, key, Json.render(name), expected);
        }
    }

    private ChannelMode channel(String key, JsonNode v) {
        String expected = "one of [\"direct\", \"ssh_tunnel\"]";
        if (!v.isObject()) {
            throw bad(key, v, "{\"mode\": \"direct\" | \"ssh_tunnel\"}");
        }
        ChannelMode mode = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = key + "/" + e.getKey();
            if (e.getKey().equals("mode")) {
                String s = string(k, e.getValue(), expected);
                mode = switch (s) {
                    case "direct" -> ChannelMode.DIRECT;
                    case "ssh_tunnel" -> ChannelMode.SSH_TUNNEL;
                    default -> throw bad(k, e.getValue(), expected);
                };
            } else {
                unknown(k, e.getKey(), e.getValue(), List.of("mode"));
            }
        }
        if (mode == null) {
            throw ResourceConfigException.missing(file, key + "/mode", expected);
        }
        return mode;
    }

    /** An object of name -> string; the names are checked by the builder (as for configs built by API). */
    private Map<String, QueueLimits> queues(String key, JsonNode v) {
        String expected = "an object of queue name -> {\"max_nodes\": n, \"max_runtime\": seconds}";
        if (!v.isObject()) {
            throw bad(key, v, expected);
        }
        Map<String, QueueLimits> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String qk = key + "/" + e.getKey();
            if (!e.getValue().isObject()) {
                throw bad(qk, e.getValue(), "{\"max_nodes\": n, \"max_runtime\": seconds}");
            }
            Integer nodes = null;
            Duration runtime = null;
            for (Iterator<Map.Entry<String, JsonNode>> f = e.getValue().fields(); f.hasNext(); ) {
                Map.Entry<String, JsonNode> fe = f.next();
                switch (fe.getKey()) {
                    case "max_nodes" -> nodes = integer(qk + "/max_nodes", fe.getValue(), "an integer > 0");
                    case "max_runtime" -> runtime = seconds(qk + "/max_runtime", fe.getValue());
                    default -> unknown(qk + "/" + fe.getKey(), fe.getKey(), fe.getValue(),
                            List.of("max_nodes", "max_runtime"));
                }
            }
            out.put(e.getKey(), new QueueLimits(nodes, runtime));
        }
        return out;
    }

    private Map<String, String> environment(String key, JsonNode v) {
        if (!v.isObject()) {
            throw bad(key, v, ResourceConfig.EXPECTED_ENV);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), string(key + "/" + e.getKey(), e.getValue(), ResourceConfig.EXPECTED_ENV_VALUE));
        }
        return out;
    }

    private String string(String key, JsonNode v, String expected) {
        if (!v.isTextual()) {
            throw bad(key, v, expected);
        }
        return v.textValue();
    }

    private int integer(String key, JsonNode v, String expected) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(key, v, expected);
        }
        return v.intValue();
    }

    private List<String> strings(String key, JsonNode v, String expected) {
        if (!v.isArray()) {
            throw bad(key, v, expected);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw bad(key + "/" + i, v.get(i), "a string (in " + expected + ")");
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    private Duration seconds(String key, JsonNode v) {
        // NaN and Infinity (Jackson reads them as doubles) have no decimal value
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()) || v.decimalValue().signum() <= 0) {
            throw bad(key, v, ResourceConfig.EXPECTED_SECONDS);
        }
        try {
            return Duration.ofNanos(v.decimalValue().movePointRight(9).longValueExact());
        } catch (ArithmeticException e) {
            throw bad(key, v, ResourceConfig.EXPECTED_SECONDS + " with at most 9 decimals, below 292 years");
        }
    }

    private void unknown(String key, String name, JsonNode v, List<String> known) {
        if (name.startsWith("_")) {
            return; // comment convention
        }
        String suggestion = known.stream().filter(k -> distance(k, name) <= 2).findFirst()
                .map(k -> " (did you mean \"" + k + "\"?)").orElse("");
        throw ResourceConfigException.unknownKey(file, key, v.toString(), "one of the known keys "
                + known.stream().collect(Collectors.joining(", ", "[", "]"))
                + " or a comment key starting with \"_\"" + suggestion);
    }

    private ResourceConfigException bad(String key, JsonNode v, String expected) {
        return ResourceConfigException.badValue(file, key, v.toString(), expected);
    }

    private static String kind(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? n.getNodeType().name().toLowerCase(Locale.ROOT) : s;
    }

    /** Levenshtein distance, for "did you mean". */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
