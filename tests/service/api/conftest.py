"""A read-only app over the bundled data, shared by the API tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask

from tillvaxtgraf.service import create_app
from tillvaxtgraf.settings import load_settings
from tillvaxtgraf.store.embedded_backend import EmbeddedStore


@pytest.fixture(scope="session")
def api_app(bundled_store_path: Path) -> Iterator[Flask]:
    settings = load_settings(environ={}, store=str(bundled_store_path),
                             rate_limit="")  # schemathesis sends floods
    store = EmbeddedStore(bundled_store_path, workers=2, default_timeout=20)
    app = create_app(settings, store=store)
    yield app
    store.close()


@pytest.fixture(scope="session")
def api_schema(api_app: Flask):
    return schemathesis.openapi.from_wsgi("/openapi.json", api_app)


@pytest.fixture()
def api(api_app: Flask):
    return api_app.test_client()
