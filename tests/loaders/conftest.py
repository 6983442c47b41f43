"""Fixtures for the loader tests: tiny shapes, and a byte-level picture of a store folder."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from tillvaxtgraf.loaders.sources import Source, rdf_source
from tillvaxtgraf.store.names import METADATA_GRAPH, SHAPES_GRAPH
from tillvaxtgraf.store.snapshots import SnapshotDir

# Projects need a Swedish label and a non-negative amount; enough to make data fail on purpose.
TINY_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/tillvaxtgraf/shapes#ProjectShape> a sh:NodeShape ;
    sh:targetClass tg:Project ;
    sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ] ;
    sh:property [ sh:path tg:amount ; sh:datatype xsd:decimal ; sh:minInclusive 0 ] .
"""


def folder_state(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the sha256 of its bytes ("dir" for folders)."""
    state = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_dir():
            state[key] = "dir"
        else:
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def graph_counts(store_dir: Path) -> dict[str, int]:
    """Triples per named graph of the current snapshot, counted by SPARQL."""
    current = SnapshotDir(store_dir).current()
    assert current is not None, f"{store_dir} has no published snapshot"
    store = ox.Store.read_only(str(current.path))
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {s["g"].value: int(s["n"].value) for s in result}


def data_counts(store_dir: Path) -> dict[str, int]:
    """Like graph_counts, without the metadata graph."""
    return {g: n for g, n in graph_counts(store_dir).items() if g != METADATA_GRAPH}


@pytest.fixture
def state() -> Callable[[Path], dict[str, str]]:
    return folder_state


@pytest.fixture
def counts() -> Callable[[Path], dict[str, int]]:
    return graph_counts


@pytest.fixture
def shapes_source(tmp_path: Path) -> Source:
    """A tiny SHACL shapes file, as the shapes graph source of a load."""
    path = tmp_path / "tiny-shapes.ttl"
    path.write_text(TINY_SHAPES, encoding="utf-8")
    return rdf_source(path, graph=SHAPES_GRAPH, kind="shapes")
