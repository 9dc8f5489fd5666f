package org.pilotflow.resource.sge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.pilotflow.resource.batch.BatchText;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** Reads the output of qsub, qstat and qacct as PilotFlow calls them. */
final class SgeOutput {

    /** {@code 4711}, or {@code 4711.1-3:1} for an array job: {@code qsub -terse}. */
    private static final Pattern QSUB = Pattern.compile("(\\d+)(\\.\\S*)?");
    private static final Pattern ERROR_REASON = Pattern.compile("(?m)^error reason\\s+\\d+:\\s*(.*)$");
    private static final String QACCT_SEPARATOR = "==============================================================";

    /**
     * One finished job as {@code qacct -j} reports it.
     *
     * @param failed     e.g. {@code 0}, {@code 100 : assumedly after job}
     * @param exitStatus e.g. {@code 0}, {@code 137 (Killed)}
     */
    record Accounted(String jobId, String failed, String exitStatus) { }

    /** One job of {@code qstat -xml}: its id, name ({@code JB_name}) and state letters. */
    record Listed(String id, String name, String state) { }

    private SgeOutput() {
    }

    /** The job id in {@code qsub -terse} output. */
    static Optional<String> qsubJobId(String stdout) {
        String[] lines = stdout.strip().split("\n");
        Matcher m = QSUB.matcher(lines[lines.length - 1].strip());
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The state letters ({@code r}, {@code qw}, {@code Eqw}, {@code dr}, {@code z}, ...) of every job in
     * {@code qstat -xml} output, by job id. A job listed more than once (an array job's tasks) keeps its first live
     * state: a finished task ({@code z}) does not hide running ones.
     *
     * @throws IllegalArgumentException when the output is not qstat's XML
     */
    static Map<String, String> qstatXml(String stdout) {
        Document doc = parse(stdout);
        NodeList jobs = doc.getElementsByTagName("job_list");
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < jobs.getLength(); i++) {
            Element job = (Element) jobs.item(i);
            String id = child(job, "JB_job_number");
            String state = child(job, "state");
            if (id != null && state != null && (!out.containsKey(id) || SgeStates.finished(out.get(id)))) {
                out.put(id, state);
            }
        }
        return out;
    }

    /**
     * Every job of {@code qstat -xml} output with its name, in the order listed (an array job's tasks once each).
     *
     * @throws IllegalArgumentException when the output is not qstat's XML
     */
    static List<Listed> qstatJobs(String stdout) {
        NodeList jobs = parse(stdout).getElementsByTagName("job_list");
        List<Listed> out = new ArrayList<>();
        for (int i = 0; i < jobs.getLength(); i++) {
            Element job = (Element) jobs.item(i);
            String id = child(job, "JB_job_number");
            String name = child(job, "JB_name");
            String state = child(job, "state");
            if (id != null && name != null && state != null) {
                out.add(new Listed(id, name, state));
            }
        }
        return out;
    }

    /** The error reasons of {@code qstat -j <id>} (why a job is in state Eqw), joined; empty when there is none. */
    static String errorReasons(String stdout) {
        List<String> reasons = new ArrayList<>();
        Matcher m = ERROR_REASON.matcher(stdout);
        while (m.find()) {
            reasons.add(m.group(1).strip());
        }
        return String.join("; ", reasons);
    }

    /** The last record of {@code qacct -j <id>} output for that job, if there is one. */
    static Optional<Accounted> qacct(String jobId, String stdout) {
        Accounted last = null;
        for (String block : stdout.split(QACCT_SEPARATOR)) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String line : block.split("\n")) {
                String l = line.strip();
                int sp = l.indexOf(' ');
                if (sp > 0) {
                    fields.put(l.substring(0, sp), BatchText.squeeze(l.substring(sp)));
                }
            }
            if (jobId.equals(fields.get("jobnumber")) && fields.containsKey("exit_status")) {
                last = new Accounted(jobId, fields.getOrDefault("failed", "?"), fields.get("exit_status"));
            }
        }
        return Optional.ofNullable(last);
    }

    private static String child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().strip();
            }
        }
        return null;
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            // qstat's output needs no DTD or entities; refuse them (no external entities from a remote host)
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalArgumentException("not qstat -xml output: " + e.getMessage(), e);
        }
    }
}
