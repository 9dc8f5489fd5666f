package org.pilotflow.resource.config;

import java.util.List;

/**
 * {@link ResourceRegistry#get(String)} was asked for a label it does not know. A description error on field
 * {@code resource}: the message names the label and lists the known labels.
 */
public final class UnknownResourceException extends InvalidDescriptionException {

    private static final long serialVersionUID = 1L;

    private final List<String> knownLabels;

    UnknownResourceException(String label, List<String> knownLabels) {
        super("resource", label, "one of the known resource labels " + knownLabels);
        this.knownLabels = List.copyOf(knownLabels);
    }

    /** The label asked for. */
    public String label() { return value(); }

    /** The labels the registry knew at the time, sorted. */
    public List<String> knownLabels() { return knownLabels; }
}
