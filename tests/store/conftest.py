"""Backends for the Store contract tests: embedded, `oxigraph serve`, Virtuoso.

Each contract test runs once per backend, over the same data loaded by that backend's
own loader. The remote servers are real processes on free loopback ports, one per
session, emptied (their named graphs dropped) before every test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import OxigraphServer, VirtuosoServer, virtuoso_available

from tillvaxtgraf.loaders.load import LoadReport, load_sources
from tillvaxtgraf.loaders.remote_load import load_sources_remote
from tillvaxtgraf.loaders.sources import Source, rdf_source
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.embedded_backend import EmbeddedStore
from tillvaxtgraf.store.remote_backend import RemoteStore

EX = "http://example.org/"
PEOPLE = EX + "graph/people"
ROBOTS = EX + "graph/robots"
PEOPLE_TTL = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice"@en ; ex:knows ex:bob ; ex:age 31 .
ex:bob a ex:Person ; rdfs:label "Bob"@en ; ex:age 42 ; ex:knows ex:carol .
ex:carol a ex:Person ; rdfs:label "Carol"@sv ; ex:note "tab\\there, \\"quoted\\", åäö" ;
    ex:address [ ex:city "Umeå" ] .
"""
ROBOTS_TTL = """\
@prefix ex: <http://example.org/> .
ex:dave a ex:Robot ; ex:serial "R-2" .
"""


@dataclass
class Backend:
    """One backend under test: its Store, and how its loader fills it."""

    name: str
    store: Store
    load: Callable[..., LoadReport]
    local_dir: Path

    @property
    def remote(self) -> bool:
        return isinstance(self.store, RemoteStore)


def write_sources(folder: Path, graphs: dict[str, str]) -> list[Source]:
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for index, (graph, text) in enumerate(graphs.items()):
        path = folder / f"graph{index}.ttl"
        path.write_text(text, encoding="utf-8")
        sources.append(rdf_source(path, graph=graph))
    return sources


def empty_remote(store: RemoteStore) -> None:
    """Drop every named graph the store shows (Virtuoso's own graphs are hidden).

    Grouped, not DISTINCT: Virtuoso answers ``SELECT DISTINCT ?g WHERE { GRAPH ?g {…} }``
    from its graph list, private (system) graphs included.
    """
    _, rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                           "GROUP BY ?g")
    for row in rows:
        store._update(f"DROP SILENT GRAPH <{row['g'].value}>")
    store.touch()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = OxigraphServer.start(tmp_path_factory.mktemp("oxigraph") / "data",
                                  log_dir=tmp_path_factory.mktemp("oxigraph-log"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    if not virtuoso_available():
        pytest.fail("virtuoso-t (Debian package virtuoso-opensource) is not installed: "
                    "'make test' installs it through .ci/system-deps")
    server = VirtuosoServer.start(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["embedded", "oxigraph", "virtuoso"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    local = tmp_path / "local"
    if request.param == "embedded":
        store = EmbeddedStore(local, workers=1, default_timeout=20.0)
        try:
            yield Backend("embedded", store,
                          lambda sources, **kw: load_sources(local, sources, progress=False,
                                                             **kw), local)
        finally:
            store.close()
        return
    server = request.getfixturevalue(f"{request.param}_server")
    remote = server.store(default_timeout=20.0, local_dir=local)
    empty_remote(remote)
    yield Backend(request.param, remote,
                  lambda sources, **kw: load_sources_remote(remote, sources, progress=False,
                                                            **kw), local)
    remote.close()


@pytest.fixture
def small(backend: Backend, tmp_path: Path) -> Backend:
    """The backend with the two small graphs loaded by its loader."""
    backend.load(write_sources(tmp_path / "src", {PEOPLE: PEOPLE_TTL, ROBOTS: ROBOTS_TTL}))
    return backend
