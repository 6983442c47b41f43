"""Shared fixtures: a real on-disk store with all bundled data, built once per session."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from tillvaxtgraf.loaders.bundled import bundled_sources
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.store.embedded import open_read_only
from tillvaxtgraf.store.snapshots import SnapshotDir

REPO = Path(__file__).resolve().parent.parent


@dataclass
class LoadedStore:
    """The bundled data in a real store folder, queried over the union of its graphs."""

    path: Path
    store: ox.Store

    def _run(self, sparql: str):
        return self.store.query(sparql, use_default_graph_as_union=True)

    def select(self, sparql: str) -> list[dict[str, str]]:
        result = self._run(sparql)
        names = [v.value for v in result.variables]
        return [
            {n: s[n].value for n in names if s[n] is not None} for s in result
        ]

    def ask(self, sparql: str) -> bool:
        return bool(self._run(sparql))


@pytest.fixture(scope="session")
def bundled_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundled") / "store"
    load_sources(path, bundled_sources(), progress=False)
    return path


@pytest.fixture(scope="session")
def loaded_store(bundled_store_path: Path) -> LoadedStore:
    _, store = open_read_only(bundled_store_path)
    return LoadedStore(bundled_store_path, store)


def _copy_store(source: Path, target: Path) -> Path:
    """A RocksDB checkpoint of ``source``'s current snapshot as a one-snapshot store in
    ``target`` (a file copy of a store just written can miss files that compaction
    replaces); tried again after a moment while RocksDB still deletes replaced files."""
    snapshot = SnapshotDir(source).current()
    assert snapshot is not None
    for attempt in range(10):
        shutil.rmtree(target, ignore_errors=True)
        (target / "snapshots").mkdir(parents=True)
        try:
            ox.Store.read_only(str(snapshot.path)).backup(
                str(target / "snapshots" / snapshot.name))
            break
        except (OSError, RuntimeError):
            if attempt == 9:
                raise
            time.sleep(0.5)
    (target / "CURRENT").write_text(snapshot.name + "\n", encoding="ascii")
    return target


@pytest.fixture(scope="session")
def copy_store() -> Callable[[Path, Path], Path]:
    """``copy_store(source, target)``: a private, writable copy of a store folder."""
    return _copy_store
