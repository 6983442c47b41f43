"""The search index as a derived file of the store, rebuilt with every load."""

from __future__ import annotations

from pathlib import Path

from tillvaxtgraf.search.build import build_index
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.derived import SnapshotView, register_derived_builder

INDEX_FILE = "search.sqlite"


@register_derived_builder("search")
def build_search_index(store: Store, target_dir: Path) -> None:
    """Build ``search.sqlite`` in ``target_dir`` from what ``store`` holds."""
    if isinstance(store, SnapshotView):
        def select(query: str):  # noqa: ANN202 - pyoxigraph's solutions, streamed as they are
            return store.store.query(query, use_default_graph_as_union=True)
    else:
        def select(query: str):  # noqa: ANN202 - rows of Terms
            return store.select(query)[1]
    build_index(select, Path(target_dir) / INDEX_FILE, store.version())
