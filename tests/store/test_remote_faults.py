"""When the remote store fails, the client gets a clear 502/504, never a hang or a traceback,
and the service recovers by itself when the store is back.

The store goes away (a real `oxigraph serve`, killed with SIGKILL, before and during an
answer), answers too slowly, or answers nonsense (a small loopback HTTP server of ours).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from servers import OxigraphServer, free_port

from tillvaxtgraf.errors import BadAnswer, RemoteTimeout, RemoteUnavailable
from tillvaxtgraf.service import create_app
from tillvaxtgraf.settings import load_settings
from tillvaxtgraf.store.base import QueryRequest
from tillvaxtgraf.store.remote_backend import RemoteStore, open_remote

ASK = {"query": "ASK {}"}
JSON = {"Accept": "application/json"}


class FakeStore(BaseHTTPRequestHandler):
    """Answers every request the way the server's ``mode`` says."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        server: FakeServer = self.server  # type: ignore[assignment]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.requests += 1
        mode = server.mode
        if mode == "slow":
            server.release.wait(10)
            mode = "ok"
        if mode == "ok":
            self._send(200, "application/sparql-results+json",
                       b'{"head": {}, "boolean": true}')
        elif mode == "malformed":
            self._send(200, "application/sparql-results+json", b'{"head": {"vars": ["s"')
        elif mode == "html":
            self._send(200, "text/html", b"<html><body>Welcome to nginx!</body></html>")
        elif mode == "short":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"head": {"vars": []}, "results": {"bindings": [')
            self.wfile.flush()
            self.close_connection = True
        elif mode == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            self.wfile.write(b"s\r\n" + b"http://example.org/x\r\n" * 10_000)
            self.wfile.flush()
            server.release.wait(10)
            self.close_connection = True
        elif mode == "error":
            self._send(500, "text/plain", b"java.lang.OutOfMemoryError: heap space")

    def _send(self, status: int, media: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    mode = "ok"
    requests = 0

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeStore)
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def app_for(store: RemoteStore, tmp_path: Path) -> Flask:
    settings = load_settings({}, store=str(tmp_path / "local"), backend="sparql",
                             query_url=store.query_url)
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    return app


def test_store_down_then_back(tmp_path: Path) -> None:
    port = free_port()
    store = open_remote(f"http://127.0.0.1:{port}/query", update_url=f"http://127.0.0.1:{port}/update",
                        gsp_url=f"http://127.0.0.1:{port}/store", dialect="oxigraph",
                        default_timeout=5.0)
    client = app_for(store, tmp_path).test_client()
    started = time.monotonic()
    response = client.get("/sparql", query_string=ASK, headers=JSON)
    assert response.status_code == 502
    assert "cannot be reached" in response.get_json()["message"]
    assert time.monotonic() - started < 3, "retries must stay bounded"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "cannot be reached" in health.get_json()["message"]
    server = OxigraphServer.start(tmp_path / "data", port=port)
    try:
        assert client.get("/healthz").status_code == 200
        assert client.get("/sparql", query_string=ASK, headers=JSON).get_json()[
            "boolean"] is True
    finally:
        server.stop()


@pytest.fixture
def busy_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """`oxigraph serve` with 2 000 triples: enough for queries that run for minutes."""
    server = OxigraphServer.start(tmp_path / "data")
    lines = "".join(f"<http://example.org/n{i}> <http://example.org/p> {i} .\n"
                    for i in range(2000))
    server.store()._update(f"INSERT DATA {{ {lines} }}")
    try:
        yield server
    finally:
        server.stop()


def test_store_killed_while_evaluating(busy_oxigraph: OxigraphServer, tmp_path: Path) -> None:
    store = busy_oxigraph.store(default_timeout=20.0)
    client = app_for(store, tmp_path).test_client()
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    threading.Timer(0.5, busy_oxigraph.kill).start()
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": endless}, headers=JSON)
    assert response.status_code == 502
    message = response.get_json()["message"]
    assert "SPARQL store" in message
    assert time.monotonic() - started < 5
    assert client.get("/healthz").status_code == 503
    busy_oxigraph.restart()  # same port, same data folder
    assert client.get("/healthz").status_code == 200
    counted = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) "
                                                  "WHERE { ?s ?p ?o }"}, headers=JSON)
    assert counted.get_json()["results"]["bindings"][0]["n"]["value"] == "2000"


def test_store_killed_mid_answer(busy_oxigraph: OxigraphServer) -> None:
    """The answer breaks off: reading it raises, it never looks complete."""
    store = busy_oxigraph.store(default_timeout=20.0)
    answer = store.query(QueryRequest("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"), "csv")
    first = next(answer.chunks)
    assert first.startswith(b"a,b,c,d,e,f")
    busy_oxigraph.kill()
    with pytest.raises(RemoteUnavailable, match="broke off"):
        for _ in answer.chunks:
            pass
    answer.close()


def test_slow_store_gives_504_then_recovers(fake: FakeServer, tmp_path: Path) -> None:
    fake.mode = "slow"
    store = open_remote(fake.url, default_timeout=0.5)
    client = app_for(store, tmp_path).test_client()
    started = time.monotonic()
    response = client.get("/sparql", query_string=ASK, headers=JSON)
    assert response.status_code == 504
    body = response.get_json()
    assert "time limit" in body["message"] and body["hint"]
    assert time.monotonic() - started < 2
    assert fake.requests == 1, "a timeout is not retried"
    fake.mode = "ok"
    fake.release.set()
    assert client.get("/sparql", query_string=ASK, headers=JSON).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_answer_stalling_mid_stream_is_cut_at_the_time_limit(fake: FakeServer) -> None:
    fake.mode = "stall"
    store = open_remote(fake.url, default_timeout=1.0)
    answer = store.query(QueryRequest("SELECT ?s WHERE { ?s ?p ?o }"), "csv")
    started = time.monotonic()
    with pytest.raises(RemoteTimeout):
        for _ in answer.chunks:
            pass
    assert time.monotonic() - started < 2
    answer.close()


@pytest.mark.parametrize("mode, words", [
    ("malformed", "malformed"),
    ("html", "answered with text/html"),
    ("short", "cut off"),
    ("error", "HTTP 500"),
])
def test_bad_answers_give_502(fake: FakeServer, tmp_path: Path, mode: str, words: str) -> None:
    fake.mode = mode
    store = open_remote(fake.url, default_timeout=5.0)
    client = app_for(store, tmp_path).test_client()
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
                          headers=JSON)
    assert response.status_code == 502
    assert words in response.get_json()["message"]
    assert fake.requests == 1, "an answer, even a bad one, is not retried"
    with pytest.raises(BadAnswer if mode != "error" else RemoteUnavailable):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    fake.mode = "ok"
    ok = client.get("/sparql", query_string=ASK, headers=JSON)
    assert ok.status_code == 200 and json.loads(ok.data)["boolean"] is True
