"""What the front end costs: the endpoint's query mix against three targets, in one run.

    (a) tillvaxtgraf serve on the embedded store (gunicorn, query worker processes)
    (b) tillvaxtgraf serve with TILLVAXTGRAF_BACKEND=sparql, in front of `oxigraph serve`
    (c) `oxigraph serve` directly (the same requests, `union-default-graph` as (b) sends it)

All three hold the same generated data (N projects, each with a label, a county, an amount
and a start year; counties with labels and regions). Queries: a one-resource lookup, a
label filter, a GROUP BY over all projects, a two-hop join, and a 100 k-row CSV stream.
Each cell runs for --seconds (at least a few requests) with 1 and 8 concurrent clients on
keep-alive connections; req/s, p50 and p99 latency, and the ratio (b)/(c), the front end's
overhead. Everything runs on this machine's loopback, bounded in time, and stops itself.
The clients share the 2 cores with the servers: absolute figures are lower than on a
separate load generator, the ratios are what to read.

    python bench/frontend_overhead.py --projects 100000 --seconds 3
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "store"))

from harness import Term, bench_query  # noqa: E402
from servers import OxigraphServer, free_port, wait_until  # noqa: E402

ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = "https://w3id.org/tillvaxtgraf/graph/bench"


def generate(path: Path, projects: int, seed: int = 4) -> None:
    rng = random.Random(seed)
    words = ["Innovation", "Kompetens", "Grön", "Omställning", "Besöksnäring", "Digital",
             "Landsbygd", "Klimat", "Export", "Företagande", "Samverkan", "Älv", "Skärgård"]
    with open(path, "w", encoding="utf-8") as out:
        for county in range(1, 26):
            c = f"<{ID}county/{county:02d}>"
            out.write(f'{c} <{RDFS}label> "Län {county:02d}"@sv .\n')
            out.write(f"{c} <{TG}region> <{ID}region/{county:02d}> .\n")
        for i in range(projects):
            p = f"<{ID}project/{i}>"
            name = f"{rng.choice(words)} {rng.choice(words).lower()} {i}"
            out.write(f"{p} <{RDF_TYPE}> <{TG}Project> .\n")
            out.write(f'{p} <{RDFS}label> "{name}"@sv .\n')
            out.write(f"{p} <{TG}county> <{ID}county/{rng.randint(1, 25):02d}> .\n")
            out.write(f'{p} <{TG}amount> "{rng.randint(10_000, 9_000_000)}"'
                      f"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")
            out.write(f'{p} <{TG}startYear> "{rng.randint(2014, 2027)}"'
                      f"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class Query:
    name: str
    accept: str
    text: object  # str, or a function of a random.Random giving one


def queries(projects: int) -> list[Query]:
    return [
        Query("lookup", "application/sparql-results+json",
              lambda r: bench_query("lookup",
                                    project=Term.iri(f"{ID}project/{r.randrange(projects)}"))),
        Query("label filter", "application/sparql-results+json",
              lambda r: bench_query("frontend_label",
                                    start=Term.literal(f"Klimat digital {r.randrange(10)}"))),
        Query("group by", "application/sparql-results+json", bench_query("group_by")),
        Query("two-hop join", "application/sparql-results+json",
              lambda r: bench_query("frontend_two_hop",
                                    region=Term.iri(f"{ID}region/{r.randint(1, 25):02d}"))),
        Query("100k-row stream", "text/csv", bench_query("frontend_stream")),
    ]


@dataclass
class Target:
    name: str
    host: str
    port: int
    path: str
    extra: str = ""  # more query-string parameters


def run_cell(target: Target, query: Query, clients: int, seconds: float,
             min_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection(target.host, target.port, timeout=120)
        done = 0
        try:
            while time.monotonic() < stop_at or done < min_requests:
                text = query.text(rng) if callable(query.text) else query.text
                url = f"{target.path}?{urllib.parse.urlencode({'query': text})}{target.extra}"
                started = time.perf_counter()
                conn.request("GET", url, headers={"Accept": query.accept})
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200 or not body:
                    with lock:
                        errors.append(f"{response.status} {body[:200]!r}")
                    return
                with lock:
                    latencies.append(elapsed)
                done += 1
        finally:
            conn.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    if errors:
        raise RuntimeError(f"{target.name} / {query.name}: {errors[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("TILLVAXTGRAF_")}
    full.update(env)
    full.update({"TILLVAXTGRAF_LOG_LEVEL": "WARNING", "TILLVAXTGRAF_WORKERS": "2",
                 "TILLVAXTGRAF_THREADS": "4",
                 "TILLVAXTGRAF_RATE_LIMIT": "off"})  # one client address sends everything
    script = Path(sys.executable).with_name("tillvaxtgraf")
    command = [str(script)] if script.exists() else ["tillvaxtgraf"]
    with open(log, "wb") as out:
        proc = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=full, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def up() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    wait_until(up, 60, "tillvaxtgraf serve", log)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", default="1,8")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    from tillvaxtgraf.loaders.load import load_sources
    from tillvaxtgraf.loaders.sources import rdf_source

    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        root = Path(tmp)
        data = root / "projects.nt"
        generate(data, args.projects)
        started = time.monotonic()
        load_sources(root / "embedded", [rdf_source(data, graph=GRAPH)], progress=False)
        print(f"# {args.projects:,} projects, {args.projects * 5 + 50:,} triples; embedded "
              f"load {time.monotonic() - started:.1f} s", flush=True)
        oxigraph = OxigraphServer.start(root / "oxigraph", log_dir=root)
        started = time.monotonic()
        with open(data, "rb") as fh:
            conn = http.client.HTTPConnection("127.0.0.1", oxigraph.port, timeout=600)
            conn.request("POST", "/store?" + urllib.parse.urlencode({"graph": GRAPH}), fh,
                         {"Content-Type": "application/n-triples"})
            assert conn.getresponse().status in (201, 204)
            conn.close()
        print(f"# oxigraph serve load {time.monotonic() - started:.1f} s", flush=True)
        embedded, embedded_port = serve({"TILLVAXTGRAF_STORE": str(root / "embedded")},
                                        root / "embedded.log")
        remote, remote_port = serve(oxigraph.env(root / "remote-local"), root / "remote.log")
        targets = [
            Target("(a) service, embedded", "127.0.0.1", embedded_port, "/sparql"),
            Target("(b) service → oxigraph", "127.0.0.1", remote_port, "/sparql"),
            Target("(c) oxigraph serve", "127.0.0.1", oxigraph.port, "/query",
                   "&union-default-graph"),
        ]
        results: dict[tuple[str, str, int], dict[str, float]] = {}
        try:
            for query in queries(args.projects):
                stream = query.name.startswith("100k")
                for clients in levels:
                    for target in targets:
                        cell = run_cell(target, query, clients,
                                        args.seconds * (2 if stream else 1),
                                        2 if stream else 5)
                        results[(query.name, target.name, clients)] = cell
                        print(f"{query.name:16} c={clients} {target.name:24} "
                              f"{cell['rps']:8.1f} req/s  p50 {cell['p50']:8.1f} ms  "
                              f"p99 {cell['p99']:8.1f} ms  (n={cell['requests']})",
                              flush=True)
        finally:
            stop(embedded)
            stop(remote)
            oxigraph.stop()
        print()
        print("| query | clients | (a) embedded req/s | (b) front end → oxigraph req/s | "
              "(c) oxigraph req/s | p50 a / b / c (ms) | p99 a / b / c (ms) | (b)/(c) "
              "throughput | (b)/(c) p50 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for query in queries(args.projects):
            for clients in levels:
                a, b, c = (results[(query.name, t.name, clients)] for t in targets)
                print(f"| {query.name} | {clients} | {a['rps']:.1f} | {b['rps']:.1f} | "
                      f"{c['rps']:.1f} | {a['p50']:.1f} / {b['p50']:.1f} / {c['p50']:.1f} | "
                      f"{a['p99']:.1f} / {b['p99']:.1f} / {c['p99']:.1f} | "
                      f"{b['rps'] / c['rps']:.2f} | {b['p50'] / c['p50']:.2f} |")


if __name__ == "__main__":
    main()
