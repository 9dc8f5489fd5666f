"""The Dask side of PeerBenchmark: the same measurements on a LocalCluster of 2 workers x 1 thread, one JSON line out.

Run by PeerBenchmark with /usr/bin/python3 (Debian's python3-distributed); by hand:
    /usr/bin/python3 dask_peer.py --units 2000 --repeats 3
The last line on stdout is the JSON result; everything else (Dask's logging) goes to stderr.
"""
import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time


def run_true(_):
    subprocess.run(["/bin/true"], check=True)


def noop(_):
    return None


def timed_true(_):
    """/bin/true with its own start and end on the worker's clock (same host as the client)."""
    start = time.time()
    subprocess.run(["/bin/true"], check=True)
    return start, time.time()


def sleep_one(_):
    subprocess.run(["sleep", "1"], check=True)


def percentile(values, p):
    """Nearest rank, as the Java side's Examples.percentile."""
    if not values:
        return -1
    s = sorted(values)
    rank = max(1, -(-p * len(s) // 100))
    return s[min(len(s), int(rank)) - 1]


def throughput(client, fn, n):
    """Tasks per second from the first submit until the client has seen the last result."""
    from distributed import wait
    t0 = time.perf_counter()
    futures = client.map(fn, range(n), pure=False)
    done = wait(futures)
    elapsed = time.perf_counter() - t0
    failed = sum(1 for f in done.done if f.status != "finished")
    del futures, done
    return n / elapsed, failed


def light_load(client, interval, count):
    """One subprocess task every `interval` s: submit -> start p50/p99, end -> seen by the client p50, in ms."""
    seen = {}
    lock = threading.Lock()
    cond = threading.Condition(lock)

    def on_done(key):
        def cb(_future):
            with cond:
                seen[key] = time.time()
                cond.notify_all()
        return cb

    submitted = []
    futures = []
    next_tick = time.perf_counter()
    for i in range(count):
        delay = next_tick - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        next_tick += interval
        t = time.time()
        f = client.submit(timed_true, i, pure=False)
        f.add_done_callback(on_done(f.key))
        submitted.append(t)
        futures.append(f)
    with cond:
        cond.wait_for(lambda: len(seen) == count, timeout=120 + count * interval)
    to_start, to_seen = [], []
    for t, f in zip(submitted, futures):
        start, end = f.result()
        to_start.append((start - t) * 1000)
        if f.key in seen:
            to_seen.append((seen[f.key] - end) * 1000)
    return {"count": count, "interval_ms": int(interval * 1000),
            "start_p50_ms": percentile(to_start, 50), "start_p99_ms": percentile(to_start, 99),
            "seen_p50_ms": percentile(to_seen, 50)}


def rss_mb(client):
    """Resident memory in MB: this process (a LocalCluster's scheduler runs in it, with the client) and the workers."""
    import psutil

    def rss():
        return psutil.Process().memory_info().rss

    workers = sum(client.run(rss).values())
    return {"scheduler_client_mb": rss() / 2**20, "workers_mb": workers / 2**20}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--light-fast", type=int, default=100, help="tasks at one per 100 ms")
    ap.add_argument("--light-slow", type=int, default=20, help="tasks at one per second")
    ap.add_argument("--sleep-units", type=int, default=200, help="sleep 1 tasks for the utilization row")
    a = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

    import dask
    import distributed
    from distributed import Client, LocalCluster

    result = {"dask": dask.__version__, "distributed": distributed.__version__,
              "python": sys.version.split()[0], "units": a.units}
    t0 = time.perf_counter()
    # processes, not threads: a worker per core as a pilot's agent runs a task per core
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    result["cluster_start_s"] = time.perf_counter() - t0
    try:
        throughput(client, run_true, a.warmup)
        throughput(client, noop, a.warmup)
        sub, nop, failed = [], [], 0
        for r in range(a.repeats):
            tps, f = throughput(client, run_true, a.units)
            sub.append(tps)
            failed += f
            if r == 0:
                result["rss_after_n"] = rss_mb(client)
            tps, f = throughput(client, noop, a.units)
            nop.append(tps)
            failed += f
            print(f"repeat {r + 1}: subprocess {sub[-1]:.1f}/s, no-op {nop[-1]:.1f}/s", file=sys.stderr)
        result["subprocess_tps"] = sub
        result["noop_tps"] = nop
        result["subprocess_tps_median"] = statistics.median(sub)
        result["noop_tps_median"] = statistics.median(nop)
        result["failed"] = failed
        result["light"] = [light_load(client, 0.1, a.light_fast), light_load(client, 1.0, a.light_slow)]
        if a.sleep_units > 0:
            t = time.perf_counter()
            from distributed import wait
            wait(client.map(sleep_one, range(a.sleep_units), pure=False))
            wall = time.perf_counter() - t
            ideal = -(-a.sleep_units // 2) * 1.0
            result["sleep_units"] = a.sleep_units
            result["sleep_wall_s"] = wall
            result["sleep_ideal_s"] = ideal
    finally:
        client.close()
        cluster.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
