package org.pilotflow.resource.shell;

import java.util.List;
import java.util.regex.Pattern;

/**
 * POSIX shell quoting, for the places where a command line cannot be avoided: the remote side of an SSH exec
 * channel and the generated batch job scripts. Each argument becomes one word whatever it contains.
 */
public final class ShellQuote {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuote() {
    }

    /** One argument as one shell word: unchanged when it holds only safe characters, else single-quoted. */
    public static String quote(String arg) {
        if (arg.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an argument cannot contain a NUL character");
        }
        if (!arg.isEmpty() && SAFE.matcher(arg).matches()) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    /** The words of {@code argv} quoted and joined with spaces. */
    public static String join(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(quote(a));
        }
        return sb.toString();
    }
}
