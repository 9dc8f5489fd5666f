package org.pilotflow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;

/** The HTML itself: sections, plots, escaping, self-containment. {@link RunReportBrowserTest} looks at it in Chromium. */
class RunReportTest {

    private static int count(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void aRichRunHasEveryPlotAndTable() {
        String html = RunReport.of(SampleRuns.rich()).html();
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
                .contains("<title>PilotFlow run report: session.20260101.000000.abcdef</title>");
        for (String section : List.of("summary", "utilization", "concurrency", "distributions", "failures",
                "memory")) {
            assertThat(html).contains("<section id=\"" + section + "\">");
        }
        // 2 pilots, concurrency, throughput, run times, queue waits, failures, memory peaks, memory series
        assertThat(count(html, "<svg ")).isEqualTo(9);
        assertThat(count(html, "<svg id='plot\\d+' ")).isEqualTo(9);
        assertThat(html).contains("pilot.0000 — 4 cores on local.localhost", "pilot.0001 — 2 cores on local.localhost")
                .contains("no contact with the agent for 30 s")
                .contains("<td>EXIT_CODE</td><td class=\"n\">1101</td><td>fatal</td>")
                .contains("<td>PILOT_LOST</td><td class=\"n\">1201</td><td>recoverable</td>")
                .contains("<td>MEMORY_EXCEEDED</td>")
                .contains("80 (");
        assertThat(count(html, "<tr class=\"leak\">")).as("the two leaking units' rows").isEqualTo(2);
        assertThat(html).contains("<td>LEAKING</td>").contains("2 of 11 units with a memory profile");
    }

    @Test
    void textFromTheRunIsEscaped() {
        String html = RunReport.of(SampleRuns.rich()).html();
        assertThat(html).doesNotContain("<script").contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;");
    }

    @Test
    void theFileNeedsNothingFromOutside() {
        String html = RunReport.of(SampleRuns.rich()).html();
        assertThat(html).doesNotContain("<script", "<link", "<img", "<iframe", "@import", "src=");
        // the only URLs are XML namespace names, which a browser never fetches
        Matcher m = Pattern.compile("(https?:)?//[A-Za-z0-9.-]+[^\"' )]*").matcher(html);
        while (m.find()) {
            assertThat(m.group()).isIn("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
                    "http://www.jfree.org/jfreesvg/svg");
        }
        assertThat(count(html, "url\\(#")).isEqualTo(count(html, "url\\("));
    }

    @Test
    void anEmptySessionGetsAReportThatSaysSo() {
        String html = RunReport.of(new RunData("session.empty", List.of(), List.of())).html();
        assertThat(html).contains("The session has no pilots.", "No unit has executed.",
                "No unit failed or was canceled.", "No unit has memory samples");
        assertThat(html).contains("<td>0</td>");
    }

    @Test
    void writeCreatesTheDirectoryAndReplacesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a/b/report.html");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "old");
        assertThat(RunReport.of(RunAnalyticsTest.handMade()).write(file)).isEqualTo(file);
        assertThat(Files.readString(file)).startsWith("<!DOCTYPE html>");
        Path fresh = dir.resolve("new/dir/report.html");
        RunReport.of(RunAnalyticsTest.handMade()).write(fresh);
        assertThat(fresh).isRegularFile();
    }

    @Test
    void aFileThatCannotBeWrittenIsABadParameterNamingIt(@TempDir Path dir) {
        assertThatThrownBy(() -> RunReport.of(RunAnalyticsTest.handMade()).write(dir))
                .isInstanceOf(BadParameter.class)
                .hasMessageContaining("file")
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("a file this process can write");
        assertThatThrownBy(() -> RunReport.of((RunData) null)).isInstanceOf(BadParameter.class)
                .hasMessageContaining("run");
    }
}
