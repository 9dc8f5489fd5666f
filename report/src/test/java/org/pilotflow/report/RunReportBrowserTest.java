package org.pilotflow.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.pilotflow.cli.RealRun;
import org.pilotflow.testing.TestBackends;

/**
 * The run report as a person sees it: opened from a file in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven through Selenium), every plot laid out with its text, nothing fetched, nothing
 * logged as an error; a full-page screenshot of each report is kept in {@code target/report-screenshots/}.
 * Skips without Chromium; fails under {@code CI=true}.
 */
class RunReportBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "report-screenshots").toAbsolutePath();
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 900;

    private static ChromeDriver browser;
    /** Why there is no browser; null when there is one. A skip here, not in @BeforeAll, still counts the tests. */
    private static String missing;

    @BeforeAll
    static void startChromium() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            missing = "headless Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver fonts-dejavu-core";
            if (TestBackends.underCi()) {
                Assertions.fail(missing + "\nUnder CI=true it must be there: .ci/run installs it.");
            }
            return;
        }
        Files.createDirectories(SCREENSHOTS);
        // Selenium looks for CDP bindings of this Chromium version; the screenshots use chromedriver's own endpoint
        java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder").setLevel(Level.SEVERE);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()) // a given driver: Selenium Manager never runs
                .usingAnyFreePort()
                .withLogFile(SCREENSHOTS.resolve("chromedriver.log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox" /* root in CI */, "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=" + WIDTH + "," + HEIGHT, "--force-device-scale-factor=1",
                "--hide-scrollbars", "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofMinutes(2));
    }

    @BeforeEach
    void requireChromium() {
        Assumptions.assumeTrue(missing == null, missing);
    }

    @AfterAll
    static void stopChromium() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void theReportOfARealRunShowsEveryPlot() throws Exception {
        RealRun.Result run = RealRun.get();
        assertThat(run.exit()).as(run.stderr()).isZero();
        open(run.html());
        assertThat(browser.getTitle()).isEqualTo("PilotFlow run report: " + run.sessionId());
        // 2 pilots, concurrency, throughput, run times, queue waits, failures (exit 3), memory peaks, memory series
        assertPlotsLaidOut(9);
        assertThat(text("#summary")).contains("units 20 (17 DONE, 3 FAILED)").contains("pilots 2 with 4 cores");
        assertThat(plotTexts()).contains("EXIT_CODE (1101)", "busy (executing)");
        assertNothingFetchedNorLogged();
        screenshot("real-run.png");
    }

    @Test
    void leaksAndFailureCodesStandOut() throws Exception {
        Path html = SCREENSHOTS.resolve("sample-run.html");
        RunReport.of(SampleRuns.rich()).write(html);
        open(html);
        assertPlotsLaidOut(9);
        List<WebElement> leaks = browser.findElements(By.cssSelector("#memory tr.leak"));
        assertThat(leaks).hasSize(2).allSatisfy(row -> {
            assertThat(row.isDisplayed()).isTrue();
            assertThat(row.findElement(By.cssSelector("td")).getCssValue("background-color"))
                    .isEqualTo("rgba(255, 235, 238, 1)");
            assertThat(row.getText()).contains("LEAKING");
        });
        assertThat(plotTexts()).contains("EXIT_CODE (1101)", "PILOT_LOST (1201)", "MEMORY_EXCEEDED (1107)",
                "unit.000017 (leaking)", "leaking", "recoverable", "fatal");
        // the reason with markup in it is text on the page, not an element
        assertThat(browser.findElements(By.cssSelector("#failures script"))).isEmpty();
        assertThat(text("#failures")).contains("<script>alert('x')</script> & more");
        assertNothingFetchedNorLogged();
        screenshot("sample-run.png");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void open(Path file) {
        browser.get(file.toUri().toString());
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText().replace('\n', ' ');
    }

    /** Every plot has a size on the page and its text was laid out with a real font (width 0 without fonts). */
    private static void assertPlotsLaidOut(int plots) {
        List<WebElement> svgs = browser.findElements(By.cssSelector("figure > svg"));
        assertThat(svgs).hasSize(plots);
        for (WebElement svg : svgs) {
            assertThat(svg.getRect().getWidth()).as(svg.getAttribute("id")).isGreaterThan(400);
            assertThat(svg.getRect().getHeight()).as(svg.getAttribute("id")).isGreaterThan(150);
            Number title = (Number) js("let t = arguments[0].querySelector('text');"
                    + " return t ? t.getComputedTextLength() : 0;", svg);
            assertThat(title.doubleValue()).as("text of %s", svg.getAttribute("id")).isGreaterThan(10);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> plotTexts() {
        return (List<String>) js("return Array.from(document.querySelectorAll('svg text'), t => t.textContent);");
    }

    private static void assertNothingFetchedNorLogged() {
        assertThat(((Number) js("return performance.getEntriesByType('resource').length;")).intValue())
                .as("resources fetched").isZero();
        List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
        assertThat(severe).as("console errors (a missing file shows here)").isEmpty();
    }

    /** The whole page, beyond the window, through the DevTools protocol; kept, and checked not to be blank. */
    private static void screenshot(String name) throws Exception {
        Map<String, Object> metrics = browser.executeCdpCommand("Page.getLayoutMetrics", Map.of());
        Map<?, ?> size = (Map<?, ?>) metrics.get("cssContentSize");
        double w = ((Number) size.get("width")).doubleValue();
        double h = ((Number) size.get("height")).doubleValue();
        Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
                "captureBeyondViewport", true, "fromSurface", true,
                "clip", Map.of("x", 0, "y", 0, "width", w, "height", h, "scale", 1)));
        byte[] png = Base64.getDecoder().decode((String) shot.get("data"));
        Files.write(SCREENSHOTS.resolve(name), png);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int page = ((Number) js("return document.documentElement.scrollHeight;")).intValue();
        assertThat(image.getHeight()).as("the whole page").isEqualTo(page).isGreaterThan(HEIGHT);
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colors.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        assertThat(colors.size()).as("colours in the screenshot").isGreaterThan(16);
        // the busy colour of the utilization plots is on the page
        assertThat(colors).contains(0x2e7d32);
    }
}
