"""What the serving benchmarks share: the generated-projects store, the live server, the
server's processes and their memory, percentiles.

One way to do each thing: the live server is the test suite's own ``start_server``
(``tillvaxtgraf serve``, gunicorn with the production defaults, on a free loopback port,
stopped with its whole process tree), so a bench measures exactly what the tests start.
Scripts in bench/ import this module by name (``python bench/x.py`` puts bench/ first on
the path).
"""

from __future__ import annotations

import subprocess
import sys
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

MAPPING = REPO / "data" / "projects" / "generator.mapping.toml"
ID = "https://w3id.org/tillvaxtgraf/id/"

__all__ = ["ID", "MAPPING", "REPO", "LiveServer", "cmdline", "cpu_ticks", "ensure_store",
           "free_port", "percentile", "process_role", "process_tree", "rss_kib",
           "start_server"]


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
