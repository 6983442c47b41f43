"""Fixtures for the service tests: apps over real stores, and real gunicorn servers.

- ``app``/``client``: a function-scoped app over a fresh store in ``tmp_path``, with the
  write token set, for tests that change data.
- ``small_app``/``small_client``: the same over two small graphs of our own.
- ``readonly_app``/``readonly_client``: one session-scoped app over the bundled data,
  without a write token (the public, read-only configuration).
- ``live_server``: a factory that starts ``tillvaxtgraf serve`` (gunicorn, two workers)
  as a subprocess on a free loopback port; every server a test starts is stopped when
  that test ends. ``bundled_server`` is one such server for the whole session.

Nothing is mocked: every request goes through the real app, the real store folder and
the real query worker processes. Helpers live in ``service_support.py``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from service_support import (
    OTHER_GRAPH,
    OTHER_TURTLE,
    SMALL_GRAPH,
    SMALL_TURTLE,
    TOKEN,
    LiveServer,
    app_over,
    load_turtle,
    start_server,
)

from tillvaxtgraf.errors import LoadError

# -- in-process apps --------------------------------------------------------------------


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def app(store_dir: Path) -> Iterator[Flask]:
    """A writable app (token set) over a fresh, empty store."""
    with app_over(store_dir, write_token=TOKEN, query_time_limit=20.0) as built:
        yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two small graphs, loaded once through the real loader; tests get copies."""
    root = tmp_path_factory.mktemp("small-template")
    load_turtle(root / "store", root / "src", {SMALL_GRAPH: SMALL_TURTLE,
                                               OTHER_GRAPH: OTHER_TURTLE})
    return root / "store"


@pytest.fixture
def small_store(small_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small store, free to change."""
    return Path(shutil.copytree(small_template, tmp_path / "small-store"))


@pytest.fixture(scope="session")
def shared_app(small_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Flask]:
    """One app over a copy of the small graphs for the whole session: for tests that
    only read (tests that write take ``small_app``)."""
    store = Path(shutil.copytree(small_template, tmp_path_factory.mktemp("shared") / "s"))
    with app_over(store, write_token=TOKEN, query_time_limit=20.0) as built:
        yield built


@pytest.fixture
def shared_client(shared_app: Flask) -> FlaskClient:
    return shared_app.test_client()


@pytest.fixture
def small_app(small_store: Path) -> Iterator[Flask]:
    """A writable app over the two small graphs."""
    with app_over(small_store, write_token=TOKEN, query_time_limit=20.0) as built:
        yield built


@pytest.fixture
def small_client(small_app: Flask) -> FlaskClient:
    return small_app.test_client()


@pytest.fixture(scope="session")
def public_store(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled data, as the public service holds it.

    The bundled data is still being written by others; while it fails to load, the
    read-only tests run over our two small graphs instead (and say so in the log).
    """
    try:
        return request.getfixturevalue("bundled_store_path")
    except LoadError as exc:
        logging.getLogger(__name__).warning("bundled data does not load (%s); the read-only "
                                            "service tests use small data of their own", exc)
        root = tmp_path_factory.mktemp("public-fallback")
        load_turtle(root / "store", root / "src", {SMALL_GRAPH: SMALL_TURTLE,
                                                   OTHER_GRAPH: OTHER_TURTLE})
        return root / "store"


@pytest.fixture(scope="session")
def readonly_app(public_store: Path) -> Iterator[Flask]:
    """The public configuration over the bundled data: no write token."""
    with app_over(public_store) as built:
        yield built


@pytest.fixture
def readonly_client(readonly_app: Flask) -> FlaskClient:
    return readonly_app.test_client()


# -- live gunicorn servers


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with ``live_server(store, env={...})``; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(store: Path, **kwargs: object) -> LiveServer:
        server = start_server(store, tmp_path / "logs", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="session")
def bundled_server(public_store: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One read-only server over the bundled data, shared by the client tests."""
    server = start_server(public_store, tmp_path_factory.mktemp("bundled-logs"))
    try:
        yield server
    finally:
        server.stop()
