"""The store as a Flask extension: opened once per process, closed on shutdown."""

from __future__ import annotations

import atexit

from flask import Flask, current_app

from tillvaxtgraf.settings import Settings
from tillvaxtgraf.store.base import Store


def open_store(settings: Settings) -> Store:
    """The backend the settings choose."""
    if settings.backend == "sparql":
        from tillvaxtgraf.store.remote_backend import RemoteStore

        return RemoteStore.from_settings(settings)
    from tillvaxtgraf.store.embedded_backend import EmbeddedStore

    return EmbeddedStore(settings.store, workers=settings.query_workers,
                         default_timeout=settings.query_time_limit,
                         network=bool(settings.service_allow))


class StoreExtension:
    def __init__(self, app: Flask | None = None, store: Store | None = None) -> None:
        self._given = store
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        store = self._given or open_store(app.config["SETTINGS"])
        app.extensions["tillvaxtgraf.store"] = store
        from tillvaxtgraf.search.locate import IndexLocator

        app.extensions["tillvaxtgraf.search"] = IndexLocator(store)
        if self._given is None:
            atexit.register(store.close)


def get_store() -> Store:
    return current_app.extensions["tillvaxtgraf.store"]


def get_search():  # noqa: ANN201 - tillvaxtgraf.search.locate.IndexLocator
    """The search index of the data the store serves now (see IndexLocator)."""
    return current_app.extensions["tillvaxtgraf.search"]
