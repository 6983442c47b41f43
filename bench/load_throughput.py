"""Loading throughput and peak memory: our loader against pyoxigraph's raw bulk loader.

Generates a deterministic N-Triples file of regional-growth projects, then loads it into a
fresh store folder, each load in a fresh process, 3 repetitions per variant in alternating
order:

* ``ours``          ``load_sources(store_dir, [rdf_source(path)], progress=False)``: a raw
                    RDF file, no SHACL; snapshot copy, sha256, bulk load, triple count,
                    provenance record, ``optimize()`` (at >= 50 000 triples), fsync, publish.
* ``ours-no-index`` the same with the derived-file rebuild (the search index over the
                    whole store, store/derived.py) switched off in the child process: what
                    the loader itself costs, apart from the index it maintains.
* ``raw``           ``pyoxigraph.Store(dir).bulk_load(path=..., format=N_TRIPLES,
                    to_graph=...)`` and nothing else.
* ``raw+optimize``  the same, then ``Store.optimize()``: the fair comparison, because our
                    loader optimises after every big load (DESIGN.md: it halves query times).

Time is the wall time of the load call inside the child (interpreter start and imports
excluded, reported apart); peak memory is the child's peak RSS from ``os.wait4`` (the
kernel's ru_maxrss of exactly that process), with the RSS after imports for reference.

    python bench/load_throughput.py                  # 1 000 000 triples, 3 repetitions
    python bench/load_throughput.py --triples 2000000 --repeat 3 --workdir /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("ours", "ours-no-index", "raw", "raw+optimize")
GRAPH = "https://w3id.org/tillvaxtgraf/graph/file/projects"
TARGET_THROUGHPUT = 0.8  # ours / raw, at least
TARGET_MEMORY = 1.2  # ours / raw, at most

# --- the data -------------------------------------------------------------------------------

ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SKOS_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PRIORITIES = [
    "innovation-och-foretagande", "innovation-och-forskning", "entreprenorskap-och-foretagande",
    "miljodriven-naringslivsutveckling", "kommersialisering-och-internationalisering",
    "kapitalforsorjning", "attraktiva-miljoer-och-tillganglighet",
    "tillganglighet-transportsystem-och-it", "kompetensforsorjning",
    "internationellt-samarbete",
]
FUNDERS = ["agency/tillvaxtverket", "agency/vinnova", "agency/esf-radet",
           "funding/eruf", "funding/regionala-projektmedel", "funding/1-1-anslaget"]
WORDS = ["Regional", "Hållbar", "Digital", "Grön", "Smart", "Innovativ", "Attraktiv",
         "Kompetens", "Besöksnäring", "Industri", "Landsbygd", "Export", "Energi", "Vård",
         "Transport", "Kultur", "Livsmedel", "Skog", "Turism", "Tillväxt"]
NOUNS = ["omställning", "samverkan", "utveckling", "plattform", "nätverk", "kluster",
         "lyft", "satsning", "hubb", "arena", "program", "accelerator"]
COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17",
            "18", "19", "20", "21", "22", "23", "24", "25"]


def generate(path: Path, triples: int, seed: int = 20_171_201) -> int:
    """Write about ``triples`` triples (whole projects of 10); returns the exact count."""
    rng = random.Random(seed)
    projects = max(1, triples // 10)
    lines = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(projects):
            s = f"<{ID}project/{i:07d}>"
            county = rng.choice(COUNTIES)
            start_year = rng.randint(2014, 2024)
            start = f"{start_year}-{rng.randint(1, 12):02d}-01"
            end = f"{start_year + rng.randint(1, 4)}-{rng.randint(1, 12):02d}-28"
            amount = f"{rng.randint(50, 50_000) * 1000 + rng.choice((0, 500))}.00"
            title = f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {county}-{i}"
            lines += [
                f"{s} {RDF_TYPE} <{TG}Project> .\n",
                f'{s} {SKOS_LABEL} "{title}"@sv .\n',
                f'{s} <{DCT}identifier> "2017-{i:07d}" .\n',
                f"{s} <{TG}inCounty> <{ID}county/{county}> .\n",
                f"{s} <{TG}fundedBy> <{ID}{rng.choice(FUNDERS)}> .\n",
                f"{s} <{TG}contributesTo> <{ID}priority/{rng.choice(PRIORITIES)}> .\n",
                f'{s} <{TG}amount> "{amount}"^^<{XSD}decimal> .\n',
                f'{s} <{TG}startDate> "{start}"^^<{XSD}date> .\n',
                f'{s} <{TG}endDate> "{end}"^^<{XSD}date> .\n',
                f'{s} <{DCT}description> "Projekt {i} i län {county}: '
                f'{rng.choice(WORDS).lower()} {rng.choice(NOUNS)} för regional tillväxt."@sv .\n',
            ]
            if len(lines) >= 100_000:
                fh.writelines(lines)
                lines.clear()
        fh.writelines(lines)
    return projects * 10


# --- one load, in a child process ------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(variant: str, data: Path, store_dir: Path) -> None:
    """Load ``data`` into ``store_dir`` one way; print timings as JSON on stdout."""
    started = time.perf_counter()
    import pyoxigraph as ox

    if variant.startswith("ours"):
        from tillvaxtgraf.loaders import load
        from tillvaxtgraf.loaders.sources import rdf_source

        if variant == "ours-no-index":  # attribution only
            from tillvaxtgraf.store import derived

            derived.registered_builders()
            derived.unregister_derived_builder("search")
    imported = time.perf_counter()
    rss_after_imports = _rss_kib()
    t0 = time.perf_counter()
    if variant.startswith("ours"):
        report = load.load_sources(store_dir, [rdf_source(data, graph=GRAPH)], progress=False)
        loaded = sum(g.triples for g in report.graphs)
    else:
        store = ox.Store(str(store_dir))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(GRAPH))
        if variant == "raw+optimize":
            store.optimize()
        del store
        loaded = None
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "imports": imported - started,
                      "rss_after_imports_kib": rss_after_imports, "triples": loaded}))


def run_child(variant: str, data: Path, store_dir: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant, "--file", str(data),
           "--store", str(store_dir)]
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as proc:
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{variant} failed with exit code {proc.returncode}")
    result = json.loads(out)
    result.update(variant=variant, process_seconds=wall, peak_rss_kib=usage.ru_maxrss,
                  cpu_seconds=usage.ru_utime + usage.ru_stime)
    return result


# --- the comparison ---------------------------------------------------------------------------


def orders(repeat: int) -> list[list[str]]:
    """Alternate the order so that no variant always runs first (warm disk, page cache)."""
    forward = list(VARIANTS)
    return [forward if i % 2 == 0 else forward[::-1] for i in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Folder for the data file and stores (default: a temp folder).")
    parser.add_argument("--json", type=Path, default=None, help="Also write every run here.")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.store)
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tillvaxtgraf-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"projects-{args.triples}.nt"
    t0 = time.perf_counter()
    triples = generate(data, args.triples)
    print(f"generated {triples:,} triples ({data.stat().st_size / 2**20:.0f} MiB) "
          f"in {time.perf_counter() - t0:.1f} s: {data}", file=sys.stderr)

    load_before = os.getloadavg()[0]
    runs: list[dict] = []
    for rep, order in enumerate(orders(args.repeat), start=1):
        for variant in order:
            store_dir = workdir / f"store-{variant}-{rep}"
            shutil.rmtree(store_dir, ignore_errors=True)
            result = run_child(variant, data, store_dir)
            result["repetition"] = rep
            runs.append(result)
            print(f"  rep {rep} {variant:14} {result['seconds']:6.2f} s  "
                  f"{triples / result['seconds']:>9,.0f} triples/s  "
                  f"peak {result['peak_rss_kib'] / 1024:6.0f} MiB  "
                  f"CPU {result['cpu_seconds']:6.2f} s", file=sys.stderr)
            shutil.rmtree(store_dir, ignore_errors=True)
    if ours := [r for r in runs if r["variant"].startswith("ours")]:
        assert all(r["triples"] == triples for r in ours), "our loader counted otherwise"

    summary = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        seconds = statistics.median(r["seconds"] for r in mine)
        summary[variant] = {
            "seconds": seconds,
            "throughput": triples / seconds,
            "peak_mib": statistics.median(r["peak_rss_kib"] for r in mine) / 1024,
            "imports_mib": statistics.median(r["rss_after_imports_kib"] for r in mine) / 1024,
            "process_seconds": statistics.median(r["process_seconds"] for r in mine),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in mine),
        }
    print(f"\n{triples:,} triples, median of {args.repeat}, each load in a fresh process\n")
    print("| variant | load s | triples/s | peak RSS MiB | RSS after imports MiB | process s "
          "| process CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, s in summary.items():
        print(f"| {variant} | {s['seconds']:.2f} | {s['throughput']:,.0f} | {s['peak_mib']:.0f} "
              f"| {s['imports_mib']:.0f} | {s['process_seconds']:.2f} "
              f"| {s['cpu_seconds']:.2f} |")
    print()
    for mine in ("ours", "ours-no-index"):
        ours_s = summary[mine]
        for base in ("raw", "raw+optimize"):
            ratio_t = ours_s["throughput"] / summary[base]["throughput"]
            ratio_m = ours_s["peak_mib"] / summary[base]["peak_mib"]
            ratio_c = ours_s["cpu_seconds"] / summary[base]["cpu_seconds"]
            verdict_t = "meets" if ratio_t >= TARGET_THROUGHPUT else "MISSES"
            verdict_m = "meets" if ratio_m <= TARGET_MEMORY else "MISSES"
            print(f"{mine}/{base}: throughput {ratio_t:.2f}x ({verdict_t} >= "
                  f"{TARGET_THROUGHPUT}), peak memory {ratio_m:.2f}x ({verdict_m} <= "
                  f"{TARGET_MEMORY}), CPU time {ratio_c:.2f}x")
    print(f"\nload average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps({"triples": triples, "runs": runs, "summary": summary},
                                        indent=2), encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
