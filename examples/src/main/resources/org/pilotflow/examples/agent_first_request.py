#!/usr/bin/env python3
"""How long an agent's JVM takes from its start to its first sync request, for two agent jars in one run.

An A/B of an agent change without the engine's share of a pilot start (PilotStartBenchmark measures the whole
start, and its spread between runs is wider than a change of 0.05 s). Each jar gets a class archive made as the
engine makes it (ClassArchiveTraining under -XX:ArchiveClassesAtExit), and starts with the JVM options the engine
gives an agent (AgentStaging) and that archive; a socket on 127.0.0.1 stands in for the engine and takes the first
request, then the agent is killed. The jars take turns (each goes first every other round), so both see the same
load; it prints each jar's median and the median of the paired differences; `java -version` with the same options is
the baseline.

    python3 agent_first_request.py --config <a pilot's agent.json> --rounds 15 OLD.jar NEW.jar

The agent.json of any pilot will do (its endpoints and sandbox are replaced); the jars are agent/target/*-all.jar
of the two builds.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

JVM_OPTIONS = ["-Djdk.lang.Process.launchMechanism=VFORK", "-XX:+UseSerialGC", "-Xss512k",
               "-XX:TieredStopAtLevel=1"]


def archive(jar, work, name):
    path = os.path.join(work, name + ".jsa")
    subprocess.run(["java", "-XX:ArchiveClassesAtExit=" + path] + JVM_OPTIONS
                   + ["-cp", jar, "org.pilotflow.agent.ClassArchiveTraining", os.path.join(work, "train-" + name)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    if not os.path.exists(path):
        raise SystemExit(f"the training of {jar} wrote no archive")
    return path


def first_request_ms(jar, jsa, config, work):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(60)
        config = dict(config, endpoints=[f"http://127.0.0.1:{server.getsockname()[1]}/sessions/x"],
                      sandbox=os.path.join(work, "sandbox"))
        os.makedirs(config["sandbox"], exist_ok=True)
        path = os.path.join(work, "agent.json")
        with open(path, "w") as f:
            json.dump(config, f)
        t0 = time.monotonic()
        agent = subprocess.Popen(["java"] + JVM_OPTIONS + ["-XX:SharedArchiveFile=" + jsa, "-jar", jar, path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            conn, _ = server.accept()
            with conn:
                conn.recv(100)
                return (time.monotonic() - t0) * 1000
        finally:
            agent.kill()
            agent.wait()


def java_version_ms():
    t0 = time.monotonic()
    subprocess.run(["java"] + JVM_OPTIONS + ["-version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return (time.monotonic() - t0) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="a pilot's agent.json")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("jars", nargs=2)
    a = p.parse_args()
    with open(a.config) as f:
        config = json.load(f)
    with tempfile.TemporaryDirectory() as work:
        jars = {f"jar {i + 1}": (jar, archive(jar, work, f"jar{i + 1}")) for i, jar in enumerate(a.jars)}
        times = {name: [] for name in list(jars) + ["java -version"]}
        for r in range(a.rounds):
            # each jar goes first every other round: neither always starts right after the other
            for name, (jar, jsa) in (list(jars.items()) if r % 2 == 0 else list(reversed(jars.items()))):
                times[name].append(first_request_ms(jar, jsa, config, work))
            times["java -version"].append(java_version_ms())
    print(f"agent JVM start -> first sync request, ms, {a.rounds} starts each, taking turns; load average "
          f"{os.getloadavg()[0]:.2f}")
    width = max(len(n) for n in times) + max(len(os.path.basename(j)) + 3 for j, _ in jars.values())
    print(f"| {'':<{width}} | median | min   | max   |")
    for name, v in times.items():
        label = name + (f" ({os.path.basename(jars[name][0])})" if name in jars else "")
        print(f"| {label:<{width}} | {statistics.median(v):6.0f} | {min(v):5.0f} | {max(v):5.0f} |")
    paired = [b - a for a, b in zip(times["jar 1"], times["jar 2"])]
    print(f"jar 2 - jar 1, the same round: median {statistics.median(paired):+.0f} ms, "
          f"{sum(d < 0 for d in paired)} of {len(paired)} rounds faster")


if __name__ == "__main__":
    main()
