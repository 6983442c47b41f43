"""Apps for the linked-data tests.

- ``ld_app``/``ld``: one read-only app over the bundled data for the session.
- ``hostile_app``/``hostile``: a writable app over a fresh store holding the ontology, the
  shapes and a small file of awkward data (labels with markup, quotes and unusual
  Unicode, non-ASCII IRIs, a resource with more links than a page shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import service_support
from flask import Flask
from flask.testing import FlaskClient
from ld_support import BASE, HOSTILE_GRAPH, HOSTILE_TURTLE, TOKEN

from tillvaxtgraf.loaders.bundled import bundled_sources
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source


@pytest.fixture(scope="session")
def ld_app(bundled_store_path: Path) -> Iterator[Flask]:
    # service_support.app_over is the one way the service tests build apps (the remote
    # backend's test pass replaces it), so these tests run on both backends.
    with service_support.app_over(bundled_store_path) as app:
        yield app


@pytest.fixture()
def ld(ld_app: Flask) -> FlaskClient:
    return ld_app.test_client()


@pytest.fixture()
def hostile_app(tmp_path: Path) -> Iterator[Flask]:
    data = tmp_path / "hostile.ttl"
    data.write_text(HOSTILE_TURTLE, encoding="utf-8")
    ontology = [s for s in bundled_sources() if s.graph in (BASE + "graph/ontology",
                                                             BASE + "graph/shapes")]
    store = tmp_path / "store"
    load_sources(store, [*ontology, rdf_source(data, graph=HOSTILE_GRAPH)], progress=False)
    with service_support.app_over(store, write_token=TOKEN) as app:
        yield app


@pytest.fixture()
def hostile(hostile_app: Flask) -> FlaskClient:
    return hostile_app.test_client()


@pytest.fixture(scope="session")
def context_document(ld_app: Flask) -> dict:
    """The published JSON-LD context, fetched once (parsing never reaches the network)."""
    response = ld_app.test_client().get("/context.jsonld")
    assert response.status_code == 200
    return response.get_json(force=True)
