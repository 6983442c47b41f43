"""Reloads while eight clients query a live server: never a mix, never an error.

Each version k of the data is two graphs that one ``tillvaxtgraf load`` (the real CLI, its
own process) replaces together: both hold ``size(k)`` items marked with k, and the first
also names a searchable marker "Versionsmärke k". Six clients ask one SPARQL query that
reads both graphs; two ask the search API for the marker. A mix of old and new would show
as two versions in one answer, counts that do not fit the version, a search index from
another version than the data (``stale_index``), or a client seeing a version older than
one it saw before. tests/service/test_reload.py checks one graph with three readers.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from service_support import cli_command

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.store.names import GRAPH, ID, RDF, SKOS, TG, XSD

pytestmark = pytest.mark.slow

RELOADS = 3
CLIENTS = 8
SEARCH_CLIENTS = 2
EX = "http://example.org/fault/"
GRAPH_A, GRAPH_B = GRAPH + "file/versions-a", GRAPH + "file/versions-b"
MARKER = ID + "actor/fault-version-marker"
BOTH = f"""SELECT ?va ?na ?vb ?nb WHERE {{
  {{ SELECT ?va (COUNT(*) AS ?na) WHERE {{ GRAPH <{GRAPH_A}> {{ ?s <{EX}inVersion> ?va }} }}
     GROUP BY ?va }}
  {{ SELECT ?vb (COUNT(*) AS ?nb) WHERE {{ GRAPH <{GRAPH_B}> {{ ?s <{EX}inVersion> ?vb }} }}
     GROUP BY ?vb }}
}}"""


def size(version: int) -> int:
    return 1_000 + 300 * version


def write_version(folder: Path, version: int) -> list[Path]:
    """Both graphs of one version (file stems give the graph names)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in ("versions-a", "versions-b"):
        path = folder / f"{name}.nt"
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(f'<{EX}item/{i}> <{EX}inVersion> "{version}"^^<{XSD}integer> .\n'
                           for i in range(size(version)))
            if name == "versions-a":
                out.write(f"<{MARKER}> <{RDF}type> <{TG}Actor> .\n"
                          f'<{MARKER}> <{SKOS}prefLabel> "Versionsmärke {version}"@sv .\n')
        files.append(path)
    return files


class Client(threading.Thread):
    """Asks one kind of question until told to stop; notes each version and any fault."""

    def __init__(self, number: int, ask: Callable[[requests.Session], int],
                 stop: threading.Event) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.ask, self.stop = ask, stop
        self.versions: list[tuple[float, int]] = []
        self.faults: list[str] = []

    def run(self) -> None:
        with requests.Session() as session:
            while not self.stop.is_set():
                try:
                    version = self.ask(session)
                except Exception as exc:  # noqa: BLE001 - every fault is a finding
                    self.faults.append(f"{type(exc).__name__}: {exc}")
                    continue
                if self.versions and version < self.versions[-1][1]:
                    self.faults.append(f"saw version {version} after {self.versions[-1][1]}")
                self.versions.append((time.monotonic(), version))

    def seen(self) -> set[int]:
        return {v for _, v in self.versions}


def sparql_asker(url: str, number: int) -> Callable[[requests.Session], int]:
    def ask(session: requests.Session) -> int:
        if number % 2:
            response = session.post(url, data={"query": BOTH}, timeout=30,
                                    headers={"Accept": "application/sparql-results+json"})
        else:
            response = session.get(url, params={"query": BOTH}, timeout=30)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
        rows = [{k: int(v["value"]) for k, v in row.items()}
                for row in response.json()["results"]["bindings"]]
        assert len(rows) == 1, f"a mix: {rows}"
        row = rows[0]
        assert row["va"] == row["vb"] and row["na"] == row["nb"] == size(row["va"]), \
            f"a mix: {row}"
        return row["va"]
    return ask


def search_asker(url: str) -> Callable[[requests.Session], int]:
    def ask(session: requests.Session) -> int:
        response = session.get(url + "/api/search", timeout=30,
                               params={"q": "versionsmärke", "limit": "5"})
        assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
        body = response.json()
        assert body["stale_index"] is False, "the search index mirrors another version"
        labels = [hit["label"] for hit in body["results"] if hit["iri"] == MARKER]
        assert len(labels) == 1, body["results"]
        return int(labels[0].rsplit(" ", 1)[1])
    return ask


def wait_all_seen(clients: list[Client], version: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not all(version in c.seen() or c.faults for c in clients):
        assert time.monotonic() < deadline, f"not every client came to see version {version}"
        time.sleep(0.02)


def test_reloads_while_eight_clients_query(live_server, base_store: Path,  # noqa: ANN001
                                           tmp_path: Path) -> None:
    load_sources(base_store, [rdf_source(p) for p in write_version(tmp_path / "v0", 0)],
                 progress=False)
    server = live_server(base_store)
    stop = threading.Event()
    clients = [Client(n, search_asker(server.url) if n < SEARCH_CLIENTS
                      else sparql_asker(server.sparql, n), stop) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    windows = []
    try:
        wait_all_seen(clients, 0)
        for version in range(1, RELOADS + 1):
            files = write_version(tmp_path / f"v{version}", version)
            began = time.monotonic()
            done = subprocess.run([*cli_command(), "--store", str(base_store), "load",
                                   "--no-progress", *map(str, files)],
                                  capture_output=True, text=True, timeout=300, check=False)
            windows.append((began, time.monotonic()))
            assert done.returncode == 0, done.stderr
            wait_all_seen(clients, version)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)

    faults = {c.name: c.faults[:5] for c in clients if c.faults}
    assert not faults, faults
    answers = sum(len(c.versions) for c in clients)
    during = [sum(1 for c in clients for t, _ in c.versions if a <= t <= b) for a, b in windows]
    print(f"{RELOADS} reloads under {CLIENTS} clients: {answers} answers, "
          f"{during} of them during the loads (of {[round(b - a, 1) for a, b in windows]} s), "
          "no mix, no error")
    for client in clients:
        assert client.seen() == set(range(RELOADS + 1)), (client.name, client.seen())
    assert all(n > 0 for n in during), during  # the clients really asked during the loads
