package org.pilotflow.resource.batch;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Collectors;

/** Small text helpers for batch-system output. */
public final class BatchText {

    /** Job ids in numeric order (shorter digit strings first, then by text): the oldest job first. */
    public static final Comparator<String> BY_NUMBER = Comparator.comparingInt(String::length)
            .thenComparing(Comparator.naturalOrder());

    private BatchText() {
    }

    /** The non-blank lines of {@code text}, stripped and joined with {@code "; "}: a message on one line. */
    public static String oneLine(String text) {
        return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty())
                .collect(Collectors.joining("; "));
    }

    /** Runs of whitespace as one space, stripped: {@code "137    (Killed)"} becomes {@code "137 (Killed)"}. */
    public static String squeeze(String text) {
        return text.strip().replaceAll("\\s+", " ");
    }
}
