"""Loading generated projects: our table loader against pyoxigraph's raw bulk loader.

Generates (once, cached in --workdir) N projects with bench/generate_projects.py, maps them
once to N-Triples for the raw loader, then loads, each load in a fresh process and in
alternating order:

* ``ours``          ``tillvaxtgraf load projects.csv --mapping generator.mapping.toml``
                    as a library call, into a store that holds the bundled data (the
                    reference tables and shapes a project table links to): CSV parsing,
                    per-row checks, mapping, N-Triples, bulk load, triple count, SHACL on a
                    100-row sample, the funding summaries (two derived graphs),
                    provenance, ``optimize()``, publish.
* ``raw``           ``pyoxigraph.Store(dir).bulk_load(path=projects.nt, ...)`` of exactly the
                    triples our mapping makes for the project graph, and nothing else.
* ``raw+optimize``  the same, then ``Store.optimize()`` (our loader optimises after every
                    big load, so this is the fair comparison).

Throughput is the project graph's triples per second of the load call (interpreter start
and imports excluded); peak memory is the child's ru_maxrss from ``os.wait4``.

    python bench/projects_load.py --projects 100000 --repeat 3
    python bench/projects_load.py --projects 1000000 --repeat 1 --keep-store /tmp/s1m
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAPPING = REPO / "data" / "projects" / "generator.mapping.toml"
VARIANTS = ("ours", "raw", "raw+optimize")
TARGET_THROUGHPUT = 0.7  # ours / raw, at least
TARGET_MEMORY = 1.2  # ours / raw, at most


def project_csv(workdir: Path, projects: int, seed: int = 2017) -> Path:
    path = workdir / f"projects-{projects}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "bench" / "generate_projects.py"),
                        "--projects", str(projects), "--seed", str(seed), "--out", str(path)],
                       check=True)
    return path


def bundled_store(workdir: Path) -> Path:
    """A store with the bundled data, made once; loads start from copies of it."""
    path = workdir / "bundled-store"
    if not (path / "CURRENT").exists():
        from tillvaxtgraf.loaders.bundled import bundled_sources
        from tillvaxtgraf.loaders.load import load_sources

        shutil.rmtree(path, ignore_errors=True)
        load_sources(path, bundled_sources(), progress=False)
    return path


def copy_store(source: Path, target: Path) -> None:
    """A fresh store folder with the source's current snapshot (a RocksDB checkpoint)."""
    import pyoxigraph as ox

    from tillvaxtgraf.store.snapshots import SnapshotDir

    snapshot = SnapshotDir(source).current()
    assert snapshot is not None
    shutil.rmtree(target, ignore_errors=True)
    (target / "snapshots").mkdir(parents=True)
    ox.Store.read_only(str(snapshot.path)).backup(str(target / "snapshots" / snapshot.name))
    (target / "CURRENT").write_text(snapshot.name + "\n", encoding="ascii")


def parts_dir(table: Path) -> Path:
    """Where the first 'ours' load leaves hard links to the N-Triples files it mapped."""
    return table.parent / (table.with_suffix(".nt").name + ".parts")


def mapped_ntriples(table: Path) -> tuple[Path, str, int]:
    """The project graph's triples as N-Triples (what the raw loader gets), made once by
    our mapping (in parallel for a big table): the files the first 'ours' load mapped,
    or else mapped here; the parts are joined into one file."""
    from tillvaxtgraf.loaders import csv_mapping, table_load

    mapping = csv_mapping.read_mapping(MAPPING, table)
    path = table.with_suffix(".nt")
    if not path.exists():
        parts = parts_dir(table)
        files = sorted(parts.glob("mapped*.nt")) if parts.is_dir() else []
        if not files:
            shutil.rmtree(parts, ignore_errors=True)
            parts.mkdir()
            files = table_load.MappingRun(mapping, {}, progress=False).write(parts)
        tmp = path.with_suffix(".nt.tmp")
        with open(tmp, "wb") as out:
            for part in files:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 24)
                part.unlink()
        shutil.rmtree(parts)
        tmp.replace(path)
    with open(path, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
    return path, mapping.graph, lines


# --- one load, in a child process ------------------------------------------------------------

PHASES = {  # (module, function): phase of our load, timed in the child
    ("tillvaxtgraf.loaders.table_load", "MappingRun.write"): "mapping (CSV to N-Triples)",
    ("tillvaxtgraf.loaders.load", "_bulk_load"): "bulk load",
    ("tillvaxtgraf.loaders.load", "count_triples"): "triple count",
    ("tillvaxtgraf.loaders.load", "_optimize"): "optimize()",
    ("tillvaxtgraf.store.snapshots", "SnapshotDir.begin"): "snapshot copy",
    ("tillvaxtgraf.loaders.table_load", "MappingRun._check_sample"): "SHACL on the sample",
    ("tillvaxtgraf.loaders.funding_summaries", "prepare"):
        "funding summaries, written (before the bulk load)",
    ("tillvaxtgraf.loaders.funding_summaries", "apply"): "funding summaries, bulk-loaded",
    ("tillvaxtgraf.loaders.funding_summaries", "rebuild"): "funding summaries (before 2026-11-27)",
    ("tillvaxtgraf.store.derived", "DerivedBuild.finish"):
        "waiting for the search index (built beside the load)",
}


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def time_phases() -> tuple[dict[str, float], dict[str, int]]:
    """Wrap the phases of our load in timers; the dicts fill in as the load runs: seconds
    per phase, and the process's largest RSS seen in each (sampled every 0.2 s; outside
    every phase, under "the rest")."""
    import functools
    import importlib
    import threading

    spent: dict[str, float] = {}
    peaks: dict[str, int] = {}
    running: list[str] = []  # the phases in progress, innermost last

    def sample() -> None:
        while True:
            phase = running[-1] if running else "the rest"
            peaks[phase] = max(peaks.get(phase, 0), rss_kib())
            time.sleep(0.2)

    for (module_name, qualname), phase in PHASES.items():
        owner = importlib.import_module(module_name)
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        function = getattr(owner, name, None)
        if function is None:  # a phase of another version of the loader
            continue

        @functools.wraps(function)
        def timed(*args, _function=function, _phase=phase, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            running.append(_phase)
            try:
                return _function(*args, **kwargs)
            finally:
                running.pop()
                spent[_phase] = spent.get(_phase, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)
    threading.Thread(target=sample, daemon=True).start()
    return spent, peaks


def keep_mapped(keep: Path) -> None:
    """Hard-link the files our load maps into ``keep`` (untimed), for the raw loads."""
    from tillvaxtgraf.loaders import table_load

    write = table_load.MappingRun.write

    def write_and_keep(self, workdir):  # noqa: ANN001, ANN202
        files = write(self, workdir)
        keep.mkdir(exist_ok=True)
        for path in files:
            (keep / path.name).unlink(missing_ok=True)
            os.link(path, keep / path.name)
        return files

    table_load.MappingRun.write = write_and_keep


def child(variant: str, data: Path, store_dir: Path, graph: str,
          without_search_index: bool = False) -> None:
    started = time.perf_counter()
    import pyoxigraph as ox

    if variant == "ours":
        from tillvaxtgraf.loaders.load import load_sources
        from tillvaxtgraf.loaders.sources import csv_source
        if not data.with_suffix(".nt").exists():
            keep_mapped(parts_dir(data))
        if without_search_index:
            from tillvaxtgraf.store import derived

            derived.registered_builders()
            derived.unregister_derived_builder("search")
        phases, phase_peaks = time_phases()
    imported = time.perf_counter()
    rss_after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if variant == "ours":
        report = load_sources(store_dir, [csv_source(MAPPING, data)], progress=False)
        graphs = {r.graph: r.triples for r in report.graphs}
    else:
        store = ox.Store(str(store_dir))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(graph))
        if variant == "raw+optimize":
            store.optimize()
    seconds = time.perf_counter() - t0
    if variant != "ours":  # distinct triples (the mapping's parts may repeat a few lines)
        graphs, phases, phase_peaks = {graph: len(store)}, {}, {}
        del store
    print(json.dumps({"seconds": seconds, "imports": imported - started, "phases": phases,
                      "phase_peak_rss_kib": phase_peaks,
                      "rss_after_imports_kib": rss_after_imports, "graphs": graphs}))


def run_child(variant: str, data: Path, store_dir: Path, graph: str,
              without_search_index: bool = False) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", variant, "--file",
           str(data), "--store", str(store_dir), "--graph", graph,
           *(["--without-search-index"] if without_search_index else [])]
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as proc:
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{variant} failed with exit code {proc.returncode}")
    result = json.loads(out)
    # CPU seconds include the child's own children (our mapping processes), which the
    # child waited for; ru_maxrss is the largest single process.
    result.update(variant=variant, process_seconds=time.perf_counter() - t0,
                  peak_rss_kib=usage.ru_maxrss, cpu_seconds=usage.ru_utime + usage.ru_stime,
                  loadavg=os.getloadavg()[0])
    return result


# --- the comparison ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tillvaxtgraf-bench"))
    parser.add_argument("--keep-store", type=Path, default=None,
                        help="Keep the last 'ours' store here (for the query benchmarks).")
    parser.add_argument("--keep-raw", type=Path, default=None,
                        help="Keep the last 'raw' store here, as a one-snapshot store folder "
                        "(the project graph only: for the raw GROUP BYs and lookups).")
    parser.add_argument("--json", type=Path, default=None, help="Also write every run here.")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="Comma-separated subset of: " + ", ".join(VARIANTS))
    parser.add_argument("--without-search-index", action="store_true",
                        help="Leave the search index out of our load (it is the search "
                        "helper's to measure; at 1 M it takes longer than the rest).")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.store, args.graph, args.without_search_index)
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    table = project_csv(args.workdir, args.projects)
    bundled = bundled_store(args.workdir)
    variants = tuple(v for v in VARIANTS if v in args.variants.split(","))
    from tillvaxtgraf.loaders.csv_mapping import read_mapping

    graph = read_mapping(MAPPING, table).graph
    nt = table.with_suffix(".nt")
    triples = 0
    if "ours" not in variants or nt.exists():
        nt, graph, triples = mapped_ntriples(table)
        print(f"{args.projects:,} projects: {table.stat().st_size / 2**20:.0f} MiB CSV, "
              f"{triples:,} N-Triples lines ({nt.stat().st_size / 2**20:.0f} MiB); "
              f"prepared in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    runs: list[dict] = []
    for rep in range(1, args.repeat + 1):
        # Alternate the order, so that no variant always runs first (page cache, disk);
        # when the raw loads' N-Triples are still to be made, ours runs first and maps them.
        order = variants if rep % 2 or not triples else variants[::-1]
        if not triples and "ours" in order:
            order = ("ours", *(v for v in order if v != "ours"))
        for variant in order:
            if variant != "ours" and not triples:
                nt, graph, triples = mapped_ntriples(table)
                print(f"{triples:,} N-Triples lines ({nt.stat().st_size / 2**20:.0f} MiB) "
                      "from our load's mapping", file=sys.stderr)
            load_before = os.getloadavg()[0]
            # Named after the size too: two runs with one workdir must not share a store.
            store_dir = args.workdir / f"store-{args.projects}-{variant}"
            shutil.rmtree(store_dir, ignore_errors=True)
            if variant == "ours":
                copy_store(bundled, store_dir)
            result = run_child(variant, table if variant == "ours" else nt, store_dir, graph,
                               args.without_search_index)
            result["repetition"] = rep
            result["loadavg_before"] = load_before
            runs.append(result)
            print(f"  rep {rep} {variant:13} {result['seconds']:7.1f} s  "
                  f"{result['graphs'].get(graph, 0) / result['seconds']:>9,.0f} triples/s  "
                  f"peak {result['peak_rss_kib'] / 1024:6.0f} MiB  "
                  f"cpu {result['cpu_seconds']:7.1f} s  "
                  f"load avg {load_before:.1f} -> {result['loadavg']:.1f}", file=sys.stderr)
            if variant == "ours" and args.keep_store and rep == args.repeat:
                shutil.rmtree(args.keep_store, ignore_errors=True)
                shutil.move(str(store_dir), str(args.keep_store))
            if variant == "raw" and args.keep_raw and rep == args.repeat:
                shutil.rmtree(args.keep_raw, ignore_errors=True)
                (args.keep_raw / "snapshots").mkdir(parents=True)
                shutil.move(str(store_dir), str(args.keep_raw / "snapshots" / "000001"))
                (args.keep_raw / "CURRENT").write_text("000001\n", encoding="ascii")
            shutil.rmtree(store_dir, ignore_errors=True)
    counts = {r["graphs"][graph] for r in runs}
    assert len(counts) == 1, f"the loads counted different triples: {counts}"
    triples = counts.pop()
    ours_graphs = [r["graphs"] for r in runs if r["variant"] == "ours"]
    derived = sum(n for g, n in ours_graphs[0].items() if g != graph) if ours_graphs else 0

    summary = {}
    for variant in variants:
        mine = [r for r in runs if r["variant"] == variant]
        seconds = statistics.median(r["seconds"] for r in mine)
        summary[variant] = {
            "seconds": seconds,
            "throughput": triples / seconds,
            "peak_mib": statistics.median(r["peak_rss_kib"] for r in mine) / 1024,
            "imports_mib": statistics.median(r["rss_after_imports_kib"] for r in mine) / 1024,
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in mine),
            "loadavg": statistics.median((r["loadavg_before"] + r["loadavg"]) / 2 for r in mine),
        }
    print(f"\n{args.projects:,} projects, {triples:,} project triples (+ {derived:,} derived "
          f"summary triples in ours), median of {args.repeat}, each load in a fresh process\n")
    print("| variant | load s | project triples/s | CPU s | peak RSS MiB "
          "| RSS after imports MiB | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, s in summary.items():
        print(f"| {variant} | {s['seconds']:.1f} | {s['throughput']:,.0f} "
              f"| {s['cpu_seconds']:.0f} | {s['peak_mib']:.0f} "
              f"| {s['imports_mib']:.0f} | {s['loadavg']:.1f} |")
    print()
    if "ours" not in summary:
        if args.json:
            args.json.write_text(json.dumps({"projects": args.projects, "triples": triples,
                                             "runs": runs, "summary": summary}, indent=2),
                                 encoding="utf-8")
        return
    phases = [r["phases"] for r in runs if r["variant"] == "ours"]
    peaks = [r.get("phase_peak_rss_kib", {}) for r in runs if r["variant"] == "ours"]
    print("| phase of ours | s (median) | peak RSS MiB (median) |\n|---|---:|---:|")
    for phase in PHASES.values():
        print(f"| {phase} | {statistics.median(p.get(phase, 0.0) for p in phases):.1f} "
              f"| {statistics.median(p.get(phase, 0) for p in peaks) / 1024:.0f} |")
    rest = statistics.median(r["seconds"] - sum(r["phases"].values())
                             for r in runs if r["variant"] == "ours")
    print(f"| the rest (metadata, publish, …) | {rest:.1f} "
          f"| {statistics.median(p.get('the rest', 0) for p in peaks) / 1024:.0f} |\n")
    ours = summary["ours"]
    bases = [b for b in ("raw", "raw+optimize") if b in summary]
    for base in bases:
        ratio_t = ours["throughput"] / summary[base]["throughput"]
        ratio_m = ours["peak_mib"] / summary[base]["peak_mib"]
        verdict_t = "meets" if ratio_t >= TARGET_THROUGHPUT else "MISSES"
        verdict_m = "meets" if ratio_m <= TARGET_MEMORY else "MISSES"
        print(f"ours/{base}: throughput {ratio_t:.2f}x ({verdict_t} >= {TARGET_THROUGHPUT}), "
              f"peak memory {ratio_m:.2f}x ({verdict_m} <= {TARGET_MEMORY})")
    search = statistics.median(p.get(PHASES[("tillvaxtgraf.store.derived",
                                             "DerivedBuild.finish")], 0.0)
                               for p in phases)
    for base in bases:
        ratio = summary[base]["seconds"] / (ours["seconds"] - search)
        print(f"ours without waiting for the search index / {base}: throughput {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"projects": args.projects, "triples": triples,
                                         "derived": derived, "runs": runs,
                                         "summary": summary}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
