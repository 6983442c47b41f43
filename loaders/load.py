"""Apply sources to the store: all of them or none, published as one new snapshot."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf import __version__
from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders import metadata
from tillvaxtgraf.loaders.progress import SHOW_ABOVE_BYTES, ProgressReader
from tillvaxtgraf.loaders.sources import Source, temporary_workdir
from tillvaxtgraf.store.bindings import bind_values
from tillvaxtgraf.store.derived import DERIVED_SUFFIX, DerivedBuild, SnapshotView
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.snapshots import SnapshotDir
from tillvaxtgraf.store.sparql import sparql

log = logging.getLogger(__name__)

OPTIMIZE_ABOVE_TRIPLES = 50_000  # at most the cap of store/sparql/graph_size_capped.rq


@dataclass
class GraphResult:
    graph: str
    source: str
    triples: int
    status: str  # "loaded" or "unchanged"


@dataclass
class LoadReport:
    graphs: list[GraphResult] = field(default_factory=list)
    snapshot: str | None = None

    @property
    def changed(self) -> bool:
        return any(g.status == "loaded" for g in self.graphs)


def count_triples(store: ox.Store, graph: str) -> int:
    """The triples of one graph (a scan of it: about 30 s at 40 M triples)."""
    text = bind_values(sparql("count_one_graph"), {"g": str(ox.NamedNode(graph))})
    row = next(iter(store.query(text)), None)
    return int(row["n"].value) if row is not None else 0


def _optimize(store: ox.Store) -> None:
    """Compact the store after a big load. It costs about as much as a sixth of the bulk
    load (10 of 48 CPU s at 3.9 M triples) and halves lookup times afterwards (a
    resource's triples 0.11 -> 0.05 ms at 100 000 projects; bench/README.md, "Loading"):
    the bulk loader leaves one set of overlapping files per batch, which every read of a
    snapshot (opened read-only, so never compacted later) would have to merge."""
    store.optimize()


def _holds_at_least(store: ox.Store, graphs: list[str], enough: int) -> bool:
    """Whether the graphs hold ``enough`` triples together (at most the query's cap),
    without counting them all."""
    for graph in graphs:
        if enough <= 0:
            break
        text = bind_values(sparql("graph_size_capped"), {"g": str(ox.NamedNode(graph))})
        enough -= int(next(iter(store.query(text)))["n"].value)
    return enough <= 0


def _syntax_error(source: Source, path: Path, exc: SyntaxError) -> LoadError:
    message = str(exc.args[0]) if exc.args else str(exc)
    line = exc.lineno
    column = exc.offset
    label = source.label if path == source.path else f"{source.label} (mapped)"
    return LoadError(message, source=label, line=line, column=column)


def _dataset_graphs(path: Path, rdf_format: ox.RdfFormat) -> set[str]:
    """Named graphs a TriG/N-Quads file writes to (the file's default graph excluded)."""
    graphs = set()
    for quad in ox.parse(path=str(path), format=rdf_format):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs.add(quad.graph_name.value)
    return graphs


def _bulk_load(store: ox.Store, path: Path, rdf_format: ox.RdfFormat, graph: str,
               progress: bool | None) -> None:
    size = os.path.getsize(path)
    if not (progress if progress is not None else size >= SHOW_ABOVE_BYTES):
        # No bar to move: let pyoxigraph read the file itself, without a Python read loop.
        store.bulk_load(path=str(path), format=rdf_format, to_graph=ox.NamedNode(graph))
        return
    with open(path, "rb") as raw, ProgressReader(
        raw, size, f"loading {path.name}", enabled=True
    ) as reader:
        store.bulk_load(reader, rdf_format, to_graph=ox.NamedNode(graph))


@dataclass
class _Loaded:
    """A graph a source wrote, waiting for its provenance record."""

    source: Source
    result: GraphResult
    started: datetime
    ended: datetime


class _DerivedInputs:
    """Hands the derived files' builders (the search index) what the load writes, as it
    writes it: the files before they are bulk-loaded, then the graphs kept from the
    previous snapshot and those a source derives after its load. Once the last input is
    known the builders finish beside the rest of the load."""

    def __init__(self, build: DerivedBuild | None, previous: SnapshotView | None) -> None:
        self.build, self.previous = build, previous
        self.replaced: set[str] = set()
        self.late: list[str] = []

    def files(self, paths: list[Path], rdf_format: ox.RdfFormat, graphs: list[str]) -> None:
        self.replaced.update(graphs)
        if self.build is not None:
            for path in paths:
                self.build.add_file(path, rdf_format)

    def close(self, store: ox.Store | None = None, name: str = "") -> None:
        """No more inputs: the graphs nobody replaced come from the previous snapshot,
        the derived ones from ``store`` (the new snapshot)."""
        build = self.build
        if build is None or build.closed:
            return
        if self.previous is not None:
            replaced = self.replaced | set(self.late)
            build.add_graphs(self.previous, [
                None, *(g for g in self.previous.named_graphs() if g not in replaced)])
        if self.late and store is not None:
            build.add_graphs(SnapshotView(store, name), list(self.late))
        build.close()


def _apply(store: ox.Store, source: Source, workdir: Path, progress: bool | None,
           loaded: list[_Loaded], inputs: _DerivedInputs | None = None,
           last: bool = False) -> list[GraphResult]:
    started = metadata.now()
    inputs = inputs or _DerivedInputs(None, None)
    paths, rdf_format = source.rdf_files(workdir, progress)
    source.before_load(store, workdir)
    path = paths[0]
    targets = [source.graph]
    try:
        if rdf_format.supports_datasets:
            targets += sorted(_dataset_graphs(path, rdf_format) - {source.graph})
        if METADATA_GRAPH in targets:
            raise LoadError("a source may not write the metadata graph", source=source.label)
        inputs.files(paths, rdf_format, targets)
        if last and source.run is None and not inputs.late:
            inputs.close()  # every input known before the bulk load: build beside it
        for graph in targets:
            node = ox.NamedNode(graph)
            if store.contains_named_graph(node):
                store.remove_graph(node)
        for path in paths:
            _bulk_load(store, path, rdf_format, source.graph, progress)
    except SyntaxError as exc:
        raise _syntax_error(source, path, exc) from None
    except ValueError as exc:
        raise LoadError(str(exc), source=source.label) from None
    results = []
    ended = metadata.now()
    for graph in targets:  # counted once the store is optimized: a faster scan then
        results.append(GraphResult(graph, source.label, 0, "loaded"))
        loaded.append(_Loaded(source, results[-1], started, ended))
    # Graphs derived from the source in the same step (e.g. funding summaries of a table).
    for graph, triples in source.after_load(store):
        results.append(GraphResult(graph, source.label, triples, "loaded"))
        inputs.late.append(graph)
    return results


SQLITE_FULL = 13  # sqlite3 error code: "database or disk is full"


def _out_of_space(exc: BaseException | None) -> str | None:
    """What ran out when a write failed for lack of space (the exception or its causes).

    pyoxigraph reports a full disk as a bare OSError with the reason in its text only;
    SQLite (the search index) as SQLITE_FULL.
    """
    while exc is not None:
        text = str(exc)
        if isinstance(exc, OSError):
            if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text:
                return "no space left on the device that holds the store"
            if exc.errno == errno.EFBIG or "File too large" in text:
                return "a file of the store would grow past the file size limit (ulimit -f)"
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
            return "no space left on the device that holds the store"
        exc = exc.__cause__
    return None


def _write_failed(exc: BaseException, store_dir: str | os.PathLike[str]) -> LoadError | None:
    """A full disk, a size limit or an I/O error as one line naming it (the CLI prints
    it without a traceback); None for errors that already say what went wrong."""
    problem = _out_of_space(exc)
    if problem is None and not isinstance(exc, OSError):
        return None
    reason = problem or str(exc)
    return LoadError(f"{reason}: the load was undone, the store is as it was",
                     source=str(store_dir),
                     hint="free some space and load again" if problem else None)


def check_distinct_graphs(sources: list[Source]) -> None:
    """Refuse two sources that would write the same graph."""
    graphs = [s.graph for s in sources]
    duplicate = {g for g in graphs if graphs.count(g) > 1}
    if duplicate:
        raise LoadError(f"two sources target the same graph: {', '.join(sorted(duplicate))}")


def _release_frames(exc: BaseException) -> None:
    """Drop the locals of every frame an exception, and those it chains to, holds."""
    pending: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        pending += [error.__context__, error.__cause__]


def check_sources(store_dir: str | os.PathLike[str], sources: list[Source]) -> int:
    """Validate sources in a private copy of the store, then throw the copy away.

    With no sources, validates the graphs already in the store. Returns how many graphs
    were checked; raises ValidationError (file, line, reason) on a violation.
    """
    if not sources:
        from tillvaxtgraf.loaders.validate import validate_graphs
        from tillvaxtgraf.store.embedded import open_read_only

        _, store = open_read_only(store_dir)
        graphs = metadata.validated_graphs(store)
        validate_graphs(store, graphs, [])
        return len(graphs)
    report = load_sources(store_dir, sources, force=True, dry_run=True)
    return len(report.graphs)


def load_sources(
    store_dir: str | os.PathLike[str],
    sources: list[Source],
    *,
    progress: bool | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Load every source or none; readers see the old state until the new one is whole.

    A source whose file (and mapping) hash and loader version match what the metadata
    graph records is skipped, so loading the same source twice changes nothing.
    """
    snapshots = SnapshotDir(store_dir)
    report = LoadReport()
    check_distinct_graphs(sources)
    with snapshots.lock():
        fingerprints = {id(s): s.fingerprint() for s in sources}
        current = snapshots.current()
        todo = list(sources)
        if current is not None and not force:
            reader = ox.Store.read_only(str(current.path))
            todo = []
            for source in sources:
                sha, version = metadata.recorded_fingerprint(reader, source.graph)
                if sha == fingerprints[id(source)] and version == __version__:
                    triples = count_triples(reader, source.graph)
                    report.graphs.append(GraphResult(source.graph, source.label, triples,
                                                     "unchanged"))
                else:
                    todo.append(source)
            del reader
        if not todo and current is not None:
            report.snapshot = current.name
            return report
        try:
            snapshot = snapshots.begin()
        except OSError as exc:  # e.g. no space for the copy's new files
            raise (_write_failed(exc, store_dir) or exc) from None
        store: ox.Store | None = None
        build: DerivedBuild | None = None
        workspace = temporary_workdir()
        try:
            store = ox.Store(str(snapshot.path))
            if not dry_run:
                build = DerivedBuild(snapshot.derived(DERIVED_SUFFIX), snapshot.name)
            previous = None if current is None else SnapshotView(
                ox.Store.read_only(str(current.path)), current.name)
            inputs = _DerivedInputs(build, previous)
            loaded: list[_Loaded] = []
            for number, source in enumerate(todo, start=1):
                workdir = Path(workspace.name) / str(len(report.graphs))
                workdir.mkdir()
                report.graphs.extend(_apply(store, source, workdir, progress, loaded,
                                            inputs, number == len(todo)))
                if build is None:  # else its files are read beside the load: kept till then
                    shutil.rmtree(workdir, ignore_errors=True)
            inputs.close(store, snapshot.name)
            derived = sum(r.triples for r in report.graphs if r.status == "loaded")
            graphs = [item.result.graph for item in loaded]
            if not dry_run and _holds_at_least(store, graphs, OPTIMIZE_ABOVE_TRIPLES - derived):
                # Before any small write: optimizing after one makes RocksDB rewrite every
                # file the bulk load just wrote (bench/README.md, "Loading").
                log.info("optimizing the store after loading %s", ", ".join(graphs))
                _optimize(store)
            for item in loaded:
                item.result.triples = count_triples(store, item.result.graph)
                log.info("loaded %s into <%s>: %d triples", item.source.label,
                         item.result.graph, item.result.triples)
            for item in loaded:
                metadata.record(store, item.source, item.result.graph,
                                fingerprints[id(item.source)], item.result.triples,
                                item.started, item.ended)
            if dry_run or any(s.validate for s in todo):
                from tillvaxtgraf.loaders.validate import validate_graphs

                validate_graphs(store, metadata.validated_graphs(store), todo)
            if dry_run:
                store = None
                snapshots.discard(snapshot)
                workspace.cleanup()
                return report
            # Derived files (search index …) are built for the new snapshot and published
            # with it: readers never see an index that does not match the data.
            build.finish(SnapshotView(store, snapshot.name))
            build = inputs = previous = None
            workspace.cleanup()
            log.info("publishing snapshot %s", snapshot.name)
            store.flush()
            store = None
            snapshots.publish(snapshot)
            report.snapshot = snapshot.name
        except BaseException as exc:
            # Close the half-written store before deleting its folder: the frames in the
            # traceback would keep it open, so RocksDB would go on holding its lock (and
            # writing) in a folder that the next load in this process reuses.
            _release_frames(exc)
            if build is not None:
                build.cancel()
            workspace.cleanup()
            del store
            snapshots.discard(snapshot)
            failed = _write_failed(exc, store_dir)
            if failed is not None:
                raise failed from None
            raise
    return report
