"""Fixtures for the fault tests: a small store of our own, built once, copied per test.

The live-server and state helpers are the service tests' (``service_support``), so there
is one way to start a server and one way to dump a store.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service"))

from reliability_support import BIG_GRAPH, RUNNING, write_base, write_old_big  # noqa: E402
from service_support import LiveServer, start_server  # noqa: E402

from tillvaxtgraf.loaders.load import load_sources  # noqa: E402
from tillvaxtgraf.loaders.sources import rdf_source  # noqa: E402


@pytest.fixture(autouse=True)
def no_loader_left() -> Iterator[None]:
    """A test that fails while a loader is frozen (SIGSTOP) must not leave it behind."""
    yield
    while RUNNING:
        RUNNING.pop().kill()


@pytest.fixture(scope="session")
def base_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Searchable actors, and the old version of the graph the big load replaces."""
    root = tmp_path_factory.mktemp("fault-base")
    sources = [rdf_source(write_base(root / "fault-base.nt")),
               rdf_source(write_old_big(root / "fault-big-old.nt"), graph=BIG_GRAPH)]
    load_sources(root / "store", sources, progress=False)
    return root / "store"


@pytest.fixture
def base_store(base_template: Path, tmp_path: Path) -> Path:
    """A private copy of the base store, free to change."""
    return Path(shutil.copytree(base_template, tmp_path / "store"))


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """``tillvaxtgraf serve`` (gunicorn) on a free loopback port, as in the service tests;
    every server a test starts is stopped when it ends."""
    started: list[LiveServer] = []

    def start(store: Path, **kwargs: object) -> LiveServer:
        server = start_server(store, tmp_path / "logs", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
