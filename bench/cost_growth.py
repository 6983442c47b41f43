"""How the cost of questions grows with the number of projects: 10 k, 100 k, 1 M.

For stores made by ``bench/projects_load.py --keep-store`` (generated projects, bundled
data, funding summaries), measures at each size:

* the catalog's funding questions through the service's real path (``run_named`` with the
  API's row cap of 1 000 rows, the store's query worker serializing the answer: CPU time of
  the worker and the caller, as in funding_queries.py);
* the same "amounts by county" answered from the raw project triples (a GROUP BY), which is
  what the summaries save;
* the endpoint's lookups, through the real Flask app in this process (Werkzeug's test
  client, no network): a project's page as N-Triples (``GET /id/project/<case>``), a
  one-resource SPARQL query (``GET /sparql``), and a named query over the API
  (``GET /api/queries/funding_amounts?by=county``).

Catalog questions are timed by CPU time (worker process + calling thread, the mean of the
calls), the raw GROUP BY by the CPU time of the thread that runs it (pyoxigraph evaluates
in the calling thread), endpoint requests by the fastest of their runs: on a shared, busy
machine wall-clock medians mostly measure waiting for a core.

Writes a Markdown table to stdout and a log-log plot of latency against size (PNG).
Lookups should stay flat; aggregations from the summaries too; the raw GROUP BY grows with
the data, no worse than linearly.

    python bench/cost_growth.py --store 10000=/tmp/tvg-bench/kept-10000 \\
        --store 100000=/tmp/tvg-bench/kept-100000 --store 1000000=/tmp/tvg-bench/kept-1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from funding_queries import CPU, RAW, engine_run, measure, timed

from tillvaxtgraf.loaders.funding_summaries import SUMMARIES_GRAPH
from tillvaxtgraf.loaders.rowchecks import slug
from tillvaxtgraf.store.snapshots import SnapshotDir

ID = "https://w3id.org/tillvaxtgraf/id/"
LOOKUP = "SELECT ?p ?o WHERE { <{iri}> ?p ?o }"


def first_case(projects: int, workdir: Path) -> str:
    """The case number of the first generated project (the tables are deterministic)."""
    with open(workdir / f"projects-{projects}.csv", encoding="utf-8", newline="") as fh:
        return next(csv.DictReader(fh))["case_number"]


def endpoint_times(store_dir: Path, project: str, repeat: int, summaries: bool = True
                   ) -> dict[str, float]:
    from tillvaxtgraf.service import create_app
    from tillvaxtgraf.settings import load_settings

    # One client, and no result cache: the same lookup again would come from memory.
    app = create_app(load_settings({"TILLVAXTGRAF_RESULT_CACHE_BYTES": "0"},
                                   store=str(store_dir), rate_limit=""))
    client = app.test_client()
    requests = {
        "GET /id/project/… (N-Triples)": (project.removeprefix("https://w3id.org/tillvaxtgraf"),
                                          {"Accept": "application/n-triples"}),
        "GET /sparql one-resource lookup": (
            "/sparql?query=" + quote(LOOKUP.replace("{iri}", project)),
            {"Accept": "application/sparql-results+json"}),
        "GET /api/queries/funding_amounts?by=county": (
            "/api/queries/funding_amounts?by=county&format=json", {}),
    }
    if not summaries:
        del requests["GET /api/queries/funding_amounts?by=county"]
    out = {}
    for label, (path, headers) in requests.items():
        def get(p: str = path, h: dict[str, str] = headers) -> int:
            response = client.get(p, headers=h)
            assert response.status_code == 200, (p, response.status_code, response.data[:300])
            return len(response.data)

        get()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            get()
            times.append(time.perf_counter() - t0)
        # The fastest of the runs: on a shared machine the median mostly measures how
        # long the request waited for a core (its work runs in the store's worker process,
        # whose CPU time this process cannot see).
        out[label] = min(times) * 1000
    return out


def plot(sizes: list[int], series: dict[str, list[float]], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    for label, values in series.items():
        style = "--" if label.startswith("raw") else "-"
        ax.plot(sizes, values, style, marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("projects in the store")
    ax.axhline(100, color="red", linewidth=0.8, linestyle=":", label="100 ms (the target)")
    ax.set_ylabel("ms: questions' CPU (store worker + caller), endpoint best of runs")
    ax.set_title("Cost growth: funding questions and lookups")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(target, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", required=True, metavar="N=DIR",
                        help="A store of N generated projects (repeat for each size).")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tvg-bench"),
                        help="Where projects_load.py keeps the generated tables.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--png", type=Path, default=Path(__file__).parent /
                        "projects_cost_growth.png")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    stores = sorted((int(n), Path(d)) for n, d in (s.split("=", 1) for s in args.store))
    table: dict[str, dict[int, float]] = {}
    for projects, store_dir in stores:
        print(f"{projects:,} projects: {store_dir}", file=sys.stderr)
        snapshot = SnapshotDir(store_dir).current()
        assert snapshot is not None
        store = ox.Store.read_only(str(snapshot.path))
        summaries = store.contains_named_graph(ox.NamedNode(SUMMARIES_GRAPH))
        del store
        if not summaries:
            print("  no funding summaries (a raw store): raw GROUP BY and lookups only",
                  file=sys.stderr)
        for row in (measure(store_dir, args.repeat, slow=20.0, raw=False, runner=True)
                    if summaries else []):
            label = f"catalog: {row['question']}"
            table.setdefault(label, {})[projects] = row["api_cpu_ms"]
        store = ox.Store.read_only(str(snapshot.path))
        raw_run = lambda s=store: engine_run(s, RAW["by county"], {})  # noqa: E731
        timed(raw_run, 3, 20.0)
        table.setdefault("raw GROUP BY: by county", {})[projects] = CPU[id(raw_run)] * 1000
        del store
        project = ID + "project/" + slug(first_case(projects, args.workdir))
        for label, ms in endpoint_times(store_dir, project, args.repeat * 4,
                                        summaries).items():
            table.setdefault(f"endpoint: {label}", {})[projects] = ms
    sizes = [n for n, _ in stores]
    print(f"load average {(load + os.getloadavg()[0]) / 2:.1f} (mean of before and after)\n")
    print("| question or lookup | " + " | ".join(f"{n:,} projects" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for label, values in table.items():
        print(f"| {label} | " + " | ".join(f"{values[n]:,.1f} ms" if n in values else "–"
                                           for n in sizes) + " |")
    plot(sizes, {label: [values.get(n, float("nan")) for n in sizes]
                 for label, values in table.items()}, args.png)
    print(f"\nplot: {args.png}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(table, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
