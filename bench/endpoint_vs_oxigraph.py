"""Our SPARQL endpoint against `oxigraph serve` on the same data, in one run.

    python bench/endpoint_vs_oxigraph.py                 # 150 000 projects, ~1.1 M triples
    python bench/endpoint_vs_oxigraph.py --projects 20000 --seconds 3   # a quick look

Generates a deterministic data set (projects with labels, counties, beneficiaries,
amounts; organisations; counties), loads it into our store with ``tillvaxtgraf load`` and
into an Oxigraph store with ``oxigraph load`` (both optimized), serves it with
``tillvaxtgraf serve`` (gunicorn, 2 workers, the defaults) and with
``oxigraph serve-read-only --union-default-graph`` (our default graph is the union too),
and runs the same mix against both at concurrency 1 and 8. Ours runs twice, side by
side: with the result cache (the production default: small answers are kept per
gunicorn worker and given again while the snapshot is unchanged) and without it
(``TILLVAXTGRAF_RESULT_CACHE_BYTES=0``), since the mix repeats its query texts:

    lookup       every triple of one project (a different project per request)
    lookup-seen  the first 200 of those lookups, each asked of the server just before
    label        a CONTAINS filter over the labels of one county's projects, LIMIT 50
    group-by     COUNT and SUM of every project's amount, grouped by county
    two-hop      projects of one organisation, with the label of the organisation's county
    stream       1 000 000 rows as CSV (each client reads one whole answer, or two at c=1)

lookup, label and two-hop run for --seconds per cell through ``wrk`` (keep-alive, latency
percentiles; ``apt-get install wrk``), or through a threaded ``http.client`` load generator
when wrk is not installed. group-by takes seconds per answer, so it runs on the Python
client, every client finishing at least one answer. The stream runs on the Python client
too, which reads and discards the body while this script samples the resident memory
(VmRSS) of every process of both servers. Everything is on loopback, bounded by timeouts,
and both servers are stopped at the end. Clients and servers share this machine's cores:
read the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from harness import Term, bench_query, free_port, process_tree, rss_kib
from harness import run_wrk as wrk

ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
ORG = "http://www.w3.org/ns/org#"
GRAPH = "https://w3id.org/tillvaxtgraf/graph/bench/endpoint"
WORDS = ["Innovation", "Kompetens", "Grön", "Omställning", "Besöksnäring", "Digital",
         "Landsbygd", "Klimat", "Export", "Företagande", "Samverkan", "Älvdal", "Skärgård",
         "Vätgas", "Batteri", "Turism", "Kultur", "Mat", "Skog", "Hav"]
COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17",
            "18", "19", "20", "21", "22", "23", "24", "25"]
STREAM_ROWS = 1_000_000  # the LIMIT of bench/queries/endpoint_stream.rq
NO_CACHE = "no cache"
PRIMED = {"lookup-seen"}
JSON_RESULTS = "application/sparql-results+json"


# -- data --------------------------------------------------------------------------------


def generate(path: Path, projects: int, seed: int) -> int:
    """Write the data set as N-Triples; the same seed gives the same bytes. Returns the
    number of triples."""
    rng = random.Random(seed)
    organisations = max(1, projects // 10)
    triples = 0
    with open(path, "w", encoding="utf-8") as out:
        for code in COUNTIES:
            county = f"<{ID}county/{code}>"
            out.write(f'{county} <{SKOS}prefLabel> "Län {code}"@sv .\n')
            out.write(f"{county} <{TG}region> <{ID}region/{code}> .\n")
            triples += 2
        for number in range(organisations):
            org = f"<{ID}organisation/{number}>"
            out.write(f"{org} <{RDF_TYPE}> <{ORG}Organization> .\n")
            out.write(f'{org} <{SKOS}prefLabel> "Organisation {number}"@sv .\n')
            out.write(f"{org} <{TG}county> <{ID}county/{rng.choice(COUNTIES)}> .\n")
            triples += 3
        for number in range(projects):
            project = f"<{ID}project/{number}>"
            label = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {number}"
            lines = [
                f"{project} <{RDF_TYPE}> <{TG}Project> .",
                f'{project} <{SKOS}prefLabel> "{label}"@sv .',
                f"{project} <{TG}county> <{ID}county/{rng.choice(COUNTIES)}> .",
                f"{project} <{TG}beneficiary> "
                f"<{ID}organisation/{int(rng.paretovariate(1.2)) % organisations}> .",
                f'{project} <{TG}amount> "{rng.randint(10_000, 9_000_000)}.00"'
                f"^^<{XSD}decimal> .",
                f'{project} <{TG}startYear> "{rng.randint(2014, 2027)}"^^<{XSD}integer> .',
                f'{project} <http://purl.org/dc/terms/identifier> "P-{number:07d}" .',
            ]
            out.write("\n".join(lines) + "\n")
            triples += len(lines)
    return triples


# -- queries -----------------------------------------------------------------------------


@dataclass
class Query:
    name: str
    accept: str
    texts: list[str]


def queries(projects: int, seed: int) -> list[Query]:
    rng = random.Random(seed + 1)
    organisations = max(1, projects // 10)
    lookups = [bench_query("lookup", project=Term.iri(f"{ID}project/{rng.randrange(projects)}"))
               for _ in range(2000)]
    return [
        Query("lookup", JSON_RESULTS, lookups),
        # The same lookups again, a few of them, each asked of every server just before
        # (see PRIMED): what a repeated small query costs, the case the cache is for.
        Query("lookup-seen", JSON_RESULTS, lookups[:200]),
        Query("label", JSON_RESULTS, [
            bench_query("endpoint_label", county=Term.iri(f"{ID}county/{rng.choice(COUNTIES)}"),
                        word=Term.literal(rng.choice(WORDS).lower()))
            for _ in range(200)]),
        Query("group-by", JSON_RESULTS, [bench_query("group_by")]),
        Query("two-hop", JSON_RESULTS, [
            bench_query("endpoint_two_hop",
                        org=Term.iri(f"{ID}organisation/{rng.randrange(organisations)}"))
            for _ in range(1000)]),
        Query("stream", "text/csv", [bench_query("endpoint_stream")]),
    ]


# -- servers -----------------------------------------------------------------------------


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    parts = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer:\n{log.read_text(errors='replace')}")


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    path: str

    def tree(self) -> list[int]:
        return process_tree(self.proc.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU of every process of the server so far: a figure that a
        loaded machine disturbs far less than requests per second."""
        ticks = 0
        for pid in self.tree():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            pids = self.tree()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            for pid in pids[1:]:  # query workers live in their own sessions
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def tillvaxtgraf_command() -> list[str]:
    script = Path(sys.executable).with_name("tillvaxtgraf")
    return [str(script)] if script.exists() else ["tillvaxtgraf"]


def start_ours(store: Path, log: Path, name: str = "tillvaxtgraf",
               cache_bytes: int | None = None) -> Server:
    """Our server with the production defaults, except: no per-client rate limit (every
    request here comes from one address, and Oxigraph has none), a long time limit for
    the stream, WARNING logging; ``cache_bytes`` 0 turns the result cache off."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLVAXTGRAF_")}
    env.update({"TILLVAXTGRAF_STORE": str(store), "TILLVAXTGRAF_LOG_LEVEL": "WARNING",
                "TILLVAXTGRAF_QUERY_TIME_LIMIT": "300", "TILLVAXTGRAF_RATE_LIMIT": "off"})
    if cache_bytes is not None:
        env["TILLVAXTGRAF_RESULT_CACHE_BYTES"] = str(cache_bytes)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*tillvaxtgraf_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, proc, port, "/sparql")
    wait_for(f"http://127.0.0.1:{port}/healthz", proc, log)
    return server


def start_oxigraph(location: Path, log: Path) -> Server:
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["oxigraph", "serve-read-only", "--location", str(location), "--bind",
             f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("oxigraph", proc, port, "/query")
    wait_for(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", proc, log)
    return server


# -- load generation ---------------------------------------------------------------------


@dataclass
class Cell:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    notes: list[str] = field(default_factory=list)
    cpu_ms: float = 0.0  # CPU of the whole server (every process) per answered request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def paths_for(server: Server, query: Query) -> list[str]:
    return [f"{server.path}?{urllib.parse.urlencode({'query': text})}"
            for text in query.texts]


def run_wrk(server: Server, query: Query, clients: int, seconds: float, work: Path) -> Cell:
    done = wrk(server.port, paths_for(server, query), clients, seconds, work, query.accept)
    return Cell(done.requests, done.seconds, done.p50_ms, done.p99_ms, done.errors)


def run_python(server: Server, query: Query, clients: int, seconds: float,
               min_requests: int = 1) -> Cell:
    """Keep-alive clients on threads; each reads whole answers and throws them away."""
    paths = paths_for(server, query)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        done = 0
        try:
            while time.monotonic() < stop_at or done < min_requests:
                started = time.perf_counter()
                conn.request("GET", paths[(index + done * clients) % len(paths)],
                             headers={"Accept": query.accept})
                response = conn.getresponse()
                while response.read(1 << 16):
                    pass
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status == 200:
                        latencies.append(elapsed)
                    else:
                        errors.append(str(response.status))
                done += 1
        finally:
            conn.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    latencies.sort()
    if not latencies:
        return Cell(0, wall, 0, 0, len(errors))
    return Cell(len(latencies), wall, statistics.median(latencies) * 1000,
                latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                len(errors))


class MemorySampler:
    """Peak VmRSS per process of a server's tree while a cell runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.baseline: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    @staticmethod
    def rss_kib(pid: int) -> int:
        return rss_kib(pid) or 0

    def _sample(self) -> None:
        for pid in self.server.tree():
            rss = self.rss_kib(pid)
            if pid not in self.names:
                with contextlib.suppress(OSError):
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    self.names[pid] = ("query worker" if b"store.worker" in cmd else
                                       "gunicorn master" if pid == self.server.proc.pid and
                                       self.server.name == "tillvaxtgraf" else
                                       "gunicorn worker" if self.server.name == "tillvaxtgraf"
                                       else "oxigraph")
            self.baseline.setdefault(pid, rss)
            self.peak[pid] = max(self.peak.get(pid, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(0.1)

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, tuple[float, float]]:
        """Per role: (largest baseline, largest growth) in MB."""
        roles: dict[str, tuple[float, float]] = {}
        for pid, peak in self.peak.items():
            role = self.names.get(pid, "?")
            base, grown = roles.get(role, (0.0, 0.0))
            roles[role] = (max(base, self.baseline[pid] / 1024),
                           max(grown, (peak - self.baseline[pid]) / 1024))
        return roles


# -- the run -----------------------------------------------------------------------------


def ratio(ours: Cell, theirs: Cell) -> str:
    return f"{ours.rps / theirs.rps:.2f}" if theirs.rps else "nan"


def fmt_cell(cell: Cell) -> str:
    return f"{cell.rps:8.1f} {cell.p50_ms:9.1f} {cell.p99_ms:9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--workdir", type=Path, help="keep the data and stores here")
    parser.add_argument("--reuse", action="store_true",
                        help="with --workdir: serve the stores an earlier run loaded there")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--queries", help="only these cells, e.g. 'group-by,stream' "
                        "(default: the whole mix)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data.nt"
    started = time.monotonic()
    triples = generate(data, args.projects, args.seed)
    print(f"data: {args.projects:,} projects, {triples:,} triples "
          f"({data.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.1f} s")

    ours_store, oxi_store = work / "ours", work / "oxigraph"
    marker = work / f"loaded-{args.projects}-{args.seed}"
    if args.reuse and marker.exists():
        print("stores: reused from an earlier run in --workdir")
    else:
        marker.unlink(missing_ok=True)
        for folder in (ours_store, oxi_store):
            shutil.rmtree(folder, ignore_errors=True)
        started = time.monotonic()
        subprocess.run([*tillvaxtgraf_command(), "--store", str(ours_store), "load", str(data),
                        "--graph", GRAPH, "--no-progress"], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"tillvaxtgraf load: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        subprocess.run(["oxigraph", "load", "--location", str(oxi_store), "--file", str(data),
                        "--graph", GRAPH], check=True, capture_output=True)
        subprocess.run(["oxigraph", "optimize", "--location", str(oxi_store)], check=True,
                       capture_output=True)
        print(f"oxigraph load + optimize: {time.monotonic() - started:.1f} s")
        marker.touch()

    mix = queries(args.projects, args.seed)
    warm_up = mix[0]  # lookups: every server opens its store and starts its workers
    if args.queries:
        wanted = set(args.queries.split(","))
        unknown = wanted - {q.name for q in mix}
        if unknown:
            raise SystemExit(f"--queries: no cell named {', '.join(sorted(unknown))}")
        mix = [q for q in mix if q.name in wanted]
    # Ours twice: with the result cache (the production default) and without it, so the
    # repeated small queries of the mix show both the cache and the uncached path.
    servers = [start_ours(ours_store, work / "ours.log"),
               start_ours(ours_store, work / "ours-nocache.log", NO_CACHE, cache_bytes=0),
               start_oxigraph(oxi_store, work / "oxigraph.log")]
    results: dict[str, dict[str, dict[int, Cell]]] = {}
    memory: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for server in servers:  # warm both: first queries open stores and start workers
            run_python(server, warm_up, 4, 1.0)
        for query in mix:
            if query.name in PRIMED:
                for server in servers:  # unmeasured: every text reaches both workers
                    if use_wrk:
                        run_wrk(server, query, 8, 2.0, work)
                    else:
                        run_python(server, query, 8, 2.0)
            for clients in levels:
                for server in servers:
                    if server.name == NO_CACHE and query.name == "stream":
                        continue  # 1 M rows are never kept: the cache plays no part
                    spent = server.cpu_seconds()
                    if query.name == "stream":
                        with MemorySampler(server) as sampler:
                            cell = run_python(server, query, clients, 0.0,
                                              min_requests=2 if clients == 1 else 1)
                        memory.setdefault(server.name, {}).update(
                            {f"{role} (c={clients})": v
                             for role, v in sampler.summary().items()})
                    elif query.name == "group-by":
                        # Seconds per answer: every client finishes at least one, so c=8
                        # really runs eight at once (wrk would stop them mid-way).
                        cell = run_python(server, query, clients, args.seconds,
                                          min_requests=1)
                    elif use_wrk:
                        cell = run_wrk(server, query, clients, args.seconds, work)
                    else:
                        cell = run_python(server, query, clients, args.seconds)
                    cell.cpu_ms = (server.cpu_seconds() - spent) * 1000 / max(1, cell.requests)
                    results.setdefault(query.name, {}).setdefault(server.name, {})[
                        clients] = cell
                    print(f"  {query.name:9} c={clients} {server.name:12} {fmt_cell(cell)}"
                          f"  ({cell.requests} requests, {cell.errors} errors, "
                          f"{cell.cpu_ms:.2f} ms CPU each)", flush=True)
    finally:
        for server in servers:
            server.stop()

    print(f"\nclient: {'wrk' if use_wrk else 'python threads'} for lookup, label and two-hop; "
          "python threads for group-by and the stream; req/s, p50 and p99 in ms; load "
          f"average {os.getloadavg()[0]:.1f} at the end\n")
    print("ours: result cache on (production default), each gunicorn worker keeping its "
          "own; no cache: TILLVAXTGRAF_RESULT_CACHE_BYTES=0. 'per query' is requests per "
          "distinct query text in the cell: with two gunicorn workers, at most two requests "
          "per distinct query miss the cache. CPU: ms of CPU per request over every process "
          "of the server.\n")
    print("| query | c | per query | ours req/s | ours p50 | ours p99 | no cache req/s "
          "| no cache p50 | no cache p99 | oxigraph req/s | oxigraph p50 | oxigraph p99 "
          "| ours/oxigraph | no cache/oxigraph | CPU ours | CPU no cache | CPU oxigraph |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for query in mix:
        for clients in levels:
            cells = results[query.name]
            ours, oxi = cells["tillvaxtgraf"][clients], cells["oxigraph"][clients]
            plain = cells.get(NO_CACHE, {}).get(clients)
            per_query = ours.requests / len(query.texts)
            print(f"| {query.name} | {clients} | {per_query:.1f} | {ours.rps:.1f} | "
                  f"{ours.p50_ms:.1f} | {ours.p99_ms:.1f} | "
                  + (f"{plain.rps:.1f} | {plain.p50_ms:.1f} | {plain.p99_ms:.1f} | "
                     if plain else "— | — | — | ")
                  + f"{oxi.rps:.1f} | {oxi.p50_ms:.1f} | {oxi.p99_ms:.1f} | "
                  f"{ratio(ours, oxi)} | {ratio(plain, oxi) if plain else '—'} | "
                  f"{ours.cpu_ms:.2f} | {f'{plain.cpu_ms:.2f}' if plain else '—'} | "
                  f"{oxi.cpu_ms:.2f} |")
    print("\nresident memory during the stream (largest baseline → largest growth, MB):")
    for name, roles in memory.items():
        for role, (base, grown) in sorted(roles.items()):
            print(f"  {name:12} {role:26} {base:7.0f} → +{grown:.0f}")
    if args.json:
        args.json.write_text(json.dumps({
            "projects": args.projects, "triples": triples, "client": "wrk" if use_wrk
            else "python",
            "cells": {q: {s: {c: vars(cell) | {"rps": cell.rps} for c, cell in by.items()}
                          for s, by in ss.items()} for q, ss in results.items()},
            "memory_mb": memory,
        }, indent=2), encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
