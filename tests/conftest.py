"""Shared fixtures: a real on-disk store with all bundled data, built once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from tillvaxtgraf.loaders.bundled import bundled_sources
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.store.embedded import open_read_only

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
