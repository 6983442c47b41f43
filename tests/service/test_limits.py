"""Limits that protect the public endpoint, tested on real gunicorn servers where it counts.

- A query past the time limit is stopped: its worker process is killed (the CPU is free
  again, seen in /proc), the client gets 503 with a hint, the next query is answered.
- SERVICE and LOAD are refused unless the allow-list names the target; with it, a real
  federated query reaches a second instance of our own server.
- Writes need the token; refused and failed writes leave the store byte-for-byte as it was.
- A million-row answer streams while the serving process's memory stays flat.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from flask.testing import FlaskClient
from service_support import (
    AUTH,
    SMALL_GRAPH,
    TOKEN,
    app_over,
    cpu_ticks,
    rss_kib,
    store_state,
)

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TICKS = os.sysconf("SC_CLK_TCK")


# -- the time limit really ends the work -------------------------------------------------


def test_runaway_query_is_stopped_and_its_cpu_freed(live_server, public_store: Path) -> None:  # noqa: ANN001
    server = live_server(public_store, env={"TILLVAXTGRAF_QUERY_TIME_LIMIT": "2"})
    # Warm both gunicorn workers so their query workers exist before we watch.
    for _ in range(4):
        requests.get(server.sparql, params={"query": "ASK {}"}, timeout=10)

    outcome: dict = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = requests.get(server.sparql, params={"query": CROSS_PRODUCT},
                                           headers={"Accept": "application/json"},
                                           timeout=60)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    # While it runs, find the query worker that burns CPU.
    busiest, spent = None, 0
    first_seen: dict[int, int] = {}
    while thread.is_alive():
        for pid in server.query_workers():
            ticks = cpu_ticks(pid)
            if ticks is None:
                continue
            first_seen.setdefault(pid, ticks)
            if ticks - first_seen[pid] > spent:
                busiest, spent = pid, ticks - first_seen[pid]
        time.sleep(0.1)
    thread.join()

    response = outcome["response"]
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "QueryTimeout"
    assert "2 s" in body["message"] and "time limit" in body["message"]
    assert "LIMIT" in body["hint"]
    assert response.headers["Retry-After"]
    assert outcome["seconds"] < 10
    assert busiest is not None and spent > 0.5 * TICKS, "no worker was seen running the query"

    # The process that ran it is gone: killed, and reaped.
    assert cpu_ticks(busiest) is None, f"query worker {busiest} is still alive"

    # Nothing in the server's process tree keeps burning CPU.
    tree = server.tree()
    before = {pid: cpu_ticks(pid) or 0 for pid in tree}
    time.sleep(1.5)
    burnt = sum((cpu_ticks(pid) or before[pid]) - before[pid] for pid in tree)
    assert burnt < 0.3 * TICKS, f"{burnt / TICKS:.2f} s of CPU burnt after the stop"

    # And the next query is answered promptly.
    started = time.monotonic()
    answer = requests.get(server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    assert time.monotonic() - started < 3
    # The server counts it, whichever of its gunicorn workers answers.
    for _ in range(6):
        health = requests.get(server.url + "/healthz", timeout=5).json()
        assert health["workers_stopped_by_time_limit"] == 1, health


def test_heads_and_abandoned_downloads_do_not_keep_workers(bundled_server) -> None:  # noqa: ANN001
    """A query worker serves one answer at a time; a client that sends HEAD, or hangs up
    half-way through an answer, must give it back (or have it replaced) at once."""
    everything = {"query": "SELECT * WHERE { ?s ?p ?o }"}
    health = bundled_server.url + "/healthz"
    stopped_before = requests.get(health, timeout=5).json()["workers_stopped_by_time_limit"]
    for _ in range(6):
        head = requests.head(bundled_server.sparql, params=everything, timeout=10)
        assert head.status_code == 200
    for _ in range(6):
        with requests.get(bundled_server.sparql, params=everything, stream=True,
                          headers={"Accept": "text/csv"}, timeout=10) as response:
            assert response.status_code == 200
            next(response.iter_content(1024))
        # leaving the block closes the connection with most of the answer unread
    started = time.monotonic()
    for _ in range(8):
        answer = requests.get(bundled_server.sparql, params={"query": "ASK {}"}, timeout=10)
        assert answer.status_code == 200
    assert time.monotonic() - started < 8
    # A client hanging up is not a query stopped by the time limit.
    stopped = requests.get(health, timeout=5).json()["workers_stopped_by_time_limit"]
    assert stopped == stopped_before


# -- SERVICE and LOAD --------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.net/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://example.net/sparql> { ?s ?p ?o } }",
    "PREFIX r: <http://example.net/> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://example.net/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
])
def test_service_is_refused_without_an_allow_list(readonly_client: FlaskClient,
                                                  query: str) -> None:
    response = readonly_client.get("/sparql?query=" + quote(query))
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "SERVICE" in text and "TILLVAXTGRAF_SERVICE_ALLOW" in text


def test_load_is_refused_even_with_the_token(small_store: Path) -> None:
    with app_over(small_store, write_token=TOKEN) as app:
        before = store_state(small_store)
        response = app.test_client().post(
            "/sparql", data="LOAD <http://example.net/data.ttl> INTO GRAPH <http://g/>",
            content_type="application/sparql-update", headers=AUTH)
        assert response.status_code == 403
        assert "LOAD <http://example.net/data.ttl> is not allowed" in \
            response.get_data(as_text=True)
        assert store_state(small_store) == before


def test_service_on_the_allow_list_is_a_real_federated_query(
        live_server, small_store: Path, public_store: Path) -> None:  # noqa: ANN001
    remote = live_server(small_store, workers=1, threads=2)
    local = live_server(public_store, workers=1, threads=2,
                        env={"TILLVAXTGRAF_SERVICE_ALLOW": remote.url + "/"})
    query = f"""PREFIX ex: <http://example.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person ?label ?graphs WHERE {{
  {{ SELECT (COUNT(DISTINCT ?g) AS ?graphs) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} }}
  SERVICE <{remote.sparql}> {{ ?person a ex:Person ; rdfs:label ?label }}
}} ORDER BY ?person"""
    response = requests.post(local.sparql, data={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert [r["person"]["value"] for r in rows] == [
        "http://example.org/alice", "http://example.org/bob", "http://example.org/carol"]
    assert {r["label"]["value"] for r in rows} == {"Alice", "Bob", "Carol"}
    local_graphs = {r["graphs"]["value"] for r in rows}
    assert len(local_graphs) == 1 and int(local_graphs.pop()) > 2  # joined with local data
    # The remote server really answered it.
    assert '"POST /sparql' in remote.log() or '"GET /sparql' in remote.log()
    # Anything else is still refused.
    other = requests.get(local.sparql, params={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
        timeout=10)
    assert other.status_code == 403


# -- writes need the token; refusals and failures change nothing -------------------------

INSERT = f"INSERT DATA {{ GRAPH <{SMALL_GRAPH}> {{ <http://example.org/x> " \
         "<http://example.org/p> <http://example.org/y> } }"


@pytest.mark.parametrize(("token", "headers", "status", "words"), [
    ("", AUTH, 403, "read-only"),
    (TOKEN, {}, 401, "bearer token"),
    (TOKEN, {"Authorization": "Bearer not-the-token"}, 403, "not valid"),
    (TOKEN, {"Authorization": f"Basic {TOKEN}"}, 401, "Bearer scheme"),
])
@pytest.mark.parametrize("how", ["form", "body"])
def test_updates_without_the_right_token_change_nothing(
        small_store: Path, token: str, headers: dict, status: int, words: str,
        how: str) -> None:
    with app_over(small_store, write_token=token) as app:
        client = app.test_client()
        before = store_state(small_store)
        if how == "form":
            response = client.post("/sparql", data={"update": INSERT}, headers=headers)
        else:
            response = client.post("/sparql", data=INSERT, headers=headers,
                                   content_type="application/sparql-update")
        assert response.status_code == status
        assert words in response.get_data(as_text=True)
        assert store_state(small_store) == before


@pytest.mark.parametrize(("update", "words"), [
    ("INSERT DATA { <http://example.org/x> <http://example.org/p> }", "line: 1"),
    ("DELETE WHERE { ?s ?p ?o } ; CLEAR GRAFT <http://g>", "column:"),
    (INSERT + " ; DROP GRAPH <http://example.org/absent>", "does not exist"),
    ("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/x> "
     "<http://example.org/p> 1 } }; ASK {}", "line: 1"),
])
def test_malformed_or_failing_updates_are_400_and_change_nothing(
        small_store: Path, update: str, words: str) -> None:
    with app_over(small_store, write_token=TOKEN) as app:
        before = store_state(small_store)
        response = app.test_client().post("/sparql", data=update, headers=AUTH,
                                          content_type="application/sparql-update")
        assert response.status_code == 400
        assert words in response.get_data(as_text=True)
        assert store_state(small_store) == before


def test_updates_with_the_token_are_accepted(small_store: Path) -> None:
    with app_over(small_store, write_token=TOKEN) as app:
        before = store_state(small_store)
        response = app.test_client().post("/sparql", data={"update": INSERT}, headers=AUTH)
        assert response.status_code == 204
        after = store_state(small_store)
        assert after[0] != before[0]  # a new snapshot was published
        assert b"<http://example.org/x>" in after[1]


# -- the row limit -----------------------------------------------------------------------


@pytest.mark.parametrize(("own_limit", "rows", "capped"), [
    ("", 2, True),  # no LIMIT of its own: the row limit applies
    ("LIMIT 5", 2, True),  # its own LIMIT is above the row limit
    ("LIMIT 2", 2, False),  # its own LIMIT caps it already: the text is left alone
    ("OFFSET 1 LIMIT 1", 1, False),
])
def test_the_row_limit_caps_a_select(small_store: Path, own_limit: str, rows: int,
                                     capped: bool) -> None:
    query = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(?p != <x:LIMIT>) }} {own_limit}"
    with app_over(small_store, result_limit=2) as app:
        response = app.test_client().get("/sparql?format=csv&query=" + quote(query))
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "s,p,o" and len(lines) == rows + 1
    assert response.headers.get("X-Row-Limit") == ("2" if capped else None)


# -- streaming in constant memory --------------------------------------------------------

ROWS = 1_000_000


@pytest.fixture(scope="module")
def million_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one graph of ROWS generated triples, bulk-loaded by the loader."""
    from tillvaxtgraf.loaders.load import load_sources
    from tillvaxtgraf.loaders.sources import rdf_source

    root = tmp_path_factory.mktemp("million")
    data = root / "million.nt"
    with open(data, "w", encoding="ascii") as out:
        for start in range(0, ROWS, 10_000):
            out.write("".join(f'_:r{i} <http://example.org/v> "{i}" .\n'
                              for i in range(start, start + 10_000)))
    load_sources(root / "store", [rdf_source(data, graph="http://example.org/million")],
                 progress=False)
    data.unlink()
    return root / "store"


def test_a_million_rows_stream_in_flat_memory(live_server, million_store: Path) -> None:  # noqa: ANN001
    server = live_server(million_store, env={"TILLVAXTGRAF_QUERY_TIME_LIMIT": "120"})
    workers = server.gunicorn_workers()
    assert len(workers) == 2
    for _ in range(4):  # let both workers import and answer once before the baseline
        requests.get(server.sparql, params={"query": "ASK {}"}, timeout=10)
    baseline = {pid: rss_kib(pid) or 0 for pid in workers}
    peak = dict(baseline)
    samples = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal samples
        while not stop.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], rss_kib(pid) or 0)
            samples += 1
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with requests.get(server.sparql, stream=True, timeout=120,
                          params={"query": "SELECT ?s ?v WHERE { ?s <http://example.org/v> ?v }"},
                          headers={"Accept": "text/csv"}) as response:
            assert response.status_code == 200
            lines, first_byte = 0, None
            for chunk in response.iter_content(1 << 16):
                first_byte = first_byte or time.monotonic() - started
                lines += chunk.count(b"\n")
    finally:
        stop.set()
        sampler.join()
    total = time.monotonic() - started
    assert lines == ROWS + 1  # the header line, then every row
    growth_mb = max(peak[pid] - baseline[pid] for pid in workers) / 1024
    print(f"{ROWS} rows in {total:.1f} s (first byte {first_byte:.2f} s); gunicorn worker "
          f"RSS {max(baseline.values()) / 1024:.0f} MB, grew at most {growth_mb:.1f} MB "
          f"over {samples} samples")
    assert samples >= 10  # memory was watched throughout, however fast the stream ran
    assert growth_mb < 50, f"a gunicorn worker grew by {growth_mb:.0f} MB while streaming"
    assert first_byte < total / 3, (first_byte, total)  # streamed, not built then sent
