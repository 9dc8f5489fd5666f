/**
 * Resource configuration in RADICAL-Pilot's shape: {@code resource_<site>.json} files whose top-level keys are
 * machines, labelled {@code <site>.<machine>}.
 *
 * <ul>
 *   <li>{@link org.pilotflow.resource.config.ResourceRegistry} - built-ins from the jar ({@code local.localhost}),
 *       {@code loadDirectory(Path)} / {@code loadFile(Path)} for user files (all or nothing),
 *       {@code add(...)} by API, {@code get(label)}, {@code labels()}.</li>
 *   <li>{@link org.pilotflow.resource.config.ResourceConfig} - one immutable, validated entry with its builder and
 *       the description checks ({@code checkSandbox}, {@code missingMandatoryArgs}, {@code checkMandatoryArgs},
 *       {@code defaultSandbox}, {@code schema(name)}).</li>
 *   <li>{@link org.pilotflow.resource.config.ResourceConfigException} - an invalid file or config: file, key,
 *       value, expected (and line/column for JSON syntax errors).</li>
 *   <li>{@link org.pilotflow.resource.config.InvalidDescriptionException} - a pilot description value that does
 *       not fit the resource: field, value, expected; {@link org.pilotflow.resource.config.UnknownResourceException}
 *       for an unknown label (field {@code resource}).</li>
 * </ul>
 *
 * <p>JSON is strict (duplicate keys, trailing tokens and unknown keys are errors) with two allowances: keys
 * starting with {@code _} are comments at every level, and {@code #} line comments are accepted as RADICAL's
 * reader does.
 */
package org.pilotflow.resource.config;
