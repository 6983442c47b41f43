"""The search index as a derived file of the store, rebuilt with every load.

Loads feed it (``SearchFeed``): a thread reads the files being bulk-loaded and the graphs
the load keeps while the store works (pyoxigraph's bulk loader leaves the interpreter
free), then writes the index. ``reindex`` and the remote backend read a store's graphs.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.search.build import build_index
from tillvaxtgraf.search.facts import Cancelled, IndexFacts
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.derived import (
    Feed,
    SnapshotView,
    register_derived_builder,
    register_derived_feed,
)
from tillvaxtgraf.store.names import METADATA_GRAPH

log = logging.getLogger(__name__)

INDEX_FILE = "search.sqlite"
STAGING_SUFFIX = ".staging"  # the gathered facts, beside the index while it is built
# Parsing deeply nested JSON-LD or RDF/XML recurses; the loader caps nesting, this
# thread's stack leaves room for the cap (threads get 8 MiB otherwise).
THREAD_STACK = 256 * 1024 * 1024


def indexed_graphs(store: Store) -> list[str | None]:
    """The graphs the index mirrors (``gather`` leaves out the loads' provenance): the
    embedded store's default graph too (a remote store's may be the union of the others,
    which would read everything twice)."""
    named = store.named_graphs()
    return [None, *named] if isinstance(store, SnapshotView) else named


def gather(facts: IndexFacts, store: Store, graphs: list[str | None]) -> None:
    """Read ``graphs`` of ``store`` into ``facts`` (never the metadata graph)."""
    for graph in graphs:
        if graph == METADATA_GRAPH:
            continue
        read = facts.add(store.statements(graph), origin=graph or "")
        log.debug("search index: read %d statements of %s", read, graph or "the default graph")


@register_derived_builder("search")
def build_search_index(store: Store, target_dir: Path) -> None:
    """Build ``search.sqlite`` in ``target_dir`` from what ``store`` holds."""
    target = Path(target_dir) / INDEX_FILE
    facts = IndexFacts(target.with_name(INDEX_FILE + STAGING_SUFFIX))
    try:
        gather(facts, store, indexed_graphs(store))
    except BaseException:
        facts.discard()
        raise
    build_index(facts, target, store.version())


class SearchFeed(Feed):
    """The index built beside a load, from the statements it is writing."""

    def __init__(self, target_dir: Path, version: str) -> None:
        self.target = Path(target_dir) / INDEX_FILE
        self.version = version
        self.todo: queue.SimpleQueue = queue.SimpleQueue()
        self.cancelled = threading.Event()
        self.error: BaseException | None = None
        previous = threading.stack_size(THREAD_STACK)
        try:
            self.thread = threading.Thread(target=self._run, name="search-index", daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(previous)

    def add_file(self, path: Path, rdf_format: ox.RdfFormat) -> None:
        self.todo.put(("file", path, rdf_format))

    def add_graphs(self, store: Store, graphs: list[str | None]) -> None:
        self.todo.put(("graphs", store, list(graphs)))

    def close(self) -> None:
        self.todo.put(None)

    def wait(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        self.cancelled.set()
        self.todo.put(None)
        self.thread.join()

    def _run(self) -> None:
        facts: IndexFacts | None = None
        try:
            facts = IndexFacts(self.target.with_name(INDEX_FILE + STAGING_SUFFIX),
                               self.cancelled)
            while (item := self.todo.get()) is not None:
                if item[0] == "file":
                    read = facts.add_file(item[1], item[2])
                    log.debug("search index: read %d statements of %s", read, item[1])
                else:
                    gather(facts, item[1], item[2])
            if not self.cancelled.is_set():
                build_index(facts, self.target, self.version)
        except Cancelled:
            pass
        except BaseException as exc:  # handed to the loader by wait()
            self.error = exc
        finally:
            if facts is not None:
                facts.discard()


register_derived_feed("search", SearchFeed)
