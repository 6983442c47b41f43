"""One load of a mapped table: rows → N-Triples for the bulk loader, then what follows it.

The mapping streams the table's rows into an N-Triples file (no per-triple work beyond
string formatting), and on the way feeds the summaries it declares and keeps a sample of
rows. After the store has bulk-loaded the file, ``finish`` checks the sample against the
SHACL shapes (``shacl = "sample"``: pyshacl cannot check millions of triples, the per-row
checks of the mapping do that) and rebuilds the derived graphs, in the same snapshot.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders import csv_mapping, funding_summaries
from tillvaxtgraf.store.names import METADATA_GRAPH, PROV

if TYPE_CHECKING:
    from tillvaxtgraf.loaders.sources import Source

log = logging.getLogger(__name__)

SUMMARY_KINDS = {"funding"}
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
    rows: int = 0

    def __post_init__(self) -> None:
        if self.mapping.shacl == "sample":
            self.sample = []
        if "funding" in self.mapping.summaries:
            self.funding = funding_summaries.FundingAccumulator.from_mapping(
                self.mapping, self.mapping.summaries["funding"])

    def write(self, workdir: Path) -> Path:
        """The N-Triples of every row, in ``workdir/mapped.nt``; bad rows raise (after the
        whole table was read) or go to the rejects file."""
        out = workdir / "mapped.nt"
        on_row = self.funding.add if self.funding is not None else None
        batch: list[str] = []
        try:
            with open(out, "w", encoding="utf-8") as fh:
                for chunk in csv_mapping.map_rows(self.mapping, self.subject_lines,
                                                  bad_rows=self.bad_rows, on_row=on_row,
                                                  sample=self.sample, progress=self.progress):
                    batch.append(chunk)
                    if len(batch) >= 2000:
                        fh.write("".join(batch))
                        self.rows += len(batch)
                        batch.clear()
                fh.write("".join(batch))
                self.rows += len(batch)
        finally:
            if self.bad_rows is not None:
                self.bad_rows.close()
        return out

    def finish(self, store: ox.Store, source: Source) -> list[tuple[str, int]]:
        """After the bulk load: SHACL on the sample, derived graphs. Returns (graph, triples)."""
        from tillvaxtgraf.loaders import metadata  # it imports sources, which imports us

        if self.sample is not None:
            self._check_sample(store, source)
        derived: list[tuple[str, int]] = []
        if self.funding is not None:
            started = metadata.now()
            graphs, written = funding_summaries.rebuild(store, source.graph, self.funding)
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


def _derived_source(source: Source, graph: str) -> Source:
    from tillvaxtgraf.loaders.sources import Source

    return Source("derived", source.path, graph, validate=False, derived_from=source.graph)
