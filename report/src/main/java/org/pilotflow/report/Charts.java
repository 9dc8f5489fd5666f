package org.pilotflow.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StackedXYAreaRenderer2;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.DefaultTableXYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.memory.MemorySample;
import org.pilotflow.report.RunData.UnitRun;

/**
 * The report's plots: JFreeChart lays each one out and draws it, JFreeSVG records the drawing as an inline
 * {@code <svg>} element (text stays text, so it scales and can be searched). One instance per report: it numbers the
 * plots so that their SVG ids (clip paths, gradients) do not collide in one page.
 */
final class Charts {

    static final int WIDTH = 880;
    static final int HEIGHT = 300;

    static final Color BUSY = new Color(0x2e7d32);
    static final Color OVERHEAD = new Color(0xf9a825);
    static final Color IDLE = new Color(0xcfd8dc);
    static final Color DONE = new Color(0x1565c0);
    static final Color FAILED = new Color(0xc62828);

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final String SECONDS = "seconds since the session's first event";

    private int plots;

    /** The chart drawn as an {@code <svg>} element {@code width} × {@code height} with a matching view box. */
    String svg(JFreeChart chart, int width, int height) {
        String id = "plot" + ++plots;
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        g.setDefsKeyPrefix(id + "_");
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        return g.getSVGElement(id, true, new ViewBox(0, 0, width, height), null, null);
    }

    String svg(JFreeChart chart) {
        return svg(chart, WIDTH, HEIGHT);
    }

    // ------------------------------------------------------------------------------------------------ time series

    /** A pilot's cores over time, stacked: busy, overhead, idle. */
    JFreeChart utilization(RunAnalytics a, RunAnalytics.Utilization u) {
        DefaultTableXYDataset ds = new DefaultTableXYDataset();
        ds.addSeries(binned(a, "busy (executing)", u.busy()));
        ds.addSeries(binned(a, "overhead (launching, collecting)", u.overhead()));
        ds.addSeries(binned(a, "idle", u.idle()));
        JFreeChart c = ChartFactory.createXYLineChart(u.pilot().uid() + " — " + u.pilot().cores() + " cores on "
                + u.pilot().resource(), SECONDS, "cores", ds, PlotOrientation.VERTICAL, true, false, false);
        XYPlot p = c.getXYPlot();
        StackedXYAreaRenderer2 r = new StackedXYAreaRenderer2();
        r.setSeriesPaint(0, BUSY);
        r.setSeriesPaint(1, OVERHEAD);
        r.setSeriesPaint(2, IDLE);
        p.setRenderer(r);
        ((NumberAxis) p.getRangeAxis()).setRange(0, Math.max(1, u.pilot().cores()) * 1.05);
        return styled(c);
    }

    /** Units executing at once over time. */
    JFreeChart concurrency(RunAnalytics a) {
        return lines("Units executing at once (mean per " + duration(a.binWidth()) + ")", "units",
                new XYSeriesCollection(binned(a, "units executing", a.concurrency())), DONE);
    }

    /** Units finished per second over time: DONE, and FAILED or CANCELED. */
    JFreeChart throughput(RunAnalytics a) {
        XYSeriesCollection ds = new XYSeriesCollection();
        ds.addSeries(binned(a, "DONE", a.finishedPerSecond(org.pilotflow.model.UnitState.DONE)));
        ds.addSeries(binned(a, "FAILED or CANCELED", a.finishedPerSecond(org.pilotflow.model.UnitState.FAILED,
                org.pilotflow.model.UnitState.CANCELED)));
        return lines("Units finished per second (mean per " + duration(a.binWidth()) + ")", "units / s", ds,
                DONE, FAILED);
    }

    private static XYSeries binned(RunAnalytics a, String key, double[] values) {
        XYSeries s = new XYSeries(key, false, false);
        for (int i = 0; i < values.length; i++) {
            s.add(a.binCenter(i), values[i]);
        }
        return s;
    }

    private static JFreeChart lines(String title, String yLabel, XYSeriesCollection ds, Paint... paints) {
        JFreeChart c = ChartFactory.createXYLineChart(title, SECONDS, yLabel, ds, PlotOrientation.VERTICAL,
                ds.getSeriesCount() > 1, false, false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < paints.length; i++) {
            r.setSeriesPaint(i, paints[i]);
            r.setSeriesStroke(i, new BasicStroke(1.6f));
        }
        c.getXYPlot().setRenderer(r);
        return styled(c);
    }

    // ------------------------------------------------------------------------------------------------ distributions

    /** A histogram of {@code values} (seconds), 30 bins or fewer. */
    JFreeChart histogram(String title, String xLabel, double[] values, Color color) {
        HistogramDataset ds = new HistogramDataset();
        double min = values.length == 0 ? 0 : values[0];
        double max = values.length == 0 ? 1 : values[values.length - 1];
        if (max <= min) {
            max = min + Math.max(1e-3, Math.abs(min) * 0.01); // all equal: one visible bin
        }
        ds.addSeries("units", values, Math.max(1, Math.min(30, values.length)), min, max);
        JFreeChart c = ChartFactory.createHistogram(title, xLabel, "units", ds, PlotOrientation.VERTICAL, false,
                false, false);
        XYBarRenderer r = (XYBarRenderer) c.getXYPlot().getRenderer();
        r.setBarPainter(new StandardXYBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, color);
        r.setDrawBarOutline(true);
        r.setSeriesOutlinePaint(0, Color.WHITE);
        return styled(c);
    }

    // ------------------------------------------------------------------------------------------------ categories

    /** Failed and canceled units per error code, one bar each. */
    JFreeChart failures(Map<ErrorCode, List<UnitRun>> byCode) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        byCode.forEach((code, units) -> ds.addValue(units.size(), code.recoverable() ? "recoverable" : "fatal",
                code.name() + " (" + code.number() + ")"));
        JFreeChart c = ChartFactory.createStackedBarChart("Failed and canceled units by error code", null, "units",
                ds, PlotOrientation.HORIZONTAL, true, false, false);
        bars(c, FAILED, OVERHEAD, ds.getRowKeys().indexOf("recoverable"));
        return styled(c);
    }

    static int failuresHeight(int codes) {
        return Math.max(200, 110 + 30 * codes);
    }

    /** Peak {@code pss + swap} per unit (the first {@code units}), leaking ones in red. */
    JFreeChart memoryPeaks(List<UnitRun> units) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (UnitRun u : units) {
            ds.addValue(u.memory().peakUsed() / 1048576.0, u.memory().leaking() ? "leaking" : "no leak found",
                    u.uid());
        }
        JFreeChart c = ChartFactory.createStackedBarChart("Peak memory per unit (PSS + swap)", null, "MiB", ds,
                PlotOrientation.HORIZONTAL, true, false, false);
        bars(c, DONE, FAILED, ds.getRowKeys().indexOf("leaking"));
        return styled(c);
    }

    static int memoryPeaksHeight(int units) {
        return Math.max(200, 110 + 20 * units);
    }

    private static void bars(JFreeChart c, Color normal, Color marked, int markedRow) {
        CategoryPlot p = c.getCategoryPlot();
        BarRenderer r = (BarRenderer) p.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setMaximumBarWidth(0.08);
        int rows = p.getDataset().getRowCount();
        for (int i = 0; i < rows; i++) {
            r.setSeriesPaint(i, i == markedRow ? marked : normal);
        }
    }

    /** The memory series of the given units over each unit's own time. */
    JFreeChart memorySeries(List<UnitRun> units) {
        XYSeriesCollection ds = new XYSeriesCollection();
        for (UnitRun u : units) {
            XYSeries s = new XYSeries(u.uid() + (u.memory().leaking() ? " (leaking)" : ""), false, true);
            for (MemorySample m : u.memory().samples()) {
                s.add(m.atMillis() / 1000.0, m.used() / 1048576.0);
            }
            ds.addSeries(s);
        }
        JFreeChart c = ChartFactory.createXYLineChart("Memory over each unit's run (PSS + swap)",
                "seconds since the unit's first process started", "MiB", ds, PlotOrientation.VERTICAL, true, false,
                false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < units.size(); i++) {
            r.setSeriesStroke(i, new BasicStroke(1.6f));
        }
        c.getXYPlot().setRenderer(r);
        return styled(c);
    }

    // ------------------------------------------------------------------------------------------------ style

    private static JFreeChart styled(JFreeChart c) {
        c.setBackgroundPaint(Color.WHITE);
        c.setAntiAlias(true);
        TextTitle t = c.getTitle();
        if (t != null) {
            t.setFont(TITLE);
        }
        if (c.getLegend() != null) {
            c.getLegend().setItemFont(LABEL);
            c.getLegend().setFrame(org.jfree.chart.block.BlockBorder.NONE);
        }
        if (c.getPlot() instanceof XYPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(new Color(0xe0e0e0));
            p.setRangeGridlinePaint(new Color(0xe0e0e0));
            p.setOutlineVisible(false);
            for (var axis : List.of(p.getDomainAxis(), p.getRangeAxis())) {
                axis.setLabelFont(LABEL);
                axis.setTickLabelFont(TICK);
            }
        } else if (c.getPlot() instanceof CategoryPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setRangeGridlinePaint(new Color(0xe0e0e0));
            p.setOutlineVisible(false);
            p.getDomainAxis().setTickLabelFont(TICK);
            p.getRangeAxis().setLabelFont(LABEL);
            p.getRangeAxis().setTickLabelFont(TICK);
            p.getRangeAxis().setStandardTickUnits(NumberAxis.createStandardTickUnits());
        }
        return c;
    }

    /** Seconds as a short duration for titles: 250 ms, 1.5 s, 3.2 min. */
    static String duration(double seconds) {
        if (seconds < 1) {
            return String.format(java.util.Locale.ROOT, "%.0f ms", seconds * 1000);
        }
        if (seconds < 120) {
            return String.format(java.util.Locale.ROOT, "%.1f s", seconds);
        }
        if (seconds < 7200) {
            return String.format(java.util.Locale.ROOT, "%.1f min", seconds / 60);
        }
        return String.format(java.util.Locale.ROOT, "%.1f h", seconds / 3600);
    }
}
