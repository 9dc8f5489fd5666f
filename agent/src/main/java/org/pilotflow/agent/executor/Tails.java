package org.pilotflow.agent.executor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads the end of an output file cheaply: one open, one size, at most one read of {@link #MAX_BYTES}. */
public final class Tails {
    public static final int MAX_LINES = 20;
    public static final int MAX_BYTES = 4096;

    private Tails() {
    }

    /** The last {@link #MAX_LINES} lines, at most {@link #MAX_BYTES} bytes; "" for a missing or empty file. */
    public static String read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                return "";
            }
            int n = (int) Math.min(size, MAX_BYTES);
            ByteBuffer buf = ByteBuffer.allocate(n);
            long pos = size - n;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos + buf.position());
                if (r < 0) {
                    break;
                }
            }
            byte[] b = buf.array();
            int len = buf.position();
            int start = 0;
            if (pos > 0) { // skip a partial UTF-8 sequence at the cut
                while (start < len && (b[start] & 0xC0) == 0x80) {
                    start++;
                }
            }
            return lastLines(new String(b, start, len - start, StandardCharsets.UTF_8), MAX_LINES);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            return "(cannot read " + file.getFileName() + ": " + e.getMessage() + ")";
        }
    }

    static String lastLines(String s, int maxLines) {
        int end = s.length();
        if (end > 0 && s.charAt(end - 1) == '\n') {
            end--; // a trailing newline does not start another line
        }
        int lines = 0;
        int i = end;
        while (i > 0) {
            if (s.charAt(i - 1) == '\n') {
                lines++;
                if (lines == maxLines) {
                    break;
                }
            }
            i--;
        }
        return s.substring(i);
    }

    /** The last non-blank line of a tail, or "" (for "exit code 3; stderr: ..." reasons). */
    public static String lastLine(String tail) {
        int end = tail.length();
        while (end > 0) {
            int nl = tail.lastIndexOf('\n', end - 1);
            String line = tail.substring(nl + 1, end).strip();
            if (!line.isEmpty()) {
                return line;
            }
            end = nl < 0 ? 0 : nl;
        }
        return "";
    }
}
