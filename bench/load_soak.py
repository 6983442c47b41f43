"""Load and soak: a realistic request mix at rising concurrency until latency breaks, then
a long run just below that point while the server's memory is watched.

    python bench/load_soak.py --store /tmp/bench/p100k --projects 100000
    python bench/load_soak.py --store /tmp/bench/p10k --projects 10000 \\
        --step-seconds 5 --soak-seconds 60                        # a quick look

The store is the bundled data plus generated projects (bench/generate_projects.py, reused
when it is there). The server is ``tillvaxtgraf serve`` with the production defaults
(gunicorn, 2 workers × 4 threads, 2 query worker processes per worker, access log at
INFO) on a free loopback port; rate limiting, where the version has it, is switched off
by environment so the bench measures the service, not the limiter.

The load generator is our own: one thread per client, each on one keep-alive
``http.client`` connection, closed loop (the next request as soon as the answer is read
in full), requests drawn with fixed weights from a seeded plan:

    search          /api/search?q=…            names, accent-free, typos, English, codes
    suggest         /api/suggest?q=…           prefixes as they are typed
    page-html       /id/…  (Accept text/html)   projects, organisations, bundled entities
    page-turtle     /id/…  (Accept text/turtle) the same resources as Turtle
    named-query     /api/queries/NAME?…        every catalog query with its example, and
                                               the county / organisation ones varied; each
                                               call is timed alone first, and one slower
                                               than --named-max-ms (or failing) is left
                                               out of the mix and reported
    sparql-lookup   /sparql  every triple of one project
    sparql-join     /sparql  one organisation's projects with their counties' names
    connections     /api/connections?from&to   between actors, regions, funds

Steps: concurrency 1, 2, 4, 8, 16, … for --step-seconds each, at least up to --at-least
clients, until the p99 of the interactive requests (all but named queries and
connections) is above --p99-ms or any request fails (status other than 200, or no answer
within 30 s), and then --past more steps (default 1: one noisy step on a shared machine
does not end it, and the step after shows the trend past saturation). Per step:
requests/s, p50/p95/p99 of the whole mix, p99 of the interactive requests, errors, the
CPU used by the server's processes and by the load generator (they share this machine's
cores), and the load average. The sustained throughput is the best step with p99 under
the bound and no errors, for the whole mix and for the interactive requests.

Soak: the highest concurrency of the steps that held the bound (the whole mix's, else
the interactive one's) for --soak-seconds, sampling the resident
memory (VmRSS) of every process of the server (gunicorn master, workers, query workers)
every --sample-seconds; start, end and max per process and for the whole tree, and the
growth over the second half of the soak. Any error in the soak is reported (there must
be none). Everything is on loopback and bounded; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    ID,
    LiveServer,
    Term,
    bench_query,
    cpu_ticks,
    ensure_store,
    percentile,
    process_role,
    process_tree,
    rss_kib,
    start_server,
)
from search_latency import ENTITIES, SEARCHES, prefixes

from tillvaxtgraf.settings import SETTINGS_BY_NAME

MIX = {"search": 20, "suggest": 25, "page-html": 15, "page-turtle": 8, "named-query": 12,
       "sparql-lookup": 10, "sparql-join": 5, "connections": 5}
# The requests a person waits on page by page; named queries and connections are the
# analytic ones (seconds of work at 100 000 projects for some), reported with and without.
INTERACTIVE = ("search", "suggest", "page-html", "page-turtle", "sparql-lookup",
               "sparql-join")
SPARQL_JSON = "application/sparql-results+json"
TIMEOUT = 30.0
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Request:
    path: str
    accept: str = "application/json"


# -- the plan ----------------------------------------------------------------------------


def sparql_path(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def select_column(port: int, query: str) -> list[str]:
    """The first column of a SELECT, read as CSV from the server itself."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", sparql_path(query), headers={"Accept": "text/csv"})
    response = conn.getresponse()
    body = response.read().decode("utf-8")
    conn.close()
    if response.status != 200:
        raise SystemExit(f"setup query failed ({response.status}): {body[:500]}")
    return [row[0] for row in list(csv.reader(io.StringIO(body)))[1:] if row]


def catalog(port: int) -> list[dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/queries", headers={"Accept": "application/json"})
    queries = json.loads(conn.getresponse().read())["queries"]
    conn.close()
    return queries


def screen(port: int, requests: list[Request], bound_ms: float) -> tuple[
        list[Request], list[tuple[str, float, int]]]:
    """Each request once, alone: those answered with 200 within ``bound_ms`` and the rest
    (path, ms, status). A request slower than that on an idle server is a question for
    the query, not for the load: it would break p99 at any concurrency."""
    kept, slow = [], []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for request in requests:
        started = time.perf_counter()
        conn.request("GET", request.path, headers={"Accept": request.accept})
        response = conn.getresponse()
        response.read()
        ms = (time.perf_counter() - started) * 1000
        if response.status == 200 and ms <= bound_ms:
            kept.append(request)
        else:
            slow.append((request.path, ms, response.status))
    conn.close()
    return kept, slow


def build_plan(port: int, seed: int) -> dict[str, list[Request]]:
    """Every kind's requests, drawn once from the store's own projects and organisations."""
    rng = random.Random(seed)
    projects = select_column(port, bench_query("soak_projects"))
    organisations = select_column(port, bench_query("soak_beneficiaries"))
    if not projects or not organisations:
        raise SystemExit("the store holds no generated projects: load some first")
    projects = rng.sample(projects, min(2000, len(projects)))
    organisations = rng.sample(organisations, min(500, len(organisations)))
    counties = [f"{ID}county/{code:02d}" for code in (1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13,
                                                       14, 17, 18, 19, 20, 21, 22, 23, 24, 25)]
    typed = prefixes(SEARCHES)

    def page(iri: str) -> str:
        return "/" + iri.removeprefix("https://w3id.org/tillvaxtgraf/")

    resources = ([rng.choice(projects) for _ in range(700)]
                 + [rng.choice(organisations) for _ in range(200)] + ENTITIES * 6)
    named: list[Request] = []
    for query in catalog(port):
        example = query.get("example") or {}
        named.append(Request(f"/api/queries/{query['name']}?"
                             + urllib.parse.urlencode(example)))
        for key, pool in (("county", counties), ("organisation", organisations)):
            if key in example:
                for value in rng.sample(pool, 5):
                    named.append(Request(f"/api/queries/{query['name']}?"
                                         + urllib.parse.urlencode({**example, key: value})))
    connections = []
    while len(connections) < 200:
        a, b = rng.sample(ENTITIES, 2)
        connections.append(Request("/api/connections?"
                                   + urllib.parse.urlencode({"from": a, "to": b})))
    return {
        "search": [Request("/api/search?" + urllib.parse.urlencode({"q": q}))
                   for q in SEARCHES],
        "suggest": [Request("/api/suggest?" + urllib.parse.urlencode({"q": q}))
                    for q in typed],
        "page-html": [Request(page(iri), "text/html") for iri in resources],
        "page-turtle": [Request(page(iri), "text/turtle") for iri in resources],
        "named-query": named,
        "sparql-lookup": [Request(sparql_path(bench_query("lookup", project=Term.iri(p))),
                                  SPARQL_JSON) for p in projects],
        "sparql-join": [Request(sparql_path(bench_query("soak_join", org=Term.iri(o))),
                                SPARQL_JSON) for o in organisations],
        "connections": connections,
    }


# -- the load ----------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    at: float  # seconds since the run began, when the answer was complete
    ms: float
    status: int  # 0: no answer (connection error or timeout)
    path: str = ""


@dataclass
class Run:
    clients: int
    seconds: float
    samples: list[Sample]
    server_cpu: float  # share of one core
    client_cpu: float
    load: float

    @property
    def ok(self) -> list[float]:
        return [s.ms for s in self.samples if s.status == 200]

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status != 200]

    def summary(self) -> dict:
        ok = self.ok or [0.0]
        interactive = [s.ms for s in self.samples
                       if s.status == 200 and s.kind in INTERACTIVE] or [0.0]
        kinds = {}
        for kind in MIX:
            mine = [s.ms for s in self.samples if s.kind == kind and s.status == 200]
            if mine:
                kinds[kind] = {"requests": len(mine), "p50": percentile(mine, 0.5),
                               "p99": percentile(mine, 0.99), "max": max(mine)}
        return {"clients": self.clients, "seconds": round(self.seconds, 2),
                "requests": len(self.samples), "rps": len(self.samples) / self.seconds,
                "p50": percentile(ok, 0.5), "p95": percentile(ok, 0.95),
                "p99": percentile(ok, 0.99), "max": max(ok), "errors": len(self.errors),
                "p99_interactive": percentile(interactive, 0.99),
                "error_rate": len(self.errors) / max(1, len(self.samples)),
                "server_cpu": self.server_cpu, "client_cpu": self.client_cpu,
                "load": self.load, "kinds": kinds,
                "error_examples": [f"{s.status} {s.kind} {s.path[:120]}"
                                   for s in self.errors[:5]],
                "slowest": [(round(s.ms), s.status, s.kind, urllib.parse.unquote(s.path)[:200])
                            for s in sorted(self.samples, key=lambda s: -s.ms)[:8]]}


def tree_ticks(server: LiveServer) -> dict[int, int]:
    return {pid: t for pid in process_tree(server.proc.pid)
            if (t := cpu_ticks(pid)) is not None}


def drive(server: LiveServer, plan: dict[str, list[Request]], clients: int,
          seconds: float, seed: int) -> Run:
    """``clients`` closed-loop keep-alive clients for ``seconds``; every answer is read."""
    port = int(server.url.rsplit(":", 1)[1])
    kinds, weights = list(MIX), list(MIX.values())
    results: list[list[Sample]] = [[] for _ in range(clients)]
    began = time.monotonic()
    stop_at = began + seconds

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        mine = results[index]
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            request = rng.choice(plan[kind])
            started = time.perf_counter()
            try:
                conn.request("GET", request.path, headers={"Accept": request.accept})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
            mine.append(Sample(kind, time.monotonic() - began,
                               (time.perf_counter() - started) * 1000, status,
                               request.path))
        conn.close()

    ticks_before, cpu_before = tree_ticks(server), time.process_time()
    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT + 30)
    wall = time.monotonic() - began
    ticks_after = tree_ticks(server)
    used = sum(ticks_after[p] - ticks_before.get(p, 0) for p in ticks_after)
    return Run(clients, wall, [s for part in results for s in part],
               used / TICK / wall, (time.process_time() - cpu_before) / wall,
               os.getloadavg()[0])


# -- memory ------------------------------------------------------------------------------


@dataclass
class MemoryLog:
    """VmRSS (KiB) of every process of the server, every ``every`` seconds."""

    server: LiveServer
    every: float
    rows: list[tuple[float, dict[int, int]]] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began = time.monotonic()

    def _run(self) -> None:
        while True:
            sample = {}
            for pid in process_tree(self.server.proc.pid):
                rss = rss_kib(pid)
                if rss is not None:
                    sample[pid] = rss
                    self.roles.setdefault(pid, process_role(self.server, pid))
            self.rows.append((time.monotonic() - self._began, sample))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> MemoryLog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        """Start, end and max (MB) per process and for the tree; growth over the second
        half (the first half includes warming caches)."""
        def mb(kib: float) -> float:
            return round(kib / 1024, 1)

        processes = {}
        for pid, role in sorted(self.roles.items(), key=lambda x: (x[1], x[0])):
            series = [row[pid] for _, row in self.rows if pid in row]
            processes[f"{role} {pid}"] = {"start": mb(series[0]), "end": mb(series[-1]),
                                          "max": mb(max(series)), "samples": len(series)}
        totals = [sum(row.values()) for _, row in self.rows]
        middle = len(totals) // 2
        # Growth of the processes that lived through the whole second half: a query worker
        # started late (on first use) or replaced adds a process, not a leak.
        mid_row, end_row = self.rows[middle][1], self.rows[-1][1]
        same = sum(end_row[p] - mid_row[p] for p in end_row if p in mid_row)
        return {"samples": len(self.rows), "every_s": self.every, "processes": processes,
                "total": {"start": mb(totals[0]), "end": mb(totals[-1]),
                          "max": mb(max(totals)), "mid": mb(totals[middle]),
                          "second_half_growth": mb(totals[-1] - totals[middle]),
                          "second_half_growth_same_processes": mb(same),
                          # flat: the same processes grow less than 3 % (or 10 MB)
                          "flat": same <= max(10 * 1024, 0.03 * totals[middle])},
                "pids_start": len(self.rows[0][1]), "pids_end": len(self.rows[-1][1]),
                "pids_seen": len(self.roles),
                "series_mb": {f"{role} {pid}": [(round(t), round(row[pid] / 1024, 1))
                                               for t, row in self.rows if pid in row]
                              for pid, role in self.roles.items()}}


# -- the run -----------------------------------------------------------------------------


def rate_limit_off() -> dict[str, str]:
    """The environment that switches rate limiting off (all clients here share one
    address, 127.0.0.1), in versions that have it."""
    setting = SETTINGS_BY_NAME.get("rate_limit")
    return {setting.env_var: "off"} if setting else {}


HEADER = ("| clients | requests | req/s | p50 ms | p95 ms | p99 ms | p99 interactive ms | "
          "errors | server CPU | client CPU | load |\n|---:|---:|---:|---:|---:|---:|---:|"
          "---:|---:|---:|---:|")


def row(s: dict) -> str:
    return (f"| {s['clients']} | {s['requests']} | {s['rps']:.1f} | {s['p50']:.0f} | "
            f"{s['p95']:.0f} | {s['p99']:.0f} | {s['p99_interactive']:.0f} | "
            f"{s['errors']} ({100 * s['error_rate']:.1f} %)"
            f" | {100 * s['server_cpu']:.0f} % | {100 * s['client_cpu']:.0f} % | "
            f"{s['load']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/tillvaxtgraf-bench/p100k"))
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument("--warmup-seconds", type=float, default=15.0)
    parser.add_argument("--max-clients", type=int, default=128)
    parser.add_argument("--p99-ms", type=float, default=500.0)
    parser.add_argument("--named-max-ms", type=float, default=2000.0,
                        help="named-query calls slower than this alone stay out of the mix")
    parser.add_argument("--at-least", type=int, default=8,
                        help="step up to at least this many clients whatever the latency")
    parser.add_argument("--past", type=int, default=1,
                        help="steps to run after the first that breaks the bound (a shared "
                             "machine's noise, or the trend past saturation)")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--soak-clients", type=int, help="instead of the stepped choice")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="also write every figure as JSON")
    args = parser.parse_args()

    ensure_store(args.store, args.projects, args.seed)
    env = rate_limit_off()
    server = start_server(args.store, args.store.parent / "logs", env=env, wait=300)
    out: dict = {"projects": args.projects, "rate_limit_env": env, "mix": MIX,
                 "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    print(f"server {server.url} (pid {server.proc.pid}); rate-limit env {env or 'none'}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        plan = build_plan(port, args.seed)
        plan["named-query"], slow = screen(port, plan["named-query"], args.named_max_ms)
        out["named_excluded"] = slow
        for path, ms, status in slow:
            print(f"named query left out: {status} in {ms:.0f} ms alone: "
                  f"{urllib.parse.unquote(path)[:160]}", flush=True)
        out["plan"] = {kind: len(requests) for kind, requests in plan.items()}
        print("plan: " + ", ".join(f"{k} {n}" for k, n in out["plan"].items()), flush=True)
        warm = drive(server, plan, 2, args.warmup_seconds, args.seed).summary()
        print(f"warm-up: {warm['requests']} requests, {warm['errors']} errors", flush=True)

        print(HEADER, flush=True)
        steps, clients, broken = [], 1, 0
        while clients <= args.max_clients:
            step = drive(server, plan, clients, args.step_seconds, args.seed + clients)
            summary = step.summary()
            steps.append(summary)
            print(row(summary), flush=True)
            if summary["p99_interactive"] > args.p99_ms or summary["errors"]:
                broken += 1
                if broken > args.past and clients >= args.at_least:
                    break
            clients *= 2
        out["steps"] = steps
        held = [s for s in steps if s["p99"] <= args.p99_ms and not s["errors"]]
        held_interactive = [s for s in steps
                            if s["p99_interactive"] <= args.p99_ms and not s["errors"]]
        best = max(held, key=lambda s: s["rps"]) if held else None
        best_interactive = (max(held_interactive, key=lambda s: s["rps"])
                            if held_interactive else None)
        out["sustained"] = best and {"clients": best["clients"], "rps": best["rps"],
                                     "p99": best["p99"]}
        out["sustained_interactive"] = best_interactive and {
            "clients": best_interactive["clients"], "rps": best_interactive["rps"],
            "p99_interactive": best_interactive["p99_interactive"]}
        print("\nper kind, p50 / p99 ms, at each step:")
        for s in steps:
            print(f"  c={s['clients']:<3} " + "  ".join(
                f"{k} {v['p50']:.0f}/{v['p99']:.0f}" for k, v in s["kinds"].items()))
        for s in steps:
            for example in s["error_examples"]:
                print(f"  error at c={s['clients']}: {example}")
        print(f"\nsustained, whole mix p99 <= {args.p99_ms:.0f} ms: " + (
            f"{best['rps']:.1f} req/s at {best['clients']} clients (p99 {best['p99']:.0f} ms)"
            if best else "at no step"))
        print(f"sustained, interactive p99 <= {args.p99_ms:.0f} ms: " + (
            f"{best_interactive['rps']:.1f} req/s at {best_interactive['clients']} clients "
            f"(p99 {best_interactive['p99_interactive']:.0f} ms)" if best_interactive
            else "at no step"), flush=True)

        chosen = held or held_interactive
        soak_clients = args.soak_clients or (max(s["clients"] for s in chosen)
                                             if chosen else 1)
        if args.soak_seconds > 0:
            print(f"\nsoak: {soak_clients} clients for {args.soak_seconds:.0f} s, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            with MemoryLog(server, args.sample_seconds) as memory:
                soak = drive(server, plan, soak_clients, args.soak_seconds, args.seed + 999)
            summary = soak.summary()
            minutes = []
            for minute in range(int(soak.seconds // 60) + 1):
                part = [s.ms for s in soak.samples
                        if minute * 60 <= s.at < (minute + 1) * 60 and s.status == 200]
                if len(part) > 10:
                    minutes.append({"minute": minute + 1, "requests": len(part),
                                    "p99": percentile(part, 0.99)})
            out["soak"] = {**summary, "minutes": minutes, "memory": memory.summary(),
                           "memory_series_mb": [
                               (round(t, 1), round(sum(r.values()) / 1024, 1))
                               for t, r in memory.rows]}
            print(HEADER)
            print(row(summary))
            print("per minute (requests, p99 ms): " + ", ".join(
                f"{m['requests']}/{m['p99']:.0f}" for m in minutes))
            mem = out["soak"]["memory"]
            print(f"memory, {mem['samples']} samples every {args.sample_seconds:g} s, "
                  f"{mem['pids_start']} → {mem['pids_end']} processes, {mem['pids_seen']} seen "
                  "(MB, start / end / max):")
            for name, figures in mem["processes"].items():
                series = mem["series_mb"][name]
                mid = series[len(series) // 2][1]
                print(f"  {name:24} {figures['start']:7.1f} {figures['end']:7.1f} "
                      f"{figures['max']:7.1f}  ({figures['samples']} samples, second half "
                      f"{figures['end'] - mid:+.1f})")
            total = mem["total"]
            print(f"  {'all':24} {total['start']:7.1f} {total['end']:7.1f} "
                  f"{total['max']:7.1f}  second half {total['second_half_growth']:+.1f}, "
                  f"same processes {total['second_half_growth_same_processes']:+.1f} "
                  f"({'flat' if total['flat'] else 'GROWING'})")
            for example in summary["error_examples"]:
                print(f"  soak error: {example}")
            print("slowest in the soak: " + "; ".join(
                f"{ms} ms {kind} {path[:100]}" for ms, _, kind, path in summary["slowest"][:5]))
    finally:
        server.stop()
        out["load_after"] = os.getloadavg()
        if args.json:
            args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
