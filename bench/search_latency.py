"""Latency of /api/search, /api/suggest and /api/connections on a large generated dataset.

Generates projects with bench/generate_projects.py (seeded), loads them with the bundled
data into a store (reused when it is already there), starts ``tillvaxtgraf serve`` on a
free loopback port and sends requests from 8 clients: through ``wrk`` (C, keep-alive) for
a fixed time when it is installed, else a bounded batch from 8 threads of ``requests``
sessions (``--client python``; on two cores that client competes with the server for the
CPU, and its threads for their own GIL, so its latencies are partly its own). Prints
p50/p95/max per endpoint as a Markdown table.

The warm-up sends every distinct request once, so with the service's response cache on
(its default) the timed requests are all answered from it: the figures of repeated
searches. ``--no-cache`` turns the cache off, so that every request is searched, as a
search asked for the first time is.

    python bench/search_latency.py --store /tmp/bench/store --projects 100000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from harness import ID, ensure_store, free_port, percentile, run_wrk

# What people type: whole names, prefixes as they type, accent-free, one typo, English.
SEARCHES = ["tillvaxtverket", "Tillväxtverket", "tillvaxtverkt", "SKR", "reglab", "vinnova",
            "orebro", "Västra Gotaland", "region skane", "Kapitalförsörjning", "export",
            "2017:583", "anslag 1:1", "Näringsdepartementet", "Ministry of Enterprise",
            "Norrbotten", "Kiruna", "Malmo", "innovation", "kompetensförsörjning",
            "ERUF", "Regionalfonden", "uppsala lan", "hållbar", "stockholm", "projekt",
            "utveckling", "Göteborgs universitet", "forskning", "turism"]
ENTITIES = [ID + p for p in (
    "agency/tillvaxtverket", "agency/vinnova", "region/12", "region/01", "region/25",
    "arena/reglab", "organisation/skr", "ministry/naringsdepartementet",
    "municipality/2584", "municipality/1280", "municipality/1880", "county/14",
    "priority/kapitalforsorjning", "funding-source/eruf", "government/regeringskansliet",
    "regulation/sfs-2017-583")]


def prefixes(words: list[str]) -> list[str]:
    typed = []
    for word in words:
        for end in range(3, len(word) + 1, 2):
            typed.append(word[:end])
    return typed


def run(base: str, paths: list[str], concurrency: int, budget: float) -> list[float]:
    """Send every path once (bounded in count and time); the latencies in milliseconds."""
    deadline = time.monotonic() + budget
    sessions = [requests.Session() for _ in range(concurrency)]

    def worker(index: int) -> list[float]:
        session, timings = sessions[index], []
        for path in paths[index::concurrency]:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = session.get(base + path, timeout=30)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        return timings

    with ThreadPoolExecutor(concurrency) as pool:
        return [t for part in pool.map(worker, range(concurrency)) for t in part]


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by a process and its descendants (Linux /proc): the
    server's own cost per request, which a busy shared machine inflates far less than
    its latency."""
    parents, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                text = fh.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(ticks.get(pid, 0) for pid in family) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/tillvaxtgraf-bench/store"))
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1200, help="per endpoint")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per endpoint")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="seconds per endpoint with wrk")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: the service's own default)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per gunicorn worker (default: the service's own)")
    parser.add_argument("--no-cache", action="store_true",
                        help="serve with the response cache off (every request searched)")
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="the server's GIL switch interval in seconds (experiments)")
    parser.add_argument("--only", action="append", default=None,
                        help="measure only this endpoint, e.g. /api/search (repeatable)")
    args = parser.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    ensure_store(args.store, args.projects, args.seed)

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLVAXTGRAF_")}
    env["TILLVAXTGRAF_STORE"] = str(args.store)
    env["TILLVAXTGRAF_LOG_LEVEL"] = "WARNING"
    env["TILLVAXTGRAF_RATE_LIMIT"] = "off"  # one client address sends everything here
    if args.no_cache:
        env["TILLVAXTGRAF_RESULT_CACHE_BYTES"] = "0"
    if args.workers:
        env["TILLVAXTGRAF_WORKERS"] = str(args.workers)
    if args.threads:
        env["TILLVAXTGRAF_THREADS"] = str(args.threads)
    command = [sys.executable, "-m", "tillvaxtgraf"]
    if args.switch_interval:  # gunicorn's workers are forked and keep the interval
        command = [sys.executable, "-c", "import runpy, sys; sys.setswitchinterval("
                   f"{args.switch_interval}); sys.argv[0] = 'tillvaxtgraf'; "
                   "runpy.run_module('tillvaxtgraf', run_name='__main__')"]
    server = subprocess.Popen([*command, "serve", "--host",
                               "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:  # not up yet, or slow on a busy machine
                pass
            time.sleep(0.2)
        rng = random.Random(args.seed)
        typed = prefixes(SEARCHES)
        plans = {
            "/api/search": [f"/api/search?q={quote(rng.choice(SEARCHES))}"
                            for _ in range(args.requests)],
            "/api/suggest": [f"/api/suggest?q={quote(rng.choice(typed))}"
                             for _ in range(args.requests)],
            "/api/connections": [],
        }
        while len(plans["/api/connections"]) < args.requests // 4:
            a, b = rng.sample(ENTITIES, 2)
            plans["/api/connections"].append(
                f"/api/connections?{urlencode({'from': a, 'to': b})}")
        if args.only:
            plans = {name: paths for name, paths in plans.items() if name in args.only}
        for paths in plans.values():  # warm up: every distinct request once
            run(base, sorted(set(paths)), args.concurrency, args.budget)
        triples = requests.get(base + "/-/graphs", headers={"Accept": "application/json"},
                               timeout=30).json()
        total = sum(g.get("triples", 0) or 0 for g in triples.get("graphs", []))
        use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
        print(f"\n{args.projects:,} projects, {total:,} triples, concurrency "
              f"{args.concurrency}, client {'wrk' if use_wrk else 'python threads'}, "
              f"response cache {'off' if args.no_cache else 'on'}\n")
        print("| endpoint | requests | p50 ms | p95 ms | max ms | server CPU ms/request |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, paths in plans.items():
            cpu = tree_cpu(server.pid)
            if use_wrk:
                with tempfile.TemporaryDirectory() as work:
                    done = run_wrk(port, paths, args.concurrency, args.seconds, Path(work))
                if done.errors:
                    raise SystemExit(f"{name}: {done.errors} failed requests")
                count, p50, p95, most = done.requests, done.p50_ms, done.p95_ms, done.max_ms
            else:
                timings = run(base, paths, args.concurrency, args.budget)
                count, p50 = len(timings), statistics.median(timings)
                p95, most = percentile(timings, 0.95), max(timings)
            cpu = (tree_cpu(server.pid) - cpu) * 1000 / count
            print(f"| `{name}` | {count} | {p50:.1f} | {p95:.1f} | {most:.1f} | {cpu:.1f} |")
        print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
