package org.pilotflow.resource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.pilotflow.resource.shell.ResourceShell;

/** The last lines of a log file on a resource, for the reason of a lost pilot. */
public final class LogTails {

    private LogTails() {
    }

    /**
     * {@code "; agent.log ends: a | b | c"} for the last {@code n} non-blank lines of {@code path}, or {@code ""}
     * when the file is missing, empty or unreadable (a diagnostic must never hide the real reason).
     */
    public static String lastLines(ResourceShell shell, String path, int n) {
        try {
            byte[] tail = shell.readTail(path, 8192);
            if (tail == null) {
                return "";
            }
            List<String> lines = new ArrayList<>();
            for (String l : new String(tail, StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank()) {
                    lines.add(l.strip());
                }
            }
            List<String> last = lines.subList(Math.max(0, lines.size() - n), lines.size());
            String name = path.substring(path.lastIndexOf('/') + 1);
            return last.isEmpty() ? "" : "; " + name + " ends: " + String.join(" | ", last);
        } catch (ResourceException | RuntimeException e) {
            return "";
        }
    }
}
