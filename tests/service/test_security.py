"""Security: writes only with the token, no network access from queries or uploads,
strict headers on every HTML page, per-client rate limits, no internals in error bodies.

Network access is watched by a loopback listener of the test's own: a refused SERVICE,
LOAD or remote JSON-LD context must leave it without a single connection, and one
control test shows that a query the allow-list admits does reach it.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from service_support import (
    AUTH,
    SMALL_GRAPH,
    TOKEN,
    app_over,
    store_state,
)

from tillvaxtgraf.errors import LoadError, TillvaxtgrafError
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.settings import SettingsError, load_settings
from tillvaxtgraf.store.embedded_backend import EmbeddedStore

JSON = {"Accept": "application/json"}
EMPTY_RESULTS = b'{"head":{"vars":[]},"results":{"bindings":[]}}'


class Listener:
    """A loopback HTTP server that records every connection and answers an empty result."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                self.requests.append(self._read(conn))
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-"
                                 b"results+json\r\nConnection: close\r\nContent-Length: "
                                 + str(len(EMPTY_RESULTS)).encode() + b"\r\n\r\n"
                                 + EMPTY_RESULTS)
                except OSError:
                    pass

    @staticmethod
    def _read(conn: socket.socket) -> bytes:
        conn.settimeout(2)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return data
                data += chunk
            length = re.search(rb"(?i)content-length:\s*(\d+)", data)
            body = len(data.split(b"\r\n\r\n", 1)[1])
            while length and body < int(length.group(1)):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                body += len(chunk)
        except OSError:
            pass
        return data

    def connections(self, settle: float = 0.3) -> int:
        time.sleep(settle)  # a connection under way is accepted within the accept timeout
        return len(self.requests)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def shared_store(app: Flask) -> Path:
    return Path(app.config["SETTINGS"].store)


# -- writes only with the token ---------------------------------------------------------

INSERT = f"INSERT DATA {{ GRAPH <{SMALL_GRAPH}> {{ <http://example.org/x> " \
         "<http://example.org/p> <http://example.org/y> } }"


@pytest.mark.parametrize(("authorization", "status"), [
    ("Bearer", 401),
    ("Bearer ", 401),
    ("Bearer    ", 401),
    (f"Bearer\t{TOKEN}", 401),
    (TOKEN, 401),
    (f"Token {TOKEN}", 401),
    (f"Bearer {TOKEN}x", 403),
    (f"Bearer {TOKEN[:-1]}", 403),
    (f"Bearer {TOKEN.upper()}", 403),
    (f"Bearer {TOKEN} {TOKEN}", 403),
    ("Bearer s3cret-test-tokén", 403),
    ("Bearer \x00", 403),
])
def test_a_wrong_empty_or_malformed_authorization_changes_nothing(
        shared_app: Flask, authorization: str, status: int) -> None:
    client = shared_app.test_client()
    before = store_state(shared_store(shared_app))
    for response in (
        client.post("/sparql", data={"update": INSERT},
                    headers={"Authorization": authorization, **JSON}),
        client.put(f"/graph-store?graph={quote(SMALL_GRAPH)}", data="<a:b> <a:c> <a:d> .",
                   content_type="application/n-triples",
                   headers={"Authorization": authorization, **JSON}),
    ):
        assert response.status_code == status, response.get_data(as_text=True)
        body = response.get_json()
        assert body["status"] == status and body["message"]
        sent = authorization.partition(" ")[2].strip()
        if len(sent) > 3:
            assert sent not in response.get_data(as_text=True)  # never echoed back
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert store_state(shared_store(shared_app)) == before


@pytest.mark.parametrize("where", ["query string", "form field", "cookie"])
def test_the_token_counts_only_in_the_authorization_header(shared_app: Flask,
                                                           where: str) -> None:
    client = shared_app.test_client()
    before = store_state(shared_store(shared_app))
    if where == "query string":
        response = client.post(f"/sparql?access_token={TOKEN}&token={TOKEN}",
                               data=INSERT, content_type="application/sparql-update")
    elif where == "form field":
        response = client.post("/sparql", data={"update": INSERT, "access_token": TOKEN,
                                                "token": TOKEN})
    else:
        client.set_cookie("token", TOKEN)
        client.set_cookie("access_token", TOKEN)
        response = client.post("/sparql", data={"update": INSERT})
    assert response.status_code == 401
    assert store_state(shared_store(shared_app)) == before


def test_the_right_token_writes_whatever_the_scheme_case(small_app: Flask) -> None:
    """The control for the refusals above: the same update with the token is applied."""
    store = shared_store(small_app)
    before = store_state(store)
    response = small_app.test_client().post(
        "/sparql", data={"update": INSERT}, headers={"Authorization": f"bearer  {TOKEN}"})
    assert response.status_code == 204
    assert store_state(store) != before


# -- no network access from queries, updates or JSON-LD ---------------------------------


def _service_queries(target: str) -> list[str]:
    """SERVICE to ``target`` (an IRI ending in '/') spelt in ways a filter might miss."""
    port = urlsplit(target).port
    return [
        f"select * where {{ service <{target}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SeRvIcE SiLeNt <{target}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE # <http://example.org/>\n <{target}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT*{{SERVICE<{target}sparql>{{?s ?p ?o}}}}",
        f"PREFIX r: <{target}> SELECT * {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
        f"BASE <{target}> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ VALUES ?e {{ <{target}sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/\\u0073parql> {{ ?s ?p ?o }} }}",
        # An escape the lexer once did not know made it read the rest of the line as a
        # comment, while the engine ran the SERVICE.
        f"SELECT * {{ {{ <http://x.org/\\u0041#> ?p ?o }} UNION "
        f"{{ SERVICE <{target}sparql> {{ ?s ?p ?o }} }} }}",
        f"PREFIX ex: <http://x.org/> SELECT * {{ {{ ex:a\\#b ?p ?o }} UNION "
        f"{{ SERVICE <{target}sparql> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ ?x ?y ?z OPTIONAL {{ SELECT * {{ GRAPH ?g {{ SERVICE <{target}> "
        f"{{ ?s ?p ?o }} }} }} }} }}",
        f"ASK {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
    ]


def test_service_is_refused_however_it_is_spelt(shared_client: FlaskClient,
                                               listener: Listener) -> None:
    for query in _service_queries(listener.url):
        for response in (
            shared_client.get("/sparql?query=" + quote(query), headers=JSON),
            shared_client.post("/sparql", data=query, headers=JSON,
                               content_type="application/sparql-query"),
        ):
            assert response.status_code == 403, (query, response.get_data(as_text=True))
            assert "TILLVAXTGRAF_SERVICE_ALLOW" in response.get_json()["message"]
    assert listener.connections() == 0, listener.requests


def test_an_allow_list_admits_only_what_it_names(small_store: Path,
                                                 listener: Listener) -> None:
    port = urlsplit(listener.url).port
    with app_over(small_store, service_allow=("http://127.0.0.1:9",)) as app:
        client = app.test_client()
        for query in [
            # the allowed prefix, then the same prefix name bound to another server
            f"PREFIX a: <http://127.0.0.1:9/> PREFIX a: <{listener.url}> "
            "SELECT * { SERVICE a:sparql { ?s ?p ?o } }",
            # the allowed text as user:password@ before another host
            f"SELECT * {{ SERVICE <http://127.0.0.1:9@127.0.0.1:{port}/sparql> "
            "{ ?s ?p ?o } }",
        ]:
            response = client.get("/sparql?query=" + quote(query), headers=JSON)
            assert response.status_code == 403, (query, response.get_data(as_text=True))
    assert listener.connections() == 0, listener.requests


def test_a_service_on_the_allow_list_does_reach_the_listener(small_store: Path,
                                                              listener: Listener) -> None:
    """The control: the listener sees the engine's requests when the operator allows them."""
    with app_over(small_store, service_allow=(listener.url,)) as app:
        response = app.test_client().get("/sparql?query=" + quote(
            f"SELECT * {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"), headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert listener.connections() == 1
    assert listener.requests[0].startswith(b"POST /sparql ")


@pytest.mark.parametrize("network", [False, True])
def test_query_workers_without_an_allow_list_cannot_open_a_socket(
        small_store: Path, listener: Listener, network: bool) -> None:
    """Under the text check, the kernel: a SERVICE that reaches the engine (here through
    the Store interface, past the service's check) connects only if network is allowed."""
    store = EmbeddedStore(small_store, workers=1, default_timeout=10, network=network)
    try:
        query = f"ASK {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"
        if network:
            assert store.ask(query) is False  # the listener's empty answer
        else:
            with pytest.raises(TillvaxtgrafError, match="(?i)permission denied"):
                store.ask(query)
            assert store.ask("ASK { ?s ?p ?o }") is True  # the worker still answers
    finally:
        store.close()
    assert listener.connections() == (1 if network else 0), listener.requests


def test_load_is_refused_however_it_is_spelt(small_app: Flask, listener: Listener) -> None:
    client, store = small_app.test_client(), shared_store(small_app)
    before = store_state(store)
    target = listener.url
    for update in [
        f"load <{target}data.ttl>",
        f"LOAD SILENT <{target}data.ttl> INTO GRAPH <http://example.org/g>",
        f"LOAD # <http://example.org/>\n<{target}data.ttl>",
        f"PREFIX r: <{target}> LOAD r:data.ttl",
        f"{INSERT} ; LOAD <{target}data.ttl>",
    ]:
        response = client.post("/sparql", data=update, headers={**AUTH, **JSON},
                               content_type="application/sparql-update")
        assert response.status_code == 403, (update, response.get_data(as_text=True))
    assert listener.connections() == 0, listener.requests
    assert store_state(store) == before


def _jsonld_documents(target: str) -> list[str]:
    return [
        f'{{"@context": "{target}context.jsonld", "@id": "http://x.org/a", "name": "x"}}',
        f'{{"@context": ["{target}context.jsonld"], "@id": "http://x.org/a", "name": "x"}}',
        f'{{"@context": {{"@import": "{target}import.jsonld"}}, "@id": "http://x.org/a", '
        '"http://x.org/p": "x"}',
        f'{{"@id": "http://x.org/a", "http://x.org/p": {{"@context": "{target}inner", '
        '"@id": "http://x.org/b"}}',
    ]


def test_graph_store_uploads_never_fetch_a_remote_context(small_app: Flask,
                                                          listener: Listener) -> None:
    client, store = small_app.test_client(), shared_store(small_app)
    before = store_state(store)
    for document in _jsonld_documents(listener.url):
        for response in (
            client.put(f"/graph-store?graph={quote(SMALL_GRAPH)}", data=document,
                       content_type="application/ld+json", headers={**AUTH, **JSON}),
            client.post(f"/graph-store?graph={quote(SMALL_GRAPH)}", headers={**AUTH, **JSON},
                        content_type="multipart/form-data", data={
                            "part": (io.BytesIO(document.encode()), "data.jsonld",
                                     "application/ld+json")}),
        ):
            assert response.status_code == 400, (document, response.get_data(as_text=True))
            assert "context" in response.get_json()["message"].lower()
    assert listener.connections() == 0, listener.requests
    assert store_state(store) == before


def test_the_loader_never_fetches_a_remote_context(tmp_path: Path,
                                                   listener: Listener) -> None:
    source = tmp_path / "remote-context.jsonld"
    source.write_text(_jsonld_documents(listener.url)[0], encoding="utf-8")
    with pytest.raises(LoadError, match="(?i)context"):
        load_sources(tmp_path / "store", [rdf_source(source, graph=SMALL_GRAPH)],
                     progress=False)
    assert listener.connections() == 0, listener.requests


# -- security headers on every HTML page ------------------------------------------------

# Values for the routes' path parts, where a link crawl would not find them.
SEEDS = ["/", "/?q=region", "/ontology.html", "/resource.html?iri=" + quote(SMALL_GRAPH),
         "/resource?iri=" + quote("http://www.w3.org/2000/01/rdf-schema#label"),
         "/connections?from=region&to=strategy", "/sparql?query=ASK%7B%7D&format=html",
         "/api/queries/actor_arenas?format=html", "/ontology/Region"]
NOT_HTML = {"static"}
MAX_PAGES = 80


class _Page(HTMLParser):
    """Links, and what a strict CSP would block: inline scripts and event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.blocked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}={value}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")
        if tag == "script" and not attributes.get("src"):
            kind = (attributes.get("type") or "text/javascript").lower()
            if "json" not in kind:  # data blocks are not run, so CSP does not block them
                self.blocked.append(f"<script type={kind}> without src")


def _rule_of(app: Flask, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except Exception:  # noqa: BLE001 - redirects, 404s: not a route of ours
        return None
    return endpoint


def test_every_html_page_has_strict_security_headers(readonly_app: Flask) -> None:
    client = readonly_app.test_client()
    routes = {r.endpoint for r in readonly_app.url_map.iter_rules()
              if "GET" in r.methods and r.endpoint not in NOT_HTML}
    todo = [str(r) for r in readonly_app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and r.endpoint not in NOT_HTML]
    todo += SEEDS
    seen: set[str] = set()
    html_endpoints: set[str] = set()
    visited_endpoints: set[str] = set()
    problems: list[str] = []
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        endpoint = _rule_of(readonly_app, path)
        if path in seen or endpoint is None or endpoint in NOT_HTML:
            continue
        # Breadth over depth: one or two pages per route are enough.
        if sum(1 for p in seen if _rule_of(readonly_app, p) == endpoint) >= 2:
            continue
        seen.add(path)
        visited_endpoints.add(endpoint)
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code < 500, (path, response.get_data(as_text=True)[:300])
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        if response.mimetype != "text/html":
            continue
        html_endpoints.add(endpoint)
        csp = response.headers.get("Content-Security-Policy", "")
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        script = directives.get("script-src", directives.get("default-src", []))
        if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script \
                or "*" in script:
            problems.append(f"{path}: script-src {script}")
        if directives.get("frame-ancestors") != ["'none'"]:
            problems.append(f"{path}: frame-ancestors {directives.get('frame-ancestors')}")
        if directives.get("object-src") != ["'none'"]:
            problems.append(f"{path}: object-src {directives.get('object-src')}")
        if response.headers.get("X-Frame-Options") != "DENY":
            problems.append(f"{path}: X-Frame-Options {response.headers.get('X-Frame-Options')}")
        if not response.headers.get("Referrer-Policy"):
            problems.append(f"{path}: no Referrer-Policy")
        page = _Page()
        page.feed(response.get_data(as_text=True))
        problems += [f"{path}: {item}" for item in page.blocked]
        for link in page.links:
            absolute = urljoin("http://localhost" + path, link)
            if urlsplit(absolute).netloc == "localhost":
                parts = urlsplit(absolute)
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert not problems, "\n".join(problems)
    # Every GET route was reached, and the pages people read were among the HTML ones.
    assert routes <= visited_endpoints, f"routes never reached: {routes - visited_endpoints}"
    assert {"search.page", "resources.minted", "resources.resource", "api.query_page",
            "api.catalog_page", "sparql.endpoint", "search.connections_page",
            "resources.ontology"} <= html_endpoints, html_endpoints


# -- rate limits ------------------------------------------------------------------------

LIMITED = ["/sparql?query=ASK%7B%7D", "/api/search?q=alice",
           "/resource?iri=" + quote("http://example.org/alice"), "/connections?from=alice&to=bob"]


def test_the_rate_limit_holds_per_client_and_resets(small_store: Path) -> None:
    with app_over(small_store, rate_limit="4 per 3 seconds") as app:
        client = app.test_client()
        # One budget for all the expensive endpoints: switching does not buy more.
        for path in LIMITED:
            assert client.get(path).status_code != 429, path
        refused = client.get("/api/queries/" + "x", headers=JSON)
        assert refused.status_code == 429
        body = refused.get_json()
        assert body["status"] == 429 and body["error"] == "RateLimitExceeded"
        assert "4 per 3 second" in body["message"]
        assert "TILLVAXTGRAF_RATE_LIMIT" in body["hint"]
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 4
        assert refused.headers["X-Content-Type-Options"] == "nosniff"
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]
        text = client.get(LIMITED[0], headers={"Accept": "text/plain"})
        assert text.status_code == 429 and text.mimetype == "text/plain"
        assert text.get_data(as_text=True).startswith("429 Too Many Requests")
        # A forged X-Forwarded-For does not make a new client unless a proxy is trusted.
        assert client.get(LIMITED[1], headers={"X-Forwarded-For": "198.51.100.7"}
                          ).status_code == 429
        # Cheap pages are not counted, and other clients have their own budget.
        for path in ("/-/health", "/api/suggest?q=al", "/static/style.css", "/api/queries"):
            assert client.get(path).status_code == 200, path
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        assert other.get(LIMITED[0]).status_code == 200
        # The budget comes back once the window has moved on.
        time.sleep(wait)
        assert client.get(LIMITED[0]).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
        small_store: Path) -> None:
    with app_over(small_store, rate_limit="2 per minute", trusted_proxies=1) as app:
        client = app.test_client()
        first = {"X-Forwarded-For": "198.51.100.1"}
        assert [client.get(LIMITED[0], headers=first).status_code for _ in range(3)] == \
            [200, 200, 429]
        assert client.get(LIMITED[0], headers={"X-Forwarded-For": "198.51.100.2"}
                          ).status_code == 200
        # Only the last hop is trusted: what the client wrote before it does not count.
        spoofed = {"X-Forwarded-For": "192.0.2.50, 198.51.100.1"}
        assert client.get(LIMITED[0], headers=spoofed).status_code == 429


def test_a_served_instance_enforces_the_limit(live_server,  # noqa: ANN001
                                                 small_store: Path) -> None:
    server = live_server(small_store, workers=1, threads=2,
                         env={"TILLVAXTGRAF_RATE_LIMIT": "3 per minute; 100 per hour"})
    statuses = [requests.get(server.sparql, params={"query": "ASK {}"}, headers=JSON,
                             timeout=10).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = requests.get(server.url + "/api/search", params={"q": "alice"}, timeout=10)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200


def test_rate_limit_settings_are_checked_when_read() -> None:
    assert load_settings({}).rate_limit == "20 per second; 600 per minute"
    for off in ("off", "", "0", "OFF"):
        assert load_settings({"TILLVAXTGRAF_RATE_LIMIT": off}).rate_limit == ""
    with pytest.raises(SettingsError, match="TILLVAXTGRAF_RATE_LIMIT"):
        load_settings({"TILLVAXTGRAF_RATE_LIMIT": "often"})


# -- no stack traces or paths in error bodies -------------------------------------------


def _assert_public(response, store: Path) -> None:  # noqa: ANN001 - a test response
    text = response.get_data(as_text=True)
    for leak in ("Traceback", 'File "', ".py", str(store), str(store.parent), "/tmp/",
                 "/root", "/work"):
        assert leak not in text, f"{leak!r} in {text!r}"


def test_a_store_that_breaks_under_the_service_answers_without_internals(
        small_store: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with app_over(small_store) as app:
        client = app.test_client()
        # The snapshot's own files vanish before the workers open it (RocksDB names them).
        snapshot = next(p for p in (small_store / "snapshots").iterdir()
                        if p.is_dir() and p.name.isdigit())
        shutil.rmtree(snapshot)
        snapshot.mkdir()
        for accept in ("application/json", "text/csv"):
            response = client.get("/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D",
                                  headers={"Accept": accept})
            assert response.status_code in (500, 503)
            _assert_public(response, small_store)
        health = client.get("/-/health")
        assert health.status_code == 503
        _assert_public(health, small_store)
        # The CURRENT pointer names a snapshot that is not there.
        (small_store / "CURRENT").write_text("999999\n")
        response = client.get(LIMITED[0], headers=JSON)
        assert response.status_code == 503
        assert "source" not in response.get_json()
        _assert_public(response, small_store)
    # The operator's log has the detail that the client did not get.
    assert str(small_store) in caplog.text


def test_an_unexpected_failure_is_a_generic_500_and_a_logged_traceback(
        small_store: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    index = next(small_store.glob("snapshots/*.derived/search.sqlite"))
    index.write_bytes(b"not a database " * 512)
    with app_over(small_store) as app:
        client = app.test_client()
        for accept in ("application/json", "text/plain", "text/html"):
            response = client.get("/api/search?q=alice", headers={"Accept": accept})
            assert response.status_code == 500
            _assert_public(response, small_store)
            assert "failure is logged" in response.get_data(as_text=True)
    assert "Traceback" in caplog.text and "DatabaseError" in caplog.text
