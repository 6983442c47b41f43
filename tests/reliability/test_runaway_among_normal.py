"""A query that would run forever, among normal ones, on a live server (3 s time limit).

Four clients keep asking normal questions (SPARQL lookups, search) before, during and
after one client sends a cross product that would take hours. The normal questions keep
being answered, correctly, while the runaway runs, without waiting for it; the runaway
gets its time-limit error; the query worker that ran it is killed, and afterwards nothing
in the server burns CPU. tests/service/test_limits.py checks the runaway alone.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

import pytest
import requests
from reliability_support import SEARCHES
from service_support import cpu_ticks

from tillvaxtgraf.store.names import ID, SKOS

pytestmark = pytest.mark.slow

LIMIT_SECONDS = 3
NORMAL_CLIENTS = 4
TICKS = os.sysconf("SC_CLK_TCK")
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def label_query(i: int) -> tuple[str, str]:
    town = ("Göteborg", "Malmö", "Umeå", "Östersund")[i % 4]
    return (f"SELECT ?l WHERE {{ <{ID}actor/fault-{i}> <{SKOS}prefLabel> ?l }}",
            f"Aktör {i} {town}")


class NormalClient(threading.Thread):
    """Asks normal questions in turn, checking each answer; notes when each one ran."""

    def __init__(self, number: int, url: str, stop: threading.Event) -> None:
        super().__init__(name=f"normal-{number}", daemon=True)
        self.number, self.url, self.stop = number, url, stop
        self.done: list[tuple[float, float]] = []  # (sent, answered)
        self.faults: list[str] = []

    def ask(self, session: requests.Session, turn: int) -> None:
        i = (self.number * 37 + turn) % 300
        query, label = label_query(i)
        if turn % 2:
            response = session.get(self.url + "/sparql", params={"query": query}, timeout=60)
            assert response.status_code == 200, response.text[:300]
            rows = response.json()["results"]["bindings"]
            assert [r["l"]["value"] for r in rows] == [label], rows
        else:
            response = session.get(self.url + "/api/search", timeout=60,
                                   params={"q": label, "limit": "3"})
            assert response.status_code == 200, response.text[:300]
            assert response.json()["results"][0]["iri"] == f"{ID}actor/fault-{i}"

    def run(self) -> None:
        with requests.Session() as session:
            turn = 0
            while not self.stop.is_set():
                sent = time.monotonic()
                try:
                    self.ask(session, turn)
                except Exception as exc:  # noqa: BLE001 - every fault is a finding
                    self.faults.append(f"{type(exc).__name__}: {exc}")
                self.done.append((sent, time.monotonic()))
                turn += 1


def test_runaway_among_normal_queries(live_server, base_store: Path) -> None:  # noqa: ANN001
    assert "aktör" in SEARCHES  # the base data's actors are what the clients look up
    server = live_server(base_store, env={"TILLVAXTGRAF_QUERY_TIME_LIMIT": str(LIMIT_SECONDS)})
    for _ in range(6):  # both gunicorn workers start their query workers
        requests.get(server.sparql, params={"query": "ASK {}"}, timeout=10)
    stop = threading.Event()
    clients = [NormalClient(n, server.url, stop) for n in range(NORMAL_CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(2.0)  # the normal pace, before the runaway

    outcome: dict = {}

    def runaway() -> None:
        outcome["sent"] = time.monotonic()
        outcome["response"] = requests.get(server.sparql, params={"query": RUNAWAY},
                                           headers={"Accept": "application/json"},
                                           timeout=120)
        outcome["answered"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    first_seen: dict[int, int] = {}
    busiest, spent = None, 0
    while thread.is_alive():  # the query worker that burns CPU is the runaway's
        for pid in server.query_workers():
            ticks = cpu_ticks(pid)
            if ticks is not None:
                first_seen.setdefault(pid, ticks)
                if ticks - first_seen[pid] > spent:
                    busiest, spent = pid, ticks - first_seen[pid]
        time.sleep(0.1)
    thread.join()
    time.sleep(1.0)  # and normal questions after it
    stop.set()
    for client in clients:
        client.join(timeout=60)

    faults = {c.name: c.faults[:3] for c in clients if c.faults}
    assert not faults, faults

    # The runaway was stopped at its limit, with the time-limit error.
    response = outcome["response"]
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "QueryTimeout"
    assert f"{LIMIT_SECONDS} s" in response.json()["message"]
    sent, answered = outcome["sent"], outcome["answered"]
    took = answered - sent

    # Normal questions were answered while it ran, by every client, and none waited for it.
    during = [(s, e) for c in clients for s, e in c.done if s >= sent and e <= answered]
    per_client = [sum(1 for s, e in c.done if s >= sent and e <= answered) for c in clients]
    overlapping = [e - s for c in clients for s, e in c.done if s < answered and e > sent]
    before = [e - s for c in clients for s, e in c.done if e < sent]
    print(f"runaway stopped after {took:.1f} s (limit {LIMIT_SECONDS} s); meanwhile "
          f"{len(during)} normal answers ({per_client} per client), median "
          f"{statistics.median(overlapping) * 1000:.0f} ms vs "
          f"{statistics.median(before) * 1000:.0f} ms before, slowest "
          f"{max(overlapping) * 1000:.0f} ms")
    assert all(n >= 3 for n in per_client), per_client
    assert max(overlapping) < took / 2, "a normal question waited for the runaway"
    assert statistics.median(overlapping) < 5 * statistics.median(before) + 0.05

    # The worker that ran it was killed and reaped, and the server is idle again.
    assert busiest is not None and spent > 0.5 * TICKS, "no worker was seen running it"
    assert cpu_ticks(busiest) is None, f"query worker {busiest} is still alive"
    tree = server.tree()
    idle = {pid: cpu_ticks(pid) or 0 for pid in tree}
    time.sleep(1.5)
    burnt = sum((cpu_ticks(pid) or idle[pid]) - idle[pid] for pid in tree)
    assert burnt < 0.3 * TICKS, f"{burnt / TICKS:.2f} s of CPU burnt after the stop"
    for _ in range(6):  # counted for the server, whichever gunicorn worker answers
        health = requests.get(server.url + "/healthz", timeout=5).json()
        assert health["workers_stopped_by_time_limit"] == 1, health
