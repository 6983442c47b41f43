"""Helpers for the service tests: settings, apps, data, and live gunicorn servers.

- ``app``/``client``: a function-scoped app over a fresh store in ``tmp_path``, with the
  write token set, for tests that change data.
- ``readonly_app``/``readonly_client``: one session-scoped app over the bundled data,
  without a write token (the public, read-only configuration).
- ``live_server``: a factory that starts ``tillvaxtgraf serve`` (gunicorn, two workers)
  as a subprocess on a free loopback port; every server a test starts is stopped when
  that test ends. ``bundled_server`` is one such server for the whole session.

Nothing is mocked: every request goes through the real app, the real store folder and
the real query worker processes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
from flask import Flask
from flask.testing import FlaskClient

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.service import create_app
from tillvaxtgraf.settings import ENV_PREFIX, Settings, load_settings
from tillvaxtgraf.store.snapshots import SnapshotDir

TOKEN = "s3cret-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "http://example.org/"

# A tiny data set of our own: two named graphs, used where the bundled data is too
# specific (dataset tests, writes, the federated query's remote side).
SMALL_TURTLE = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice"@en ; ex:knows ex:bob .
ex:bob a ex:Person ; rdfs:label "Bob"@en ; ex:age 42 .
ex:carol a ex:Person ; rdfs:label "Carol"@sv .
"""
SMALL_GRAPH = EX + "graph/people"
OTHER_TURTLE = """\
@prefix ex: <http://example.org/> .
ex:dave a ex:Robot ; ex:serial "R-2" .
"""
OTHER_GRAPH = EX + "graph/robots"


class BufferedClient(FlaskClient):
    """A test client that reads every answer to its end, as a WSGI server does.

    The default client leaves a streamed answer unread until it is closed, and an unread
    answer keeps its query worker: two of them would starve the next query.
    """

    def open(self, *args: object, **kwargs: object):  # noqa: ANN201 - FlaskClient's
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def settings_for(store: Path, **overrides: object) -> Settings:
    """Settings for a store folder, ignoring whatever TILLVAXTGRAF_* the shell has set.

    No rate limit unless a test asks for one: the suite makes requests far faster than
    any person (tests/service/test_security.py proves the limit)."""
    overrides.setdefault("rate_limit", "")
    return load_settings({}, store=str(store), **overrides)


@contextlib.contextmanager
def app_over(store: Path, **overrides: object) -> Iterator[Flask]:
    """An app over ``store``; its query workers are stopped on exit."""
    app = create_app(settings_for(store, **overrides))
    app.config["TESTING"] = True
    app.test_client_class = BufferedClient
    try:
        yield app
    finally:
        app.extensions["tillvaxtgraf.store"].close()


def load_turtle(store: Path, tmp: Path, graphs: dict[str, str]) -> None:
    """Load Turtle texts into named graphs of ``store`` through the real loader."""
    tmp.mkdir(parents=True, exist_ok=True)
    sources = []
    for index, (graph, text) in enumerate(graphs.items()):
        path = tmp / f"graph{index}.ttl"
        path.write_text(text, encoding="utf-8")
        sources.append(rdf_source(path, graph=graph))
    load_sources(store, sources, progress=False)


def store_state(store: Path) -> tuple[str | None, bytes]:
    """CURRENT and an N-Quads dump of the current snapshot, sorted: to compare before/after."""
    import pyoxigraph as ox

    root = SnapshotDir(store)
    current = root.current()
    if current is None:
        return None, b""
    reader = ox.Store.read_only(str(current.path))
    lines = sorted(reader.dump(format=ox.RdfFormat.N_QUADS).splitlines())
    return current.name, b"\n".join(lines)


# -- live gunicorn servers --------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on now (bind port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_command() -> list[str]:
    """The installed ``tillvaxtgraf`` console script of this interpreter."""
    script = Path(sys.executable).with_name("tillvaxtgraf")
    if script.exists():
        return [str(script)]
    found = shutil.which("tillvaxtgraf")
    if found:
        return [found]
    return [sys.executable, "-c", "from tillvaxtgraf.cli import main; main()"]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (by parent pid), as the kernel sees them now."""
    tree = children_map()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process, in clock ticks; None once it is gone."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z":
        return None
    return int(fields[11]) + int(fields[12])


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


@dataclass
class LiveServer:
    """One ``tillvaxtgraf serve`` process (gunicorn master, workers, query workers)."""

    url: str
    store: Path
    proc: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.url + "/graph-store"

    def tree(self) -> list[int]:
        return process_tree(self.proc.pid)

    def gunicorn_workers(self) -> list[int]:
        return [p for p in children_map().get(self.proc.pid, [])
                if "tillvaxtgraf.store.worker" not in cmdline(p)]

    def query_workers(self) -> list[int]:
        return [p for p in self.tree() if "tillvaxtgraf.store.worker" in cmdline(p)]

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """terminate (gunicorn's graceful stop), then kill whatever is left of the tree."""
        if self.proc.poll() is None:
            pids = self.tree()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            # Query workers live in their own sessions; any still running are ours.
            for pid in pids:
                if pid != self.proc.pid and "tillvaxtgraf" in cmdline(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def start_server(store: Path, log_dir: Path, *, env: dict[str, str] | None = None,
                 workers: int = 2, threads: int = 4, wait: float = 60.0) -> LiveServer:
    """Start ``tillvaxtgraf serve`` over ``store`` and wait until /healthz answers."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    full_env.update({
        ENV_PREFIX + "STORE": str(store),
        ENV_PREFIX + "WORKERS": str(workers),
        ENV_PREFIX + "THREADS": str(threads),
        ENV_PREFIX + "LOG_LEVEL": "INFO",
        ENV_PREFIX + "RATE_LIMIT": "off",  # tests and benches make requests in floods
    })
    full_env.update(env or {})
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*cli_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", store, proc, log_path, full_env)
    deadline = time.monotonic() + wait
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{server.log()}")
        try:
            if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the server did not answer /healthz:\n{server.log()}")
        time.sleep(0.1)


def direct_select(store: Path, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT run by pyoxigraph itself on the store's current snapshot (union
    default graph, as the service does): the reference the service's answers must match."""
    import pyoxigraph as ox

    current = SnapshotDir(store).current()
    assert current is not None
    result = ox.Store.read_only(str(current.path)).query(query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]
