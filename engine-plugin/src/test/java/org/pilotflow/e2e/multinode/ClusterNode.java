package org.pilotflow.e2e.multinode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.model.UnitState;

/**
 * One engine node of {@link ClusterTest}, as its own JVM on the shared PostgreSQL database.
 * <ul>
 *   <li>{@code submit <work> <pilots> <units> <marks>}: creates a session and prints {@code SESSION <id>}; on
 *       {@code GO} (stdin) submits its pilots and units (each unit appends its id to {@code marks}), prints
 *       {@code SUBMITTED}, then serves.</li>
 *   <li>{@code serve <work> <session>}: opens the session and serves; prints {@code READY}, {@code LEADER} when it
 *       runs the cluster's watchdog, and {@code RESULT <counts>} once every unit is final.</li>
 * </ul>
 * Reads commands on stdin: {@code QUIT} (leave the pilots running) or {@code TERMINATE} (cancel them).
 */
public final class ClusterNode {

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[1]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Session session;
        if (args[0].equals("submit")) {
            session = LocalFixture.builder(work, ClusterTest.config(work)).create();
            System.out.println("SESSION " + session.uid());
            System.out.flush();
            startReporting(session);
            String go;
            while ((go = in.readLine()) != null && !go.equals("GO")) {
                // the test starts the other node first, so the agents are told about both
            }
            int pilots = Integer.parseInt(args[2]);
            int n = Integer.parseInt(args[3]);
            Path marks = Path.of(args[4]);
            List<ComputePilotDescription> pds = new ArrayList<>();
            for (int i = 0; i < pilots; i++) {
                pds.add(ComputePilotDescription.builder().resource("local.localhost").cores(2)
                        .runtime(Duration.ofMinutes(10)).sandbox(work.resolve("sandboxes").toString()).build());
            }
            List<ComputePilot> ps = session.createPilotManager().submitPilots(pds);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilots(ps);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/sh")
                        .arguments("-c", "echo $PILOTFLOW_UNIT_ID >> " + marks + "; sleep 0.3").build());
            }
            umgr.submitUnits(ds);
            System.out.println("SUBMITTED");
        } else {
            session = LocalFixture.builder(work, ClusterTest.config(work)).reconnect(args[2]);
            startReporting(session);
        }
        System.out.println("NODE " + PilotFlowRuntime.of(session.processEngine()).nodeId());
        System.out.println("READY");
        System.out.flush();
        String cmd;
        while ((cmd = in.readLine()) != null) {
            if (cmd.equals("QUIT") || cmd.equals("TERMINATE")) {
                session.close(cmd.equals("TERMINATE"));
                System.out.println("CLOSED");
                System.out.flush();
                System.exit(0);
            }
        }
    }

    private static void startReporting(Session session) {
        Thread watcher = new Thread(() -> report(session), "cluster-node-report");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Prints LEADER/FOLLOWER and NODES n when they change, and RESULT once every unit is final. */
    private static void report(Session session) {
        boolean leader = false;
        boolean reported = false;
        int nodes = 0;
        while (true) {
            try {
                PilotFlowRuntime runtime = PilotFlowRuntime.of(session.processEngine());
                if (runtime.liveNodes() != nodes) {
                    nodes = runtime.liveNodes();
                    System.out.println("NODES " + nodes);
                }
                boolean now = runtime.runsWatchdog();
                if (now != leader) {
                    leader = now;
                    System.out.println(now ? "LEADER" : "FOLLOWER");
                }
                List<UnitManager> ums = session.unitManagers();
                if (!reported && !ums.isEmpty()) {
                    List<ComputeUnit> units = ums.get(0).getUnits(List.of());
                    if (!units.isEmpty() && units.stream().allMatch(u -> u.state().isFinal())) {
                        Map<UnitState, Integer> count = new EnumMap<>(UnitState.class);
                        units.forEach(u -> count.merge(u.state(), 1, Integer::sum));
                        System.out.println("RESULT " + count);
                        reported = true;
                    }
                }
                System.out.flush();
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.out.println("REPORT-ERROR " + e);
            }
        }
    }
}
