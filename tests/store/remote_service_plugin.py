"""A pytest plugin: the service test suite, run a second time on the remote backend.

    PYTHONPATH=tests/store python -m pytest -p remote_service_plugin tests/service

Every app the suite builds (``service_support.app_over``) gets its own ``oxigraph serve``
on a free loopback port, filled with what the store folder the test prepared holds (the
embedded loader's snapshot, copied over as N-Quads), the derived files rebuilt from it,
and the app reads and writes through ``RemoteStore``. Nothing else changes: the same
requests, the same expected answers. ``make test`` runs this after the main suite.

Tests that look inside the embedded store folder, or start gunicorn with the embedded
backend, are about the embedded backend and are skipped here (listed in EMBEDDED_ONLY).
"""

from __future__ import annotations

import contextlib
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

HERE = Path(__file__).resolve().parent
SERVICE_TESTS = HERE.parent / "service"

# Tests whose subject is the embedded backend itself (its folder, its worker processes).
EMBEDDED_ONLY_TESTS = {
    "test_healthz",  # asserts the embedded backend's own health report
    # break the embedded snapshot or its search index; the mirror rebuilds them whole
    "test_a_store_that_breaks_under_the_service_answers_without_internals",
    "test_an_unexpected_failure_is_a_generic_500_and_a_logged_traceback",
}
# The result cache keys answers by the embedded snapshot; a remote store has none to key by.
EMBEDDED_ONLY_MODULES = {"test_result_cache.py"}
EMBEDDED_ONLY = (
    "store_state",
    "live_server",
    "bundled_server",
    "query_workers",
)


def _mirror(store_dir: Path, server) -> None:  # noqa: ANN001
    """Copy the embedded snapshot in ``store_dir`` (if any) into the remote server."""
    from tillvaxtgraf.store.snapshots import SnapshotDir

    current = SnapshotDir(store_dir).current() if store_dir.exists() else None
    if current is None:
        return
    reader = ox.Store.read_only(str(current.path))
    body = reader.dump(format=ox.RdfFormat.N_QUADS)
    del reader
    request = urllib.request.Request(server.gsp_url, data=body, method="POST",
                                     headers={"Content-Type": "application/n-quads"})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def _install() -> None:
    """Replace service_support.app_over; done at import, before any conftest imports it."""
    sys.path.insert(0, str(SERVICE_TESTS))
    sys.path.insert(0, str(HERE))
    import service_support
    from servers import OxigraphServer

    from tillvaxtgraf.service import create_app
    from tillvaxtgraf.store.derived import rebuild_all

    @contextlib.contextmanager
    def remote_app_over(store: Path, **overrides: object) -> Iterator:
        server = OxigraphServer.start()
        try:
            _mirror(Path(store), server)
            local = Path(store).with_name(Path(store).name + "-remote-local")
            app = create_app(server.settings(local, **overrides))
            app.config["TESTING"] = True
            client_class = getattr(service_support, "BufferedClient", None)
            if client_class is not None:
                app.test_client_class = client_class
            remote = app.extensions["tillvaxtgraf.store"]
            rebuild_all(remote, remote.derived_dir())
            try:
                yield app
            finally:
                remote.close()
        finally:
            server.stop()

    service_support.app_over = remote_app_over


_install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="about the embedded backend (its folder or processes)")
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        source = ""
        with contextlib.suppress(OSError, TypeError):
            import inspect

            source = inspect.getsource(item.function)  # type: ignore[attr-defined]
        if (names & set(EMBEDDED_ONLY) or any(word in source for word in EMBEDDED_ONLY)
                or item.originalname in EMBEDDED_ONLY_TESTS
                or item.path.name in EMBEDDED_ONLY_MODULES):
            item.add_marker(skip)
