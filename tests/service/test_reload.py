"""Loading new data while the server runs: seen at once, never half.

``tillvaxtgraf load`` (the real CLI, another process) publishes a new snapshot while a
live gunicorn server answers queries in a loop. Every answer counts either the old
graph or the new one; the first query after the load sees the new data, with no restart.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import requests
from service_support import cli_command

GRAPH = "http://example.org/graph/bulk"
COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"


def write_triples(path: Path, count: int, tag: str) -> Path:
    with open(path, "w", encoding="ascii") as out:
        out.writelines(f"<http://example.org/{tag}/{i}> <http://example.org/n> {i} .\n"
                       for i in range(count))
    return path


def count_now(url: str) -> int:
    response = requests.get(url, params={"query": COUNT}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def load(store: Path, data: Path) -> None:
    done = subprocess.run([*cli_command(), "--store", str(store), "load", str(data),
                           "--graph", GRAPH, "--format", "turtle", "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_reload_while_serving(live_server, small_store: Path, tmp_path: Path) -> None:  # noqa: ANN001
    server = live_server(small_store)
    assert count_now(server.sparql) == 0
    first = write_triples(tmp_path / "first.ttl", 20_000, "first")
    second = write_triples(tmp_path / "second.ttl", 30_000, "second")

    for data, old, new in ((first, 0, 20_000), (second, 20_000, 30_000)):
        seen: list[int] = []
        stop = threading.Event()

        def reader(sink: list[int] = seen, done: threading.Event = stop) -> None:
            while not done.is_set():
                sink.append(count_now(server.sparql))

        readers = [threading.Thread(target=reader) for _ in range(3)]
        for thread in readers:
            thread.start()
        try:
            load(small_store, data)
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert seen, "the readers got no answer during the load"
        assert set(seen) <= {old, new}, sorted(set(seen))
        assert old in seen  # the readers did run while the load was under way
        # The next query sees the new data: no restart, no reload signal.
        assert count_now(server.sparql) == new

    # The graph was replaced, not added to: only the second file's subjects are left.
    response = requests.get(server.sparql, timeout=30, params={
        "query": f"ASK {{ GRAPH <{GRAPH}> {{ <http://example.org/first/1> ?p ?o }} }}"})
    assert response.json()["boolean"] is False
