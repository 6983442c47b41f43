"""The search index as a derived file of the store, rebuilt with every load."""

from __future__ import annotations

from pathlib import Path

from tillvaxtgraf.search.build import build_index
from tillvaxtgraf.store.base import QueryRequest, Store
from tillvaxtgraf.store.derived import register_derived_builder

INDEX_FILE = "search.sqlite"


@register_derived_builder("search")
def build_search_index(store: Store, target_dir: Path) -> None:
    """Build ``search.sqlite`` in ``target_dir`` from what ``store`` holds."""
    def select(query: str) -> bytes:
        # CSV: plain strings, serialised by the store itself (no per-term objects).
        return store.query(QueryRequest(query), "csv").read()

    build_index(select, Path(target_dir) / INDEX_FILE, store.version())
