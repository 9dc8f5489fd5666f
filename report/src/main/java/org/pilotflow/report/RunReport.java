package org.pilotflow.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.Session;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.analytics.LinearFit;
import org.pilotflow.model.memory.LeakRule;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.report.RunData.PilotRun;
import org.pilotflow.report.RunData.UnitRun;

/**
 * A session's run report: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched) with core
 * utilization per pilot, units executing at once, run-time and queue-wait distributions, throughput, failures by
 * error code, and memory peaks with leak flags.
 *
 * <pre>{@code
 * RunReport.of(session).write(Path.of("report.html"));
 * }</pre>
 *
 * From a shell: {@code bin/pilotflow report <session id>} (the shaded {@code report/target/pilotflow.jar}).
 */
public final class RunReport {

    /** Pilots drawn one plot each; the table lists them all. */
    static final int MAX_PILOT_PLOTS = 12;
    /** Units in the memory-peak plot and table (leaking ones first, then the largest). */
    static final int MAX_MEMORY_UNITS = 40;
    /** Units whose memory series is drawn. */
    static final int MAX_MEMORY_SERIES = 6;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'")
            .withZone(ZoneOffset.UTC);

    private final RunAnalytics analytics;
    private final Instant generated;

    private RunReport(RunData run, Instant generated) {
        this.analytics = new RunAnalytics(run);
        this.generated = generated;
    }

    /** The report of what {@code run} holds, made now. */
    public static RunReport of(RunData run) {
        BadParameter.requireNonNull(run, "run", "a RunData (RunData.of(session))");
        return new RunReport(run, Instant.now());
    }

    /** The report of a session's pilots and units as they are now. */
    public static RunReport of(Session session) {
        BadParameter.requireNonNull(session, "session", "an open Session");
        return of(RunData.of(session));
    }

    /** Writes the report to {@code file} (replacing it) and returns the file. */
    public Path write(Path file) {
        BadParameter.requireNonNull(file, "file", "a file path");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, html(), StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new BadParameter("file", file, "a file this process can write (" + e + ")");
        }
    }

    /** The report as one HTML document. */
    public String html() {
        Html h = new Html();
        Charts charts = new Charts();
        RunData run = analytics.run();
        h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.tag("title", "PilotFlow run report: " + run.sessionId());
        h.raw("<style>" + CSS + "</style></head><body><main>");
        h.tag("h1", "PilotFlow run report");
        h.raw("<p class=\"sub\">session <code>").text(run.sessionId()).raw("</code> · made ")
                .text(TIME.format(generated)).raw("</p>");
        summary(h);
        utilization(h, charts);
        concurrency(h, charts);
        distributions(h, charts);
        failures(h, charts);
        memory(h, charts);
        h.raw("<footer>Times come from the clock that saw each state: the agent's for placing, starting and ending a"
                + " unit, the engine's for submitting it; a queue wait spans both clocks. Time series are means over"
                + " " + RunAnalytics.BINS + " equal bins. An earlier attempt of a restarted unit counts in every"
                + " figure but the per-pilot ones: the history does not keep which pilot it had."
                + (analytics.skewed() == 0 ? "" : " " + analytics.skewed() + " intervals ran backwards between"
                + " two clocks (an agent's host behind the engine's) and were counted as zero.")
                + "</footer>");
        h.raw("</main></body></html>\n");
        return h.toString();
    }

    // ------------------------------------------------------------------------------------------------ sections

    private void summary(Html h) {
        RunData run = analytics.run();
        Map<UnitState, Integer> byState = analytics.unitsByState();
        double active = 0;
        double busy = 0;
        double overhead = 0;
        for (RunAnalytics.Utilization u : analytics.utilization()) {
            active += u.activeCoreSeconds();
            busy += u.busyCoreSeconds();
            overhead += u.overheadCoreSeconds();
        }
        double[] durations = analytics.durations();
        int finished = byState.getOrDefault(UnitState.DONE, 0) + byState.getOrDefault(UnitState.FAILED, 0)
                + byState.getOrDefault(UnitState.CANCELED, 0);
        h.raw("<section id=\"summary\">");
        h.tag("h2", "Summary");
        h.raw("<table class=\"kv\">");
        row(h, "first event", run.firstEntry() == null ? "–" : TIME.format(run.firstEntry()));
        row(h, "last event", run.lastEntry() == null ? "–" : TIME.format(run.lastEntry()));
        row(h, "span", Charts.duration(analytics.span()));
        row(h, "pilots", run.pilots().size() + " with " + run.pilots().stream().mapToInt(PilotRun::cores).sum()
                + " cores");
        StringBuilder states = new StringBuilder();
        byState.forEach((s, n) -> states.append(states.isEmpty() ? "" : ", ").append(n).append(' ').append(s));
        row(h, "units", run.units().size() + (states.isEmpty() ? "" : " (" + states + ")"));
        row(h, "core utilization", active > 0 ? percent(busy / active) + " busy, " + percent(overhead / active)
                + " overhead, of " + coreHours(active) + " while pilots were ACTIVE" : "–");
        row(h, "units executing at once", "at most " + analytics.peakConcurrency());
        row(h, "run time per unit", durations.length == 0 ? "–" : "median "
                + Charts.duration(RunAnalytics.quantile(durations, 0.5)) + ", 95th percentile "
                + Charts.duration(RunAnalytics.quantile(durations, 0.95)));
        row(h, "throughput", finished + " units ended in " + Charts.duration(analytics.span()) + " ("
                + String.format(Locale.ROOT, "%.2f", finished / analytics.span()) + " / s)");
        long leaking = run.units().stream().filter(u -> u.memory() != null && u.memory().leaking()).count();
        row(h, "memory leaks", leaking + " of " + analytics.memoryUnits().size() + " units with a memory profile");
        h.raw("</table></section>");
    }

    private void utilization(Html h, Charts charts) {
        List<RunAnalytics.Utilization> us = analytics.utilization();
        h.raw("<section id=\"utilization\">");
        h.tag("h2", "Core utilization per pilot");
        h.tag("p", "What each pilot's cores did while it was ACTIVE: busy with executing units; overhead: held by"
                + " units the agent had given cores but not started yet (ALLOCATING) or that had exited and were not"
                + " yet collected (output, exit code, end report); or idle.");
        if (us.isEmpty()) {
            h.tag("p", "The session has no pilots.");
        }
        for (int i = 0; i < Math.min(MAX_PILOT_PLOTS, us.size()); i++) {
            figure(h, charts.svg(charts.utilization(analytics, us.get(i))));
        }
        if (us.size() > MAX_PILOT_PLOTS) {
            h.tag("p", "The plots show the first " + MAX_PILOT_PLOTS + " of " + us.size() + " pilots; the table"
                    + " lists all.");
        }
        if (!us.isEmpty()) {
            h.raw("<table><tr><th>pilot</th><th>resource</th><th class=\"n\">cores</th><th>state</th>"
                    + "<th class=\"n\">ACTIVE</th><th class=\"n\">busy</th><th class=\"n\">overhead</th>"
                    + "<th class=\"n\">idle</th><th>reason</th></tr>");
            for (RunAnalytics.Utilization u : us) {
                PilotRun p = u.pilot();
                boolean active = u.activeCoreSeconds() > 0;
                h.raw("<tr>").td(p.uid()).td(p.resource()).tdNumber(String.valueOf(p.cores())).td(p.state().name())
                        .tdNumber(active ? Charts.duration(u.activeCoreSeconds() / Math.max(1, p.cores())) : "–")
                        .tdNumber(active ? percent(u.busyShare()) : "–")
                        .tdNumber(active ? percent(u.overheadShare()) : "–")
                        .tdNumber(active ? percent(Math.max(0, 1 - u.busyShare() - u.overheadShare())) : "–")
                        .td(p.reason() == null ? "" : p.reason()).raw("</tr>");
            }
            h.raw("</table>");
        }
        h.raw("</section>");
    }

    private void concurrency(Html h, Charts charts) {
        h.raw("<section id=\"concurrency\">");
        h.tag("h2", "Concurrency and throughput");
        figure(h, charts.svg(charts.concurrency(analytics)));
        figure(h, charts.svg(charts.throughput(analytics)));
        h.raw("</section>");
    }

    private void distributions(Html h, Charts charts) {
        double[] durations = analytics.durations();
        double[] waits = analytics.queueWaits();
        h.raw("<section id=\"distributions\">");
        h.tag("h2", "Run times and queue waits");
        h.tag("p", "Run time: from EXECUTING to the unit's next state, per attempt. Queue wait: from submission"
                + " (or a restart) to EXECUTING.");
        if (durations.length > 0) {
            figure(h, charts.svg(charts.histogram("Run time per unit", "seconds", durations, Charts.DONE)));
        }
        if (waits.length > 0) {
            figure(h, charts.svg(charts.histogram("Queue wait per unit", "seconds", waits, Charts.OVERHEAD)));
        }
        if (durations.length == 0 && waits.length == 0) {
            h.tag("p", "No unit has executed.");
        } else {
            h.raw("<table><tr><th></th><th class=\"n\">units</th><th class=\"n\">min</th><th class=\"n\">median</th>"
                    + "<th class=\"n\">95th percentile</th><th class=\"n\">max</th></tr>");
            quantiles(h, "run time", durations);
            quantiles(h, "queue wait", waits);
            h.raw("</table>");
        }
        h.raw("</section>");
    }

    private static void quantiles(Html h, String what, double[] sorted) {
        h.raw("<tr>").td(what).tdNumber(String.valueOf(sorted.length));
        for (double q : new double[] {0, 0.5, 0.95, 1}) {
            h.tdNumber(sorted.length == 0 ? "–" : Charts.duration(RunAnalytics.quantile(sorted, q)));
        }
        h.raw("</tr>");
    }

    private void failures(Html h, Charts charts) {
        Map<ErrorCode, List<UnitRun>> byCode = analytics.failuresByCode();
        h.raw("<section id=\"failures\">");
        h.tag("h2", "Failures by error code");
        if (byCode.isEmpty()) {
            h.tag("p", "No unit failed or was canceled.");
            h.raw("</section>");
            return;
        }
        figure(h, charts.svg(charts.failures(byCode), Charts.WIDTH, Charts.failuresHeight(byCode.size())));
        h.raw("<table><tr><th>code</th><th class=\"n\">number</th><th>kind</th><th class=\"n\">units</th>"
                + "<th>for example</th></tr>");
        byCode.forEach((code, units) -> {
            UnitRun example = units.get(0);
            h.raw("<tr>").td(code.name()).tdNumber(String.valueOf(code.number()))
                    .td(code.recoverable() ? "recoverable" : "fatal").tdNumber(String.valueOf(units.size()))
                    .td(example.uid() + ": " + shorten(example.reason() == null ? "" : example.reason(), 200))
                    .raw("</tr>");
        });
        h.raw("</table></section>");
    }

    private void memory(Html h, Charts charts) {
        List<UnitRun> units = analytics.memoryUnits();
        h.raw("<section id=\"memory\">");
        h.tag("h2", "Memory and leaks");
        h.tag("p", "Each unit's process tree sampled by its agent (PSS + swap, as the PanDA pilot counts). A unit is"
                + " flagged as leaking when a line fitted to its series, without the first " + LeakRule.TRIM_START
                + " and last " + LeakRule.TRIM_END + " samples and with at least " + LeakRule.MIN_POINTS
                + " left, rises at least " + (long) (LeakRule.MIN_SLOPE_BYTES_PER_SECOND / 1024) + " KiB/s and by"
                + " at least " + percent(LeakRule.MIN_GROWTH) + " of its start, and fits the series (mean χ² at most "
                + LeakRule.MAX_MEAN_CHI2 + ").");
        if (units.isEmpty()) {
            h.tag("p", "No unit has memory samples (units that end before the first sample, or a pilot whose"
                    + " agent samples no memory, have none).");
            h.raw("</section>");
            return;
        }
        List<UnitRun> shown = units.subList(0, Math.min(MAX_MEMORY_UNITS, units.size()));
        figure(h, charts.svg(charts.memoryPeaks(shown), Charts.WIDTH, Charts.memoryPeaksHeight(shown.size())));
        // the leaking ones, then the longest series: a short unit's few samples say little
        List<UnitRun> series = shown.stream().filter(u -> !u.memory().samples().isEmpty())
                .sorted(java.util.Comparator.comparing((UnitRun u) -> !u.memory().leaking())
                        .thenComparing(u -> -u.memory().samples().size()))
                .limit(MAX_MEMORY_SERIES).toList();
        if (!series.isEmpty()) {
            figure(h, charts.svg(charts.memorySeries(series)));
        }
        if (units.size() > shown.size()) {
            h.tag("p", "The plot and the table show " + shown.size() + " of " + units.size()
                    + " units with memory samples: the leaking ones first, then the largest.");
        }
        h.raw("<table><tr><th>unit</th><th class=\"n\">peak RSS</th><th class=\"n\">peak PSS</th>"
                + "<th class=\"n\">peak swap</th><th class=\"n\">peak PSS + swap</th><th class=\"n\">limit</th>"
                + "<th class=\"n\">samples</th><th class=\"n\">slope</th><th class=\"n\">mean χ²</th>"
                + "<th>leak</th></tr>");
        for (UnitRun u : shown) {
            MemoryProfile m = u.memory();
            LinearFit fit = m.leak();
            h.raw(m.leaking() ? "<tr class=\"leak\">" : "<tr>").td(u.uid())
                    .tdNumber(MemoryProfile.mib(m.peakRss())).tdNumber(MemoryProfile.mib(m.peakPss()))
                    .tdNumber(MemoryProfile.mib(m.peakSwap())).tdNumber(MemoryProfile.mib(m.peakUsed()))
                    .tdNumber(m.limitBytes() > 0 ? MemoryProfile.mib(m.limitBytes()) : "–")
                    .tdNumber(m.samples().isEmpty() ? "–" : String.valueOf(m.samples().size()))
                    .tdNumber(fit == null ? "–" : rate(fit.slope()))
                    .tdNumber(fit == null ? "–" : String.format(Locale.ROOT, "%.4f", fit.meanChi2()))
                    .td(m.leaking() ? "LEAKING" : fit == null ? "too few samples" : "no").raw("</tr>");
        }
        h.raw("</table></section>");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void figure(Html h, String svg) {
        h.raw("<figure>").raw(svg).raw("</figure>");
    }

    private static void row(Html h, String key, String value) {
        h.raw("<tr><th>").text(key).raw("</th><td>").text(value).raw("</td></tr>");
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f %%", share * 100);
    }

    /** Bytes per second as KiB/s, or MiB/s from 1 MiB/s on. */
    static String rate(double bytesPerSecond) {
        return Math.abs(bytesPerSecond) < 1048576
                ? String.format(Locale.ROOT, "%.1f KiB/s", bytesPerSecond / 1024)
                : String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / 1048576);
    }

    private static String coreHours(double coreSeconds) {
        return String.format(Locale.ROOT, "%.3f core-hours", coreSeconds / 3600);
    }

    private static String shorten(String s, int max) {
        return s.codePointCount(0, s.length()) <= max ? s : s.substring(0, s.offsetByCodePoints(0, max)) + "…";
    }

    private static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#212121;background:#fafafa;margin:0}
            main{max-width:960px;margin:0 auto;padding:24px 32px;background:#fff}
            h1{font-size:26px;margin:0 0 4px}
            h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #e0e0e0;padding-bottom:4px}
            .sub{color:#616161;margin:0 0 16px}
            figure{margin:12px 0}
            figure svg{max-width:100%;height:auto;display:block}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}
            th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
            th.n,td.n{text-align:right;white-space:nowrap}
            table.kv th{color:#616161;font-weight:normal;white-space:nowrap}
            tr.leak td{background:#ffebee}
            code{font-size:13px}
            footer{margin-top:32px;color:#757575;font-size:12px}
            """;

    /** Builds the document; {@link #text} escapes, {@link #raw} does not. */
    private static final class Html {
        private final StringBuilder b = new StringBuilder(64 * 1024);

        Html raw(String s) {
            b.append(s);
            return this;
        }

        Html text(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '<' -> b.append("&lt;");
                    case '>' -> b.append("&gt;");
                    case '&' -> b.append("&amp;");
                    case '"' -> b.append("&quot;");
                    case '\'' -> b.append("&#39;");
                    default -> b.append(c);
                }
            }
            return this;
        }

        Html tag(String name, String text) {
            return raw("<" + name + ">").text(text).raw("</" + name + ">");
        }

        Html td(String text) {
            return tag("td", text);
        }

        Html tdNumber(String text) {
            return raw("<td class=\"n\">").text(text).raw("</td>");
        }

        @Override
        public String toString() {
            return b.toString();
        }
    }
}
