"""One load of a mapped table: rows → N-Triples for the bulk loader, then what follows it.

The mapping streams the table's rows into an N-Triples file (no per-triple work beyond
string formatting), and on the way feeds the summaries it declares and keeps a sample of
rows. Before the bulk load, ``prepare`` writes the derived graphs to a file and drops the
sums; after it, ``finish`` checks the sample against the SHACL shapes (``shacl =
"sample"``: pyshacl cannot check millions of triples, the per-row checks of the mapping do
that) and loads the derived graphs, in the same snapshot.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders import csv_mapping, funding_summaries
from tillvaxtgraf.memory import release_free_memory
from tillvaxtgraf.store.names import METADATA_GRAPH, PROV

if TYPE_CHECKING:
    from tillvaxtgraf.loaders.sources import Source

log = logging.getLogger(__name__)

SUMMARY_KINDS = {"funding"}
# Tables this big are mapped by one process per core (smaller ones: starting the
# processes costs more than it saves). Each maps every other batch of rows.
PARALLEL_ABOVE_BYTES = 16 * 2**20
BATCH_ROWS = 5000
_SUBJECT = re.compile(r"^<([^>]*)>", re.MULTILINE)


def check_summaries(mapping: csv_mapping.Mapping) -> None:
    """Refuse a mapping that asks for summaries nobody knows how to make."""
    unknown = set(mapping.summaries) - SUMMARY_KINDS
    if unknown:
        raise LoadError(f"bad mapping: unknown [summaries.{sorted(unknown)[0]}] "
                        f"(known: {', '.join(sorted(SUMMARY_KINDS))})", source=str(mapping.path))
    for config in mapping.summaries.values():
        funding_summaries.FundingAccumulator.from_mapping(mapping, config)


@dataclass
class MappingRun:
    """The state of one table between mapping it and finishing its load.

    The rows are mapped into a file first and bulk-loaded after: pyoxigraph parses a file
    in parallel, but a pipe only on one thread, which made streaming through a FIFO (with
    the mapping in a thread beside the loader) slower, not faster, on two cores.
    """

    mapping: csv_mapping.Mapping
    subject_lines: dict[str, int]
    bad_rows: csv_mapping.BadRows | None = None
    progress: bool | None = None
    sample: list[str] | None = None
    funding: funding_summaries.FundingAccumulator | None = None
    prepared: funding_summaries.PreparedSummaries | None = None
    rows: int = 0
    files: list[Path] | None = None  # the N-Triples files written (several when parallel)
    parallel_above_bytes: int = PARALLEL_ABOVE_BYTES
    batch_rows: int = BATCH_ROWS
    processes: int | None = None  # None: one per core

    def __post_init__(self) -> None:
        if self.mapping.shacl == "sample":
            self.sample = []
        if "funding" in self.mapping.summaries:
            self.funding = funding_summaries.FundingAccumulator.from_mapping(
                self.mapping, self.mapping.summaries["funding"])

    def write(self, workdir: Path) -> list[Path]:
        """The N-Triples of every row, in ``workdir/mapped*.nt``; bad rows raise (after the
        whole table was read) or go to the rejects file."""
        parts = self.processes or _cores()
        if (parts > 1 and self.mapping.shacl == "sample"
                and (self.bad_rows is None or not self.bad_rows.skip)
                and self.mapping.table.stat().st_size >= self.parallel_above_bytes):
            files = self._write_parallel(workdir, parts)
            if files is not None:
                self.files = files
                return files
            log.info("a part of %s has bad rows: mapping it again in one process to "
                     "report them", self.mapping.table)
        self.files = [self._write_one(workdir)]
        return self.files

    def _write_parallel(self, workdir: Path, parts: int) -> list[Path] | None:
        """Map the table in ``parts`` processes, each writing its own file; None when a
        part found a bad row (the one-process mapping then reports them all, in order).

        A row's triples do not depend on other rows except for the "unique" checks (the
        parts' values are compared here) and ``once`` entities (a subject may then be
        described by several parts: the same triples, which the store keeps once). The
        first batch, with the SHACL sample, is part 0's.
        """
        batch = max(self.batch_rows, self.mapping.sample_rows)
        files = [workdir / f"mapped-{k}.nt" for k in range(parts)]
        log.info("mapping %s in %d processes", self.mapping.table, parts)
        results = _run_parts(self.mapping, [((k, parts, batch), files[k])
                                            for k in range(parts)], workdir)
        if results is None:
            return None
        seen: dict[str, dict[str, int]] = {}
        for result in results:
            for column, values in result.unique.items():
                mine = seen.setdefault(column, {})
                if not mine.keys().isdisjoint(values):
                    return None
                mine.update(values)
        first = results[0]
        if self.sample is not None:
            self.sample.extend(first.sample or [])
        self.subject_lines.update(first.subject_lines or {})
        for result in results:
            self.rows += result.rows
            if self.funding is not None and result.funding is not None:
                self.funding.merge(result.funding)
        return files

    def _write_one(self, workdir: Path) -> Path:
        out = workdir / "mapped.nt"
        on_row = self.funding.add if self.funding is not None else None
        try:
            self.rows += _write_rows(out, csv_mapping.map_rows(
                self.mapping, self.subject_lines, bad_rows=self.bad_rows, on_row=on_row,
                sample=self.sample, progress=self.progress))
        finally:
            if self.bad_rows is not None:
                self.bad_rows.close()
        return out

    def prepare(self, store: ox.Store, source: Source, workdir: Path) -> None:
        """Before the bulk load: write the derived graphs to a file and drop the sums, so
        that they do not sit in memory beside the bulk loader (at a million projects they
        took about as much as the bulk loader itself)."""
        if self.funding is not None:
            self.prepared = funding_summaries.prepare(store, source.graph, self.funding,
                                                      workdir)
            self.funding = None
            release_free_memory()

    def finish(self, store: ox.Store, source: Source) -> list[tuple[str, int]]:
        """After the bulk load: SHACL on the sample, derived graphs. Returns (graph, triples)."""
        from tillvaxtgraf.loaders import metadata  # it imports sources, which imports us

        if self.sample is not None:
            self._check_sample(store, source)
        derived: list[tuple[str, int]] = []
        if self.prepared is not None:
            started = metadata.now()
            graphs, written = self.prepared.graphs, self.prepared.written
            funding_summaries.apply(store, self.prepared)
            ended = metadata.now()
            meta = ox.NamedNode(METADATA_GRAPH)
            for graph, sha, triples in written:
                metadata.record(store, _derived_source(source, graph), graph, sha, triples,
                                started, ended)
                store.extend([ox.Quad(ox.NamedNode(graph), ox.NamedNode(PROV + "wasDerivedFrom"),
                                      ox.NamedNode(g), meta)
                              for g in graphs if g != source.graph])
                derived.append((graph, triples))
            log.info("rebuilt the funding summaries from %d project graph(s)", len(graphs))
        return derived

    def _check_sample(self, store: ox.Store, source: Source) -> None:
        """SHACL on the sampled rows, with the validated graphs around them (for sh:class).

        The sample is not written to the store: a write, and above all removing a graph,
        is slow in a store that has just bulk-loaded millions of triples.
        """
        from tillvaxtgraf.loaders import metadata
        from tillvaxtgraf.loaders.validate import validate_graphs

        text = "".join(self.sample or [])
        if text:
            validate_graphs(store, metadata.validated_graphs(store), [source],
                            focus=sorted(set(_SUBJECT.findall(text))), extra=text)


def _write_rows(out: Path, rows: Iterable[str]) -> int:
    """Write the rows' N-Triples text to ``out``; returns how many rows there were.

    Each row is encoded on its own: most rows' text is Latin-1, and one wide character
    (an en dash) in a joined batch would make the whole batch a wider, slower string."""
    count = 0
    batch: list[bytes] = []
    with open(out, "wb") as fh:
        for row in rows:
            batch.append(row.encode("utf-8"))
            if len(batch) >= 2000:
                fh.write(b"".join(batch))
                count += len(batch)
                batch.clear()
        fh.write(b"".join(batch))
    return count + len(batch)


@dataclass
class PartResult:
    """What one process mapping a share of a table hands back."""

    rows: int
    unique: dict[str, dict[str, int]]
    funding: funding_summaries.FundingAccumulator | None
    sample: list[str] | None
    subject_lines: dict[str, int] | None


def map_part(mapping: csv_mapping.Mapping, part: tuple[int, int, int], out: Path
             ) -> PartResult | None:
    """In a worker process: map one share of the table into ``out``; None on bad rows."""
    first = part[0] == 0
    funding = (funding_summaries.FundingAccumulator.from_mapping(
        mapping, mapping.summaries["funding"]) if "funding" in mapping.summaries else None)
    sample: list[str] | None = [] if first and mapping.shacl == "sample" else None
    subject_lines: dict[str, int] | None = {} if first else None
    unique: dict[str, dict[str, int]] = {}
    try:
        rows = _write_rows(out, csv_mapping.map_rows(
            mapping, subject_lines, on_row=funding.add if funding else None,
            sample=sample, progress=False, part=part, unique=unique))
    except LoadError:  # bad rows, or a bad table: the one-process mapping reports it
        return None
    return PartResult(rows, unique, funding, sample, subject_lines)


def _run_parts(mapping: csv_mapping.Mapping, parts: list[tuple[tuple[int, int, int], Path]],
               workdir: Path) -> list[PartResult] | None:
    """Run ``map_part`` for each part in its own process (loaders/map_worker.py).

    Plain subprocesses rather than multiprocessing, which would import the caller's main
    module again in each process. None when a part found bad rows or its process failed.
    """
    procs = []
    for index, (part, out) in enumerate(parts):
        result = workdir / f"part-{index}.pickle"
        proc = subprocess.Popen([sys.executable, "-m", "tillvaxtgraf.loaders.map_worker",
                                 str(result)], stdin=subprocess.PIPE)
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps((mapping, part, out)))
        proc.stdin.close()
        procs.append((proc, result))
    results: list[PartResult] = []
    failed = False
    for proc, result in procs:
        if proc.wait() != 0:
            log.warning("a mapping process failed (exit code %s)", proc.returncode)
            failed = True
        elif not failed:
            with open(result, "rb") as fh:
                results.append(pickle.load(fh))
        result.unlink(missing_ok=True)
    if failed or any(r is None for r in results):
        return None
    return results


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _derived_source(source: Source, graph: str) -> Source:
    from tillvaxtgraf.loaders.sources import Source

    return Source("derived", source.path, graph, validate=False, derived_from=source.graph)
