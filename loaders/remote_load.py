"""Loads into a remote SPARQL store: parse and validate here, then replace graph by graph.

The same sources, the same parsing, CSV mappings, SHACL validation and PROV/VoID records
as the embedded loader (``loaders/load.py``), whose functions do the work here too: the
sources are applied to a scratch pyoxigraph store on local disk that holds what the
load needs from the remote store — its metadata graph (to skip unchanged sources), and
for validation the shapes, the ontology and the graphs already loaded as validated.
Only when everything parsed and validated is anything written to the remote store:

1. each loaded graph, replaced whole (``RemoteStore.replace_graph``: a Graph Store PUT,
   or one ``DROP; INSERT DATA`` update request, whichever the store makes atomic);
2. then the metadata graph, the same way;
3. then a new data version stamp, and the derived files are rebuilt.

What the remote store cannot give: several graphs replaced in one step. A load that
fails half-way (the store went away) leaves the graphs written so far replaced and the
metadata graph still describing the old ones, so the next ``tillvaxtgraf load`` sees
them as changed and writes them again. Run one load at a time against a store.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf import __version__
from tillvaxtgraf.loaders import metadata
from tillvaxtgraf.loaders.load import (
    GraphResult,
    LoadReport,
    _apply,
    _Loaded,
    _release_frames,
    check_distinct_graphs,
    count_triples,
)
from tillvaxtgraf.loaders.sources import Source, temporary_workdir
from tillvaxtgraf.loaders.validate import validate_graphs
from tillvaxtgraf.store.derived import rebuild_all
from tillvaxtgraf.store.names import METADATA_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from tillvaxtgraf.store.remote_backend import RemoteStore
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

log = logging.getLogger(__name__)


def remote_triples(store: RemoteStore, graph: str) -> int:
    _, rows = store.select(sparql("count_graph"), {"g": Term.iri(graph)})
    return int(rows[0]["n"].value) if rows else 0


def _fetch_missing(store: RemoteStore, local: ox.Store, graphs: list[str], workdir: Path
                   ) -> None:
    """Copy the graphs the local scratch store lacks from the remote store."""
    for graph in graphs:
        if not local.contains_named_graph(ox.NamedNode(graph)):
            store.fetch_graph(graph, local, workdir)


def _validate(store: RemoteStore, local: ox.Store, todo: list[Source], workdir: Path) -> None:
    wanted = metadata.validated_graphs(local)
    _fetch_missing(store, local, [SHAPES_GRAPH, ONTOLOGY_GRAPH, *wanted], workdir)
    validate_graphs(local, wanted, todo)


def _publish(store: RemoteStore, local: ox.Store, graph: str, workdir: Path) -> str:
    path = workdir / "publish.nt"
    with open(path, "wb") as fh:
        local.dump(fh, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    with open(path, "rb") as fh:
        has_bnodes = any(b"_:" in line for line in fh)
    how = store.replace_graph(graph, path, has_bnodes=has_bnodes)
    path.unlink()
    return how


def load_sources_remote(
    store: RemoteStore,
    sources: list[Source],
    *,
    progress: bool | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Load sources into a remote store; unchanged ones (same hash, same loader) are skipped.

    ``report.snapshot`` is the store's new data version (None when nothing changed).
    """
    check_distinct_graphs(sources)
    report = LoadReport()
    fingerprints = {id(s): s.fingerprint() for s in sources}
    with temporary_workdir() as tmp:
        workdir = Path(tmp)
        local = ox.Store(str(workdir / "scratch"))
        try:
            _fetch_missing(store, local, [METADATA_GRAPH], workdir)
            todo = list(sources)
            if not force:
                todo = []
                for source in sources:
                    sha, version = metadata.recorded_fingerprint(local, source.graph)
                    if sha == fingerprints[id(source)] and version == __version__:
                        report.graphs.append(GraphResult(source.graph, source.label,
                                                         remote_triples(store, source.graph),
                                                         "unchanged"))
                    else:
                        todo.append(source)
            if not todo:
                return report
            loaded: list[GraphResult] = []
            pending: list[_Loaded] = []
            for index, source in enumerate(todo):
                sourcedir = workdir / f"source-{index}"
                sourcedir.mkdir()
                loaded += _apply(local, source, sourcedir, progress, pending)
            for item in pending:
                item.result.triples = count_triples(local, item.result.graph)
                metadata.record(local, item.source, item.result.graph,
                                fingerprints[id(item.source)], item.result.triples,
                                item.started, item.ended)
            report.graphs.extend(loaded)
            if dry_run or any(s.validate for s in todo):
                _validate(store, local, todo, workdir)
            if dry_run:
                return report
            for result in loaded:
                how = _publish(store, local, result.graph, workdir)
                log.info("replaced <%s> on the remote store (%s): %d triples", result.graph, how,
                         result.triples)
            _publish(store, local, METADATA_GRAPH, workdir)
        except BaseException as exc:
            # Close the scratch store before its folder is removed: the traceback's
            # frames would keep it open, and RocksDB would write into the folder as
            # rmtree empties it ("Directory not empty" instead of the real error).
            _release_frames(exc)
            raise
        finally:
            del local
    report.snapshot = store.touch()
    target = store.derived_dir()
    if target is not None:
        rebuild_all(store, target)
    return report


def check_sources_remote(store: RemoteStore, sources: list[Source]) -> int:
    """``tillvaxtgraf validate`` on a remote store: nothing is written there."""
    if sources:
        return len(load_sources_remote(store, sources, force=True, dry_run=True).graphs)
    with temporary_workdir() as tmp:
        workdir = Path(tmp)
        local = ox.Store(str(workdir / "scratch"))
        try:
            _fetch_missing(store, local, [METADATA_GRAPH], workdir)
            wanted = metadata.validated_graphs(local)
            _validate(store, local, [], workdir)
        except BaseException as exc:
            _release_frames(exc)  # see load_sources_remote
            raise
        finally:
            del local
    return len(wanted)
