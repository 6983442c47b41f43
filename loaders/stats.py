"""What the store holds: graphs, sizes and where they came from."""

from __future__ import annotations

import os

import pyoxigraph as ox

from tillvaxtgraf.store.embedded import open_read_only
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.sparql import sparql


def graph_records(store: ox.Store) -> list[dict[str, str]]:
    result = store.query(
        sparql("graph_records"),
        substitutions={ox.Variable("meta"): ox.NamedNode(METADATA_GRAPH)},
    )
    variables = [v.value for v in result.variables]
    return [
        {v: (s[v].value if s[v] is not None else "") for v in variables} for s in result
    ]


def graph_stats(store_dir: str | os.PathLike[str]) -> tuple[str, list[dict[str, str]]]:
    snapshot, store = open_read_only(store_dir)
    return snapshot.name, graph_records(store)
