"""Find the search index that belongs to the data a store serves now."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from tillvaxtgraf.search.builder import INDEX_FILE
from tillvaxtgraf.search.index import Hit, OutdatedIndex, SearchIndex
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.derived import DERIVED_SUFFIX, derived_dir


@dataclass
class Located:
    index: SearchIndex | None
    stale: bool  # True when the index mirrors an older state of the store


class IndexLocator:
    """Opens the current index once and reopens when the store moves to a new state.

    If the current state has no index (yet), an older one is served and marked stale,
    so the service never serves an older index without saying so.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._open: dict[Path, SearchIndex] = {}
        self._known: tuple[str, Located] | None = None

    def _candidates(self) -> list[Path]:
        current = derived_dir(self.store)
        if current is None:
            return []
        found = [current / INDEX_FILE]
        parent = current.parent
        if current.name.endswith("." + DERIVED_SUFFIX):
            older = sorted(parent.glob(f"*.{DERIVED_SUFFIX}/{INDEX_FILE}"), reverse=True)
            found += [p for p in older if p != found[0]]
        return found

    def locate(self) -> Located:
        # The usual case costs one stat: the store names its immutable state, and the
        # index found for that state stays the right one until the name changes.
        state = self.store.snapshot_id()
        known = self._known
        if state is not None and known is not None and known[0] == state:
            return known[1]
        located = self._find()
        if state is not None and located.index is not None and not located.stale:
            self._known = (state, located)
        return located

    def _find(self) -> Located:
        current = derived_dir(self.store)
        if current is not None:  # the usual case, without a stat or a listing: an open
            index = self._open.get(current / INDEX_FILE)  # index file never changes
            if index is not None:
                return Located(index, stale=False)
        candidates = self._candidates()
        for position, path in enumerate(candidates):
            if not path.is_file():
                continue
            with self._lock:
                index = self._open.get(path)
                if index is None:
                    try:
                        index = SearchIndex(path)
                    except OutdatedIndex:
                        continue
                    for old in list(self._open):
                        if old not in candidates:
                            self._open.pop(old).close()
                    self._open[path] = index
            return Located(index, stale=position > 0)
        return Located(None, stale=True)

    def search(self, text: str, **kwargs: object) -> tuple[list[Hit], bool]:
        located = self.locate()
        if located.index is None:
            return [], True
        return located.index.search(text, **kwargs), located.stale  # type: ignore[arg-type]

    def suggest(self, text: str, limit: int = 5, lang: str = "sv") -> list[dict[str, object]]:
        located = self.locate()
        return [] if located.index is None else located.index.suggest(text, limit, lang)
