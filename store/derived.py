"""Files derived from the store and kept on this machine: the search index, and so on.

The store is the truth; everything derived from it can be rebuilt from it at any time.
A *builder* is a function ``build(store, target_dir)`` that reads what it needs through
the Store interface (``store.select(...)``) and writes its files into ``target_dir``,
each one atomically (a temporary file in ``target_dir``, then ``os.replace``). Builders
register themselves::

    from tillvaxtgraf.store.derived import register_derived_builder

    @register_derived_builder("search")
    def build_search_index(store, target_dir):
        ...

Who calls ``rebuild_all``:

- the embedded loader, on the new snapshot before it is published, into the snapshot's
  own folder ``snapshots/<name>.derived/`` (so the index is swapped together with the
  data it mirrors);
- the remote loader, after the graphs are written, into ``$TILLVAXTGRAF_STORE/derived/``;
- ``tillvaxtgraf reindex``, into the current one of those folders: after a restore, on a
  new replica, or when the remote store was changed behind tillvaxtgraf's back.

Modules named in ``BUILDER_MODULES`` are imported before a rebuild, so their builders are
registered even when nothing else imported them.
"""

from __future__ import annotations

import importlib
import io
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.errors import QuerySyntaxError, TillvaxtgrafError
from tillvaxtgraf.store.base import RESULT_FORMATS, Answer, QueryRequest, Store
from tillvaxtgraf.store.snapshots import SnapshotDir
from tillvaxtgraf.store.sparql_text import inspect
from tillvaxtgraf.store.worker import _term as ox_term

log = logging.getLogger(__name__)

Builder = Callable[[Store, Path], None]
DERIVED_SUFFIX = "derived"
# Modules whose import registers builders (a missing one is skipped).
BUILDER_MODULES: tuple[str, ...] = ("tillvaxtgraf.search",)

_BUILDERS: dict[str, Builder] = {}


def register_derived_builder(name: str | Builder, fn: Builder | None = None
                             ) -> Callable[[Builder], Builder] | Builder:
    """Register ``fn`` under ``name`` (a decorator when ``fn`` is not given).

    ``register_derived_builder(fn)`` registers ``fn`` under its own ``__name__``.
    Registering a name again replaces the earlier builder.
    """
    if callable(name):
        _BUILDERS[name.__name__] = name
        return name
    if fn is not None:
        _BUILDERS[name] = fn
        return fn

    def decorate(builder: Builder) -> Builder:
        _BUILDERS[name] = builder  # type: ignore[index]
        return builder

    return decorate


def unregister_derived_builder(name: str) -> None:
    _BUILDERS.pop(name, None)
    _FEEDS.pop(name, None)


class Feed(ABC):
    """A builder's way to build *beside* a load rather than after it: the loader hands it
    the statements it is writing (the files it bulk-loads, the graphs it keeps) while the
    store is busy, so the derived file costs little extra time. ``close`` says nothing
    more will come; ``wait`` returns once the file is in place (or raises)."""

    @abstractmethod
    def add_file(self, path: Path, rdf_format: ox.RdfFormat) -> None: ...

    @abstractmethod
    def add_graphs(self, store: Store, graphs: list[str | None]) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def wait(self) -> None: ...

    @abstractmethod
    def cancel(self) -> None: ...


FeedFactory = Callable[[Path, str], Feed]  # (target folder, store version) -> Feed
_FEEDS: dict[str, FeedFactory] = {}


def register_derived_feed(name: str, factory: FeedFactory) -> FeedFactory:
    """Let the builder registered as ``name`` be fed by loads (see ``Feed``)."""
    _FEEDS[name] = factory
    return factory


class DerivedBuild:
    """The derived files of a snapshot being loaded: fed builders take the load's
    statements as it writes them; the others run on the finished snapshot."""

    def __init__(self, target_dir: str | Path, version: str) -> None:
        builders = registered_builders()
        self.target = Path(target_dir)
        if builders:
            self.target.mkdir(parents=True, exist_ok=True)
        self.feeds = {name: _FEEDS[name](self.target, version)
                      for name in builders if name in _FEEDS}
        self.others = {name: b for name, b in builders.items() if name not in _FEEDS}
        self.closed = False

    def add_file(self, path: Path, rdf_format: ox.RdfFormat) -> None:
        for feed in self.feeds.values():
            feed.add_file(path, rdf_format)

    def add_graphs(self, store: Store, graphs: list[str | None]) -> None:
        if graphs:
            for feed in self.feeds.values():
                feed.add_graphs(store, graphs)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for feed in self.feeds.values():
                feed.close()

    def finish(self, store: Store) -> list[str]:
        """Wait for the fed builders, run the others on ``store``; their names."""
        self.close()
        for name, feed in self.feeds.items():
            log.info("waiting for %s in %s", name, self.target)
            _run(name, self.target, feed.wait)
        for name, builder in self.others.items():
            log.info("rebuilding %s in %s", name, self.target)
            _run(name, self.target, lambda b=builder: b(store, self.target))
        return [*self.feeds, *self.others]

    def cancel(self) -> None:
        for feed in self.feeds.values():
            feed.cancel()


def _run(name: str, target: Path, step: Callable[[], object]) -> None:
    try:
        step()
    except TillvaxtgrafError:
        raise
    except Exception as exc:
        raise TillvaxtgrafError(f"rebuilding {name!r} failed: {type(exc).__name__}: {exc}",
                                source=str(target)) from exc


def registered_builders() -> dict[str, Builder]:
    """The builders that a rebuild runs, by name (after importing BUILDER_MODULES)."""
    for module in BUILDER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return dict(_BUILDERS)


def rebuild_all(store: Store, target_dir: str | Path) -> list[str]:
    """Run every registered builder into ``target_dir``; return their names, in order."""
    builders = registered_builders()
    if not builders:
        return []  # nothing to build: leave no empty folder behind
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    for name, builder in builders.items():
        log.info("rebuilding %s in %s", name, target)
        _run(name, target, lambda b=builder: b(store, target))
    return list(builders)


def derived_dir(store: Store) -> Path | None:
    """Where the derived files for the data ``store`` serves now are kept."""
    own = getattr(store, "derived_dir", None)
    if callable(own):
        return own()
    root = getattr(store, "root", None)  # the embedded store's snapshot folder
    if isinstance(root, SnapshotDir):
        current = root.current()
        return None if current is None else current.derived(DERIVED_SUFFIX)
    return None


class SnapshotView(Store):
    """A read-only Store over an open pyoxigraph store, in this process.

    For builders run by the embedded loader on a snapshot before it is published, and
    by ``reindex``: no worker processes, no time limit. The default graph is the union
    of all graphs unless the request names a dataset, as in the service.
    """

    def __init__(self, store: ox.Store, name: str = "snapshot") -> None:
        self.store = store
        self.name = name

    def query(self, request: QueryRequest, result_format: str,
              timeout: float | None = None) -> Answer:
        kwargs: dict = {}
        if request.default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in request.default_graphs]
        elif not inspect(request.query).has_dataset_clause:
            kwargs["use_default_graph_as_union"] = True
        if request.named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
        if request.substitutions:
            kwargs["substitutions"] = {ox.Variable(k): ox_term(v.to_json())
                                       for k, v in request.substitutions.items()}
        try:
            result = self.store.query(request.query, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        out = io.BytesIO()
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
            formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                       "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
            result.serialize(out, formats[result_format])
        else:
            from tillvaxtgraf.loaders.formats import format_by_name

            kind = "graph"
            if result_format in RESULT_FORMATS:
                raise TillvaxtgrafError(f"a graph answer cannot be given as {result_format}")
            result.serialize(out, format_by_name(result_format))
        return Answer(kind, result_format, iter([out.getvalue()]))

    def _read_only(self, *_: object, **__: object):  # noqa: ANN202
        raise TillvaxtgrafError("a snapshot view is read-only")

    update = _read_only  # type: ignore[assignment]
    write_graph = _read_only  # type: ignore[assignment]
    delete_graph = _read_only  # type: ignore[assignment]

    def graph_exists(self, graph: str | None) -> bool:
        target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        return next(self.store.quads_for_pattern(None, None, None, target), None) is not None

    def get_graph(self, graph: str | None, rdf_format: str,
                  timeout: float | None = None) -> Answer:
        from tillvaxtgraf.loaders.formats import format_by_name

        target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        out = io.BytesIO()
        self.store.dump(out, format_by_name(rdf_format), from_graph=target)
        return Answer("graph", rdf_format, iter([out.getvalue()]))

    def statements(self, graph: str | None) -> Iterator[ox.Quad]:
        target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        return self.store.quads_for_pattern(None, None, None, target)

    def named_graphs(self) -> list[str]:
        return sorted(node.value for node in self.store.named_graphs())

    def version(self) -> str:
        return self.name

    def health(self) -> dict[str, object]:
        return {"backend": "snapshot-view", "snapshot": self.name}


def rebuild_for_store_dir(store_dir: str | Path) -> tuple[Path | None, list[str]]:
    """``reindex`` for the embedded store: the current snapshot's derived folder."""
    snapshots = SnapshotDir(store_dir)
    current = snapshots.current()
    if current is None:
        return None, []
    reader = ox.Store.read_only(str(current.path))
    target = current.derived(DERIVED_SUFFIX)
    return target, rebuild_all(SnapshotView(reader, current.name), target)

