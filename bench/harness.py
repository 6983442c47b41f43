"""What the serving benchmarks share: the generated-projects store, the live server, the
server's processes and their memory, percentiles.

One way to do each thing: the live server is the test suite's own ``start_server``
(``tillvaxtgraf serve``, gunicorn with the production defaults, on a free loopback port,
stopped with its whole process tree), so a bench measures exactly what the tests start.
Scripts in bench/ import this module by name (``python bench/x.py`` puts bench/ first on
the path).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "service"))

from service_support import (  # noqa: E402
    LiveServer,
    cmdline,
    cpu_ticks,
    free_port,
    process_tree,
    rss_kib,
    start_server,
)

from tillvaxtgraf.store.bindings import bind_values  # noqa: E402
from tillvaxtgraf.store.terms import Term  # noqa: E402

MAPPING = REPO / "data" / "projects" / "generator.mapping.toml"
QUERIES = Path(__file__).resolve().parent / "queries"
ID = "https://w3id.org/tillvaxtgraf/id/"

__all__ = ["ID", "MAPPING", "REPO", "LiveServer", "Term", "WrkRun", "bench_query", "cmdline",
           "cpu_ticks", "ensure_store", "free_port", "percentile", "process_role", "process_tree",
           "rss_kib", "run_wrk", "start_server"]

@cache
def _query_text(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def bench_query(name: str, **terms: Term) -> str:
    """The text of ``bench/queries/<name>.rq`` with its variables bound to ``terms``, as an
    inline VALUES (the remote backend's way: an HTTP client has no substitutions)."""
    return bind_values(_query_text(name), {k: v.to_ntriples() for k, v in terms.items()})


# wrk (C, keep-alive; `apt-get install wrk`) as the load generator: on two cores a Python
# client competes with the server for the CPU and, on threads, for its own GIL, and its
# latencies are partly its own. Each connection takes the paths in turn.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local accept = os.getenv("BENCH_ACCEPT")
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], {["Accept"] = accept})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %.1f %.1f %.1f %.1f %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def run_wrk(port: int, paths: list[str], clients: int, seconds: float, work: Path,
            accept: str = "*/*") -> WrkRun:
    """``clients`` keep-alive connections sending ``paths`` in turn for ``seconds``."""
    listing = work / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = work / "rotate.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d",
         f"{max(1, round(seconds))}s", "--timeout", "120s", "-s", str(script),
         f"http://127.0.0.1:{port}/"],
        env={**os.environ, "BENCH_PATHS": str(listing), "BENCH_ACCEPT": accept},
        capture_output=True, text=True, timeout=seconds + 180)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    requests, micros, p50, p95, p99, most, errors = line.split()[1:]
    return WrkRun(int(requests), int(micros) / 1e6, float(p50) / 1000, float(p95) / 1000,
                  float(p99) / 1000, float(most) / 1000, int(errors))


def ensure_store(store: Path, projects: int, seed: int) -> None:
    """The bundled data plus ``projects`` generated projects (bench/generate_projects.py,
    ``seed``) in ``store``; a store that is already there is reused as it is."""
    if (store / "CURRENT").exists():
        print(f"reusing the store in {store}", file=sys.stderr)
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    csv = store.parent / f"projects-{projects}-{seed}.csv"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate_projects.py"),
                    "--projects", str(projects), "--seed", str(seed), "--out", str(csv)],
                   check=True)
    cli = [sys.executable, "-m", "tillvaxtgraf", "--store", str(store), "load", "--no-progress"]
    subprocess.run(cli, check=True)
    subprocess.run([*cli, str(csv), "--mapping", str(MAPPING)], check=True)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def process_role(server: LiveServer, pid: int) -> str:
    """What one process of a ``tillvaxtgraf serve`` tree is."""
    if pid == server.proc.pid:
        return "gunicorn master"
    return "query worker" if "tillvaxtgraf.store.worker" in cmdline(pid) else "gunicorn worker"
