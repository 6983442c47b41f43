"""Read access to the embedded store's current snapshot."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pyoxigraph as ox

from tillvaxtgraf.store.snapshots import Snapshot, SnapshotDir
from tillvaxtgraf.store.terms import Term


def ensure_snapshot(store_dir: str | os.PathLike[str]) -> Snapshot:
    """The current snapshot, creating an empty first one for a new store folder."""
    snapshots = SnapshotDir(store_dir)
    current = snapshots.current()
    if current is not None:
        return current
    with snapshots.lock():
        current = snapshots.current()
        if current is None:
            fresh = snapshots.begin()
            snapshots.publish(fresh)
            current = fresh
    return current


def open_read_only(store_dir: str | os.PathLike[str]) -> tuple[Snapshot, ox.Store]:
    snapshot = ensure_snapshot(store_dir)
    return snapshot, ox.Store.read_only(str(snapshot.path))


def to_term(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    if isinstance(node, ox.NamedNode):
        return Term("uri", node.value)
    if isinstance(node, ox.BlankNode):
        return Term("bnode", node.value)
    return Term.literal(node.value, node.language, node.datatype.value)


def select_rows(store: ox.Store) -> Callable[[str], Iterator[dict[str, Term]]]:
    """A function running SELECT queries on an open store (union default graph) as rows."""

    def select(query: str) -> Iterator[dict[str, Term]]:
        result = store.query(query, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        for solution in result:
            yield {n: to_term(solution[n]) for n in names if solution[n] is not None}

    return select
