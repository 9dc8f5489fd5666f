package org.pilotflow.agent.nodes;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Slurm's compressed host list syntax, as in {@code SLURM_JOB_NODELIST}: a comma list of host patterns, each a host
 * name with bracket groups of numbers and ranges ({@code node[01-04,07]}, {@code n[1-2]-ib}). Several bracket groups
 * in one pattern expand to their cartesian product, the leftmost varying slowest ({@code a[1-2]b[1-2]} is
 * {@code a1b1,a1b2,a2b1,a2b2}), as {@code scontrol show hostnames} does. A range keeps the zero padding of its
 * lower bound ({@code [08-10]} is {@code 08,09,10}).
 */
public final class Hostlist {

    /** More hosts than any cluster has: a typo like {@code n[1-999999999]} is refused instead of filling memory. */
    static final int MAX_HOSTS = 100_000;

    private static final Pattern HOST_CHARS = Pattern.compile("[A-Za-z0-9._-]*");

    private Hostlist() {
    }

    /**
     * The host names of the list, in order.
     *
     * @throws IllegalArgumentException naming what is wrong (unbalanced bracket, bad range, empty host, ...)
     */
    public static List<String> expand(String list) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("empty host list");
        }
        List<String> hosts = new ArrayList<>();
        for (String pattern : splitTopLevel(list)) {
            if (pattern.isEmpty()) {
                throw new IllegalArgumentException("empty host name");
            }
            List<String> expanded = List.of("");
            int i = 0;
            while (i < pattern.length()) {
                int open = pattern.indexOf('[', i);
                String literal = pattern.substring(i, open < 0 ? pattern.length() : open);
                if (!HOST_CHARS.matcher(literal).matches()) {
                    throw new IllegalArgumentException("'" + literal + "' is not a host name");
                }
                expanded = product(expanded, List.of(literal));
                if (open < 0) {
                    break;
                }
                int close = pattern.indexOf(']', open);
                if (close < 0) {
                    throw new IllegalArgumentException("'[' without ']'");
                }
                expanded = product(expanded, numbers(pattern.substring(open + 1, close)));
                i = close + 1;
            }
            hosts.addAll(expanded);
            if (hosts.size() > MAX_HOSTS) {
                throw new IllegalArgumentException("more than " + MAX_HOSTS + " hosts");
            }
        }
        return hosts;
    }

    /** Splits at the commas outside brackets; refuses nested or unbalanced brackets. */
    private static List<String> splitTopLevel(String list) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '[') {
                if (depth++ > 0) {
                    throw new IllegalArgumentException("nested '['");
                }
            } else if (c == ']') {
                if (depth-- == 0) {
                    throw new IllegalArgumentException("']' without '['");
                }
            } else if (c == ',' && depth == 0) {
                out.add(list.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("'[' without ']'");
        }
        out.add(list.substring(start));
        return out;
    }

    /** The numbers of one bracket group, e.g. {@code 01-03,7}, as strings with their padding. */
    private static List<String> numbers(String group) {
        List<String> out = new ArrayList<>();
        for (String item : group.split(",", -1)) {
            int dash = item.indexOf('-');
            String lo = dash < 0 ? item : item.substring(0, dash);
            String hi = dash < 0 ? item : item.substring(dash + 1);
            if (!isDigits(lo) || !isDigits(hi)) {
                throw new IllegalArgumentException("'[" + group + "]' is not a list of numbers and ranges");
            }
            long from;
            long to;
            try {
                from = Long.parseLong(lo);
                to = Long.parseLong(hi);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + item + "' is out of range");
            }
            if (to < from) {
                throw new IllegalArgumentException("range '" + item + "' ends before it starts");
            }
            if (to - from >= MAX_HOSTS) {
                throw new IllegalArgumentException("range '" + item + "' has more than " + MAX_HOSTS + " hosts");
            }
            String format = "%0" + lo.length() + "d";
            for (long n = from; n <= to; n++) {
                out.add(String.format(format, n));
            }
        }
        return out;
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static List<String> product(List<String> prefixes, List<String> suffixes) {
        if ((long) prefixes.size() * suffixes.size() > MAX_HOSTS) {
            throw new IllegalArgumentException("more than " + MAX_HOSTS + " hosts");
        }
        List<String> out = new ArrayList<>(prefixes.size() * suffixes.size());
        for (String p : prefixes) {
            for (String s : suffixes) {
                out.add(p + s);
            }
        }
        return out;
    }
}
