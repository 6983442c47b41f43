"""The bundled data's store and search index, for the search tests (one per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tillvaxtgraf.search.index import SearchIndex
from tillvaxtgraf.search.locate import IndexLocator
from tillvaxtgraf.store.embedded_backend import EmbeddedStore


@pytest.fixture(scope="session")
def bundled_store(bundled_store_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(bundled_store_path, workers=1)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def search_index(bundled_store: EmbeddedStore) -> SearchIndex:
    located = IndexLocator(bundled_store).locate()
    assert located.index is not None and not located.stale
    return located.index
