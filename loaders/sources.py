"""What can be loaded: a source knows its files, its target graph and how to parse it."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders import csv_mapping, table_load
from tillvaxtgraf.loaders.formats import check_input, format_for_path
from tillvaxtgraf.store.names import GRAPH, ID
from tillvaxtgraf.store.terms import is_valid_iri

HASH_CHUNK = 1 << 20


def sha256_of(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            while chunk := fh.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Source:
    """One file (or table + mapping) destined for one named graph."""

    kind: str  # "ontology", "shapes", "curated", "reference", "csv", "rdf"
    path: Path
    graph: str
    rdf_format: ox.RdfFormat | None = None
    validate: bool = False
    mapping: csv_mapping.Mapping | None = None
    derived_from: str | None = None
    subject_lines: dict[str, int] = field(default_factory=dict)
    bad_rows: csv_mapping.BadRows | None = None  # None: a bad row refuses the table
    run: table_load.MappingRun | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return str(self.path)

    def files(self) -> list[Path]:
        return [self.path] if self.mapping is None else self.mapping.files()

    def fingerprint(self) -> str:
        return sha256_of(*self.files())

    def rdf_files(self, workdir: Path, progress: bool | None = None
                  ) -> tuple[list[Path], ox.RdfFormat]:
        """The RDF file(s) to bulk-load: the source itself, or N-Triples made from a table
        (one file per process that mapped it)."""
        if self.mapping is None:
            assert self.rdf_format is not None
            try:
                check_input(self.path, self.rdf_format)
            except LoadError as exc:
                exc.source = self.label
                raise
            return [self.path], self.rdf_format
        self.run = table_load.MappingRun(self.mapping, self.subject_lines, self.bad_rows,
                                         progress)
        return self.run.write(workdir), ox.RdfFormat.N_TRIPLES

    def before_load(self, store: ox.Store, workdir: Path) -> None:
        """Once the table is mapped, before its bulk load: what can be worked out without
        the new triples (a table's derived graphs) is written to ``workdir`` then."""
        if self.run is not None:
            self.run.prepare(store, self, workdir)

    def after_load(self, store: ox.Store) -> list[tuple[str, int]]:
        """Once the file is in the store: SHACL on a sample, derived graphs (table loads).

        Returns the derived graphs written, with their triple counts.
        """
        if self.run is None:
            return []
        run, self.run = self.run, None
        return run.finish(store, self)


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise LoadError("no such file or directory", source=str(path))
    if not path.is_file():
        raise LoadError("not a file", source=str(path))


def rdf_source(
    path: str | Path,
    *,
    graph: str | None = None,
    rdf_format: str | None = None,
    validate: bool = False,
    kind: str = "rdf",
    derived_from: str | None = None,
) -> Source:
    path = Path(path)
    _check_exists(path)
    fmt = format_for_path(path, rdf_format)
    graph = graph or GRAPH + "file/" + path.name.split(".", 1)[0]
    if not is_valid_iri(graph):
        raise LoadError(f"the graph name {graph!r} is not an absolute IRI", source=str(path))
    return Source(kind, path, graph, fmt, validate=validate, derived_from=derived_from)


def csv_source(mapping_path: str | Path, table: str | Path | None = None,
               kind: str = "csv") -> Source:
    mapping = csv_mapping.read_mapping(mapping_path, table)
    _check_exists(mapping.table)
    table_load.check_summaries(mapping)
    # shacl = "sample": the rows are checked one by one and a sample by SHACL while the
    # table loads; the graph is not re-validated with later loads (it may be huge).
    return Source(kind, mapping.table, mapping.graph, validate=mapping.shacl == "all",
                  mapping=mapping)


def curated_source(path: Path) -> Source:
    """A curated section file: its own graph, derived from the section it encodes."""
    slug = path.stem
    return rdf_source(
        path,
        graph=GRAPH + "seed/" + slug,
        validate=True,
        kind="curated",
        derived_from=ID + "source-section/" + slug,
    )


def temporary_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="tillvaxtgraf-load-")
