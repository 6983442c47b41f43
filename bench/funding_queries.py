"""The catalog's funding questions on a store of generated projects, with and without the
derived funding summaries, side by side.

For each question: the catalog query (which reads the summaries graph, or the project
data for the two questions the summaries do not cover) and the same question answered
from the raw project triples with a SPARQL GROUP BY, as one would without summaries.
Times are the engine's (pyoxigraph on the published snapshot, in this process, every row
of the whole answer read) and, for the catalog queries, also the service's real path:
``run_named`` on ``EmbeddedStore`` with the API's row cap (``max_returned_rows``, 1 000),
the answer serialized by the store's query worker and parsed here (what
/api/queries/<name> does, minus HTTP), as CPU time of the worker process and the calling
thread together (the mean of --repeat calls) and the fastest wall time. Medians of
--repeat runs after one warm-up run; a raw query that takes longer than --slow seconds
runs once.

    python bench/funding_queries.py --store /tmp/tvg-bench/kept-1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.queries.catalog import get_query, run_named
from tillvaxtgraf.store.embedded_backend import EmbeddedStore
from tillvaxtgraf.store.snapshots import SnapshotDir
from tillvaxtgraf.store.terms import Term

ID = "https://w3id.org/tillvaxtgraf/id/"
COUNTY = ID + "county/24"
PREFIXES = """PREFIX tg: <https://w3id.org/tillvaxtgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
"""
# The raw answers: ?_county is bound to COUNTY where a question names a county.
RAW = {
    "by county": PREFIXES + """
SELECT ?county (SUM(?g) AS ?granted) (SUM(COALESCE(?p, 0)) AS ?paid)
    (COUNT(DISTINCT ?project) AS ?projects)
WHERE {
  ?f schema:fundedItem ?project ; tg:grantedAmount ?g . OPTIONAL { ?f tg:paidAmount ?p }
  ?project tg:runsInCounty ?county .
} GROUP BY ?county""",
    "by county × source × priority × year": PREFIXES + """
SELECT ?county ?source ?priority ?year (SUM(?g) AS ?granted) (SUM(COALESCE(?p, 0)) AS ?paid)
    (COUNT(DISTINCT ?project) AS ?projects)
WHERE {
  ?f schema:fundedItem ?project ; tg:fundingSource ?source ; tg:grantedAmount ?g .
  OPTIONAL { ?f tg:paidAmount ?p }
  ?project tg:runsInCounty ?county ; tg:servesPriority ?sub ; schema:startDate ?start .
  ?sub skos:broader? ?priority . ?priority a tg:Priority .
  BIND(YEAR(?start) AS ?year)
} GROUP BY ?county ?source ?priority ?year""",
    "by source × year in a county": PREFIXES + """
SELECT ?_county ?source ?year (SUM(?g) AS ?granted) (SUM(COALESCE(?p, 0)) AS ?paid)
    (COUNT(DISTINCT ?project) AS ?projects)
WHERE {
  ?project tg:runsInCounty ?_county ; schema:startDate ?start .
  ?f schema:fundedItem ?project ; tg:fundingSource ?source ; tg:grantedAmount ?g .
  OPTIONAL { ?f tg:paidAmount ?p }
  BIND(YEAR(?start) AS ?year)
} GROUP BY ?_county ?source ?year""",
    "top 10 beneficiaries in a county": PREFIXES + """
SELECT ?_county ?beneficiary (SUM(?g) AS ?granted) (COUNT(DISTINCT ?project) AS ?projects)
WHERE {
  ?project tg:runsInCounty ?_county ; tg:beneficiary ?beneficiary .
  ?f schema:fundedItem ?project ; tg:grantedAmount ?g .
} GROUP BY ?_county ?beneficiary ORDER BY DESC(?granted) LIMIT 10""",
    "counties sharing partners with a county": PREFIXES + """
SELECT ?_county ?other (COUNT(DISTINCT ?org) AS ?shared) WHERE {
  ?p1 tg:runsInCounty ?_county ; tg:partner ?org .
  ?p2 tg:partner ?org ; tg:runsInCounty ?other .
  FILTER(?other != ?_county)
} GROUP BY ?_county ?other""",
}
# The catalog's questions: (question, query name, parameter values).
CATALOG = [
    ("by county", "funding_amounts", {"by": "county"}),
    ("by county × source × priority × year", "funding_amounts",
     {"by": "county source priority year"}),
    ("by source × year in a county", "funding_amounts",
     {"by": "county source year", "county": COUNTY}),
    ("top 10 beneficiaries in a county", "top_beneficiaries", {"county": COUNTY}),
    ("counties sharing partners with a county", "shared_partners", {"county": COUNTY}),
    ("organisations co-financing with Region Västerbotten", "cofinancing_organisations",
     {"organisation": ID + "region/24"}),
    ("projects of a sub-priority in a county", "sub_priority_projects",
     {"priority": ID + "priority/kapitalforsorjning", "county": COUNTY}),
    ("projects of a priority in all counties", "sub_priority_projects",
     {"priority": ID + "priority/innovation-och-foretagande"}),
]


def ox_term(term: Term) -> ox.NamedNode | ox.Literal:
    if term.kind == "uri":
        return ox.NamedNode(term.value)
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype)) if term.datatype \
        else ox.Literal(term.value)


CPU: dict[int, float] = {}  # id(run) → median CPU seconds of this thread, see timed()
API_ROWS = 1000  # the API's row cap (settings: max_returned_rows)


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's child processes so far: the store's
    query workers, which evaluate and serialize the queries of the real path."""
    total, me = 0, str(os.getpid())
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def real_path(embedded: EmbeddedStore, name: str, values: dict[str, str], repeat: int
              ) -> tuple[float, float, int, bool]:
    """(mean CPU s of worker + caller, fastest wall s, rows, truncated) of run_named with
    the API's row cap, after one warm-up call."""
    query = get_query(name)
    run_named(embedded, query, values, max_rows=API_ROWS, timeout=3600)
    walls = []
    cpu0, thread0 = children_cpu(), time.thread_time()
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = run_named(embedded, query, values, max_rows=API_ROWS, timeout=3600)
        walls.append(time.perf_counter() - t0)
    cpu = (children_cpu() - cpu0 + time.thread_time() - thread0) / repeat
    return cpu, min(walls), len(answer.rows), answer.truncated


def timed(run, repeat: int, slow: float) -> tuple[float, int, int]:
    """(median seconds, rows, runs) of run(), after one warm-up run.

    Also keeps the median CPU time of this thread in ``CPU[id(run)]``: pyoxigraph evaluates
    a query in the calling thread, so on a shared, busy machine that is the latency the
    query would have on an idle one (wall time then mostly measures waiting for a core).
    """
    t0, c0 = time.perf_counter(), time.thread_time()
    rows = run()
    first, first_cpu = time.perf_counter() - t0, time.thread_time() - c0
    if first > slow:
        CPU[id(run)] = first_cpu
        return first, rows, 1
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.thread_time()
        run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    CPU[id(run)] = statistics.median(cpu)
    return statistics.median(times), rows, repeat


def engine_run(store: ox.Store, text: str, substitutions: dict) -> int:
    return sum(1 for _ in store.query(text, substitutions=substitutions,
                                      use_default_graph_as_union=True))


def catalog_engine(store: ox.Store, name: str, values: dict[str, str]):  # noqa: ANN201
    query = get_query(name)
    bound = query.bind(values)
    text = query.prepared(bound)
    subs = {ox.Variable(k): ox_term(v) for k, v in bound.items()}
    return lambda: engine_run(store, text, subs)


def measure(store_dir: Path, repeat: int, slow: float, raw: bool = True,
            runner: bool = True) -> list[dict]:
    snapshot = SnapshotDir(store_dir).current()
    assert snapshot is not None
    store = ox.Store.read_only(str(snapshot.path))
    embedded = EmbeddedStore(store_dir, workers=1, default_timeout=3600) if runner else None
    results = []
    try:
        for question, name, values in CATALOG:
            run = catalog_engine(store, name, values)
            seconds, rows, _ = timed(run, repeat, slow)
            row = {"question": question, "query": name, "summary_ms": seconds * 1000,
                   "summary_cpu_ms": CPU[id(run)] * 1000, "rows": rows}
            if embedded is not None:
                cpu, wall, api_rows, truncated = real_path(embedded, name, values,
                                                           max(repeat, 10))
                row.update(api_cpu_ms=cpu * 1000, api_wall_ms=wall * 1000, api_rows=api_rows,
                           api_truncated=truncated)
            if raw and question in RAW:
                subs = {ox.Variable("_county"): ox.NamedNode(COUNTY)} \
                    if "?_county" in RAW[question] else {}
                raw_run = lambda q=question, s=subs: engine_run(store, RAW[q], s)  # noqa: E731
                raw_s, raw_rows, runs = timed(raw_run, repeat, slow)
                row.update(raw_ms=raw_s * 1000, raw_cpu_ms=CPU[id(raw_run)] * 1000,
                           raw_rows=raw_rows, raw_runs=runs)
            results.append(row)
            print(f"  {question:55} {row['summary_ms']:9.1f} ms ({row['summary_cpu_ms']:.1f} "
                  "CPU)" + (f"  API path {row['api_cpu_ms']:7.1f} ms CPU ({row['api_rows']} "
                            "rows)" if "api_cpu_ms" in row else "")
                  + (f"  raw {row['raw_ms']:10.1f} ms ({row['raw_cpu_ms']:.0f} CPU)"
                     if "raw_ms" in row else ""), file=sys.stderr)
    finally:
        if embedded is not None:
            embedded.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", type=float, default=20.0,
                        help="A query slower than this (s) on its warm-up run runs once.")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-raw", action="store_true",
                        help="Skip the raw GROUP BYs (minutes of one core each at 1 M).")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results = measure(args.store, args.repeat, args.slow, raw=not args.no_raw)
    load = (load + os.getloadavg()[0]) / 2
    print(f"load average {load:.1f} (the mean of before and after)\n")
    print("| question | catalog query | rows | with summaries: engine ms (CPU ms), whole "
          "answer | API path: CPU ms (fastest wall ms), rows | without summaries (raw "
          "GROUP BY): ms (CPU ms) | speed-up (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        raw = (f"{r['raw_ms']:,.0f} ({r['raw_cpu_ms']:,.0f})" if "raw_ms" in r
               else "(reads project data)")
        speedup = (f"{r['raw_cpu_ms'] / max(r['summary_cpu_ms'], 0.01):,.0f}x"
                   if "raw_ms" in r else "")
        print(f"| {r['question']} | `{r['query']}` | {r['rows']} | {r['summary_ms']:.1f} "
              f"({r['summary_cpu_ms']:.1f}) | {r['api_cpu_ms']:.1f} ({r['api_wall_ms']:.1f}), "
              f"{r['api_rows']} | {raw} | {speedup} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
