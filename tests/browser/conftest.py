"""Fixtures for the browser tests: a real server, Debian's chromium driven by Playwright.

- ``store_path``: the bundled data plus a small file of hostile labels, loaded once.
- ``server``: ``tillvaxtgraf serve`` (gunicorn) over it on a free loopback port, started
  with the live-server helper of the service tests and stopped at the end of the session.
- ``browser``: one headless chromium for the session (``/usr/bin/chromium``; Playwright's
  own browser download is not used). Missing chromium is an error, never a skip: CI
  installs it (``.ci/system-deps``).
- ``page``: a fresh browser context per test (empty storage) whose page fails the test
  on any JavaScript dialog, uncaught error or request that leaves the machine.
- ``shots``: saves numbered screenshots to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service"))

from browser_support import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE_GRAPH,
    HOSTILE_TURTLE,
)
from service_support import LiveServer, start_server  # noqa: E402

from tillvaxtgraf.loaders.bundled import bundled_sources  # noqa: E402
from tillvaxtgraf.loaders.load import load_sources  # noqa: E402
from tillvaxtgraf.loaders.sources import rdf_source  # noqa: E402


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    hostile = folder / "hostile-labels.ttl"
    hostile.write_text(HOSTILE_TURTLE, encoding="utf-8")
    store = folder / "store"
    load_sources(store, bundled_sources() + [rdf_source(hostile, graph=HOSTILE_GRAPH)],
                 progress=False)
    return store


@pytest.fixture(scope="session")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(store_path, tmp_path_factory.mktemp("browser-logs"))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/system-deps does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class PageProblems:
    """What a page did that a test must not see: dialogs, errors, outside requests."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.outside: list[str] = []

    def check(self) -> None:
        assert not self.dialogs, f"a JavaScript dialog opened: {self.dialogs}"
        assert not self.errors, f"JavaScript errors: {self.errors}"
        assert not self.outside, f"requests that leave the machine: {self.outside}"


@pytest.fixture
def page(browser, server: LiveServer, request: pytest.FixtureRequest):  # noqa: ANN001, ANN201
    problems = PageProblems(server.url)
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                                  locale="en-GB", **getattr(request, "param", {}))

    def route(handle) -> None:  # noqa: ANN001 - Playwright's Route
        url = handle.request.url
        if url.startswith(server.url) or url.startswith(("data:", "blob:", "about:")):
            handle.continue_()
        else:
            problems.outside.append(url)
            handle.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.set_default_timeout(15_000)

    def on_dialog(dialog) -> None:  # noqa: ANN001 - Playwright's Dialog
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("pageerror", lambda error: problems.errors.append(str(error)))

    def on_console(message) -> None:  # noqa: ANN001 - Playwright's ConsoleMessage
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.errors.append(message.text)

    tab.on("console", on_console)
    tab.problems = problems
    try:
        yield tab
    finally:
        context.close()
    problems.check()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``shots(page, "what")`` saves test-artifacts/browser/<test>-<n>-<what>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    taken = [0]

    def take(tab, what: str, *, full_page: bool = True) -> Path:  # noqa: ANN001
        taken[0] += 1
        path = ARTIFACTS / f"{name}-{taken[0]:02d}-{what}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        return path

    return take
