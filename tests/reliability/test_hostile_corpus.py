"""A corpus of hostile inputs, each with the status it must get, and nothing lost.

Every case goes through the real app over a copy of the bundled data with writes
enabled (the token is sent only where a case says so). After each: the status is the
expected one, an error names its problem without a traceback or path, no answer header
carries CR/LF or a header the input smuggled in, no query worker died, and the store
(CURRENT and sorted N-Quads) is exactly as before. Cases that need more than the app --
a socket nothing may connect to, the loader and the CLI, raw bytes over real HTTP to
gunicorn -- follow the table. ``CORPUS_SIZE`` counts them all.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bad_input_support import check_answer, load_or_refuse, one_triple_store, unchanged
from flask import Flask
from service_support import AUTH, TOKEN, app_over, cli_command, start_server, store_state

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source, rdf_source
from tillvaxtgraf.store.names import GRAPH

LIMIT = 1_048_576  # max_request_bytes (default)
ASK = "ASK { ?s ?p ?o }"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TARGET = GRAPH + "test/hostile"
LISTENER = "http://127.0.0.1:{port}/"  # a loopback socket the test owns; nobody may call


def laughs(levels: int = 10) -> bytes:
    """Billion laughs: each entity is ten of the one before."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">\n'
            f'<rdf:Description rdf:about="http://example.org/a"><ex:p>&lol{levels - 1};'
            '</ex:p></rdf:Description></rdf:RDF>\n').encode()


def quadratic_blowup() -> bytes:
    """One 100 kB entity referenced a thousand times (100 MB) without any nesting."""
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big "{"x" * 100_000}">]>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/a"><ex:p>'
            + "&big;" * 1000 + '</ex:p></rdf:Description></rdf:RDF>\n').encode()


def self_entity() -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY a "&b;"><!ENTITY b "&a;">]>'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/a"><ex:p>&a;</ex:p>'
            '</rdf:Description></rdf:RDF>\n').encode()


def external_entity(target: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{target}">]>'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p>'
            '</rdf:Description></rdf:RDF>\n').encode()


def deep_jsonld(levels: int = 10_000) -> bytes:
    return (b'{"@id": "http://example.org/a", "http://example.org/p": ' * levels
            + b'{"@id": "http://example.org/b"}' + b"}" * levels)


def remote_context(url: str) -> bytes:
    return (f'{{"@context": "{url}ctx.jsonld", "@id": "http://example.org/a", '
            '"name": "x"}').encode()


def nested(levels: int, opening: str = "{", closing: str = "}") -> str:
    return "SELECT * WHERE " + opening * levels + " ?s ?p ?o " + closing * levels


def under_the_limit() -> bytes:
    """A query padded with a comment to just under the request size limit."""
    query = b"SELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n#"
    return query + b"x" * (LIMIT - len(query) - 16) + b"\n"


@dataclass
class Case:
    """One hostile request: ``listener`` marks text holding the owned socket's URL."""

    id: str
    method: str
    path: str
    expected: frozenset[int]
    query: dict[str, str] | str | None = None
    body: bytes | dict[str, str] | Callable[[str], bytes] | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] | None = None


def S(*codes: int) -> frozenset[int]:  # noqa: N802 - reads as a set literal in the table
    return frozenset(codes)


GS_PUT = "/graph-store?graph=" + TARGET
CASES = [
    # -- size limits
    Case("query-over-limit-form", "POST", "/sparql", S(413),
         body={"query": "ASK {}" + " " * LIMIT}),
    Case("query-over-limit-body", "POST", "/sparql", S(413),
         body=b"ASK {}" + b" " * LIMIT, content_type="application/sparql-query"),
    Case("update-over-limit", "POST", "/sparql", S(413), headers=AUTH,
         body=b"CLEAR ALL" + b" " * LIMIT, content_type="application/sparql-update"),
    Case("query-just-under-limit", "POST", "/sparql", S(200), body=under_the_limit(),
         content_type="application/sparql-query"),
    Case("huge-get-query-string", "GET", "/sparql", S(200),
         query={"query": "ASK {}" + " " * (4 * LIMIT)}),
    Case("huge-search-string", "GET", "/api/search", S(200), query={"q": "å" * 200_000}),
    Case("huge-named-query-parameter", "GET", "/api/queries/county_municipalities", S(400),
         query={"county": "x" * 500_000}),
    Case("huge-named-query-text", "GET", "/api/queries/find_entities", S(400),
         query={"text": "ö" * 200_000}),
    # -- deep nesting (thousands of levels crashed the query worker)
    Case("nested-groups-10000", "GET", "/sparql", S(400), query={"query": nested(10_000)}),
    Case("nested-groups-100000-post", "POST", "/sparql", S(400),
         body=nested(100_000).encode(), content_type="application/sparql-query"),
    Case("nested-parentheses-10000", "GET", "/sparql", S(400),
         query={"query": "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"}),
    Case("nested-brackets-5000", "GET", "/sparql", S(400),
         query={"query": "SELECT * WHERE { ?s ?p " + "[ ?p " * 5000 + "?o" + " ]" * 5000
                + " }"}),
    Case("nested-concat-3000", "GET", "/sparql", S(400),
         query={"query": "ASK { BIND(" + "CONCAT(" * 3000 + '"a"' + ',"b")' * 3000
                + " AS ?x) }"}),
    Case("nested-subqueries-3000", "GET", "/sparql", S(400),
         query={"query": "SELECT * WHERE { " + "{ SELECT * WHERE " * 3000 + "{ ?s ?p ?o }"
                + " }" * 3000 + " }"}),
    Case("nested-update-10000", "POST", "/sparql", S(400), headers=AUTH,
         body=("INSERT DATA { GRAPH <http://example.org/g> " + "{" * 10_000
               + " <http://example.org/a> <http://example.org/b> 1 " + "}" * 10_000
               + " }").encode(), content_type="application/sparql-update"),
    Case("nested-groups-200-answered", "GET", "/sparql", S(200),
         query={"query": nested(200)}),
    Case("bind-chain-4000-answered", "POST", "/sparql", S(200),
         body=("SELECT ?v0 WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(4000))
               + " }").encode(), content_type="application/sparql-query"),
    Case("union-chain-5000-answered", "POST", "/sparql", S(200),
         body=("ASK { " + " UNION ".join(["{ ?s a ?t }"] * 5000) + " }").encode(),
         content_type="application/sparql-query"),
    # -- RDF/XML entity expansion, graph store (with the token) and multipart
    Case("billion-laughs-put", "PUT", GS_PUT, S(400), headers=AUTH, body=laughs(),
         content_type="application/rdf+xml"),
    Case("billion-laughs-post", "POST", GS_PUT, S(400), headers=AUTH, body=laughs(),
         content_type="application/rdf+xml"),
    Case("billion-laughs-multipart", "POST", GS_PUT, S(400), headers=AUTH,
         files={"part": (laughs(), "application/rdf+xml")}),
    Case("billion-laughs-new-graph", "POST", "/graph-store", S(400), headers=AUTH,
         body=laughs(), content_type="application/rdf+xml"),
    Case("quadratic-blowup-put", "PUT", GS_PUT, S(400), headers=AUTH,
         body=quadratic_blowup(), content_type="application/rdf+xml"),
    Case("entity-loop-put", "PUT", GS_PUT, S(400), headers=AUTH, body=self_entity(),
         content_type="application/rdf+xml"),
    Case("external-entity-file", "PUT", GS_PUT, S(400), headers=AUTH,
         body=external_entity("file:///etc/passwd"), content_type="application/rdf+xml"),
    Case("external-entity-loopback", "PUT", GS_PUT, S(400), headers=AUTH,
         body=lambda url: external_entity(url + "entity"),
         content_type="application/rdf+xml"),
    Case("billion-laughs-without-token", "PUT", GS_PUT, S(401), body=laughs(),
         content_type="application/rdf+xml"),
    # -- JSON-LD: deep nesting and remote contexts (never fetched)
    Case("deep-jsonld-put", "PUT", GS_PUT, S(400), headers=AUTH, body=deep_jsonld(),
         content_type="application/ld+json"),
    Case("deep-jsonld-multipart", "POST", GS_PUT, S(400), headers=AUTH,
         files={"part": (deep_jsonld(6000), "application/ld+json")}),  # < 500 kB: in memory
    Case("remote-context-put", "PUT", GS_PUT, S(400), headers=AUTH, body=remote_context,
         content_type="application/ld+json"),
    Case("remote-context-multipart", "POST", GS_PUT, S(400), headers=AUTH,
         files={"part": (remote_context, "application/ld+json")}),
    Case("remote-context-import", "PUT", GS_PUT, S(400), headers=AUTH,
         body=lambda url: (f'{{"@context": [{{"@import": "{url}c"}}], '
                           '"@id": "http://example.org/a"}').encode(),
         content_type="application/ld+json"),
    # -- path traversal in graph names and paths
    Case("graph-dotdot", "GET", "/graph-store", S(400), query={"graph": "../../etc/passwd"}),
    Case("graph-dotdot-put", "PUT", "/graph-store", S(400), headers=AUTH,
         query={"graph": "../../etc/passwd"}, body=b"<a:b> <c:d> <e:f> .",
         content_type="application/n-triples"),
    Case("graph-dotdot-delete", "DELETE", "/graph-store", S(400), headers=AUTH,
         query={"graph": "/etc/passwd"}),
    Case("graph-file-iri", "GET", "/graph-store", S(404),
         query={"graph": "file:///etc/passwd"}),
    Case("graph-file-iri-delete", "DELETE", "/graph-store", S(404), headers=AUTH,
         query={"graph": "file:///etc/passwd"}),
    Case("graph-path-encoded-dotdot", "GET", "/graph/..%2f..%2fetc%2fpasswd", S(404)),
    Case("graph-path-dotdot", "GET", "/graph/../../etc/passwd", S(404)),
    Case("id-path-dotdot", "GET", "/id/..%2F..%2F..%2Fetc%2Fpasswd.ttl", S(404)),
    Case("static-dotdot", "GET", "/static/..%2f..%2fcore%2fsettings.py", S(404)),
    Case("resource-file-iri", "GET", "/resource", S(404),
         query={"iri": "file:///etc/passwd"}),
    # -- header injection: CR/LF in values that answers name in headers
    Case("crlf-resource-iri", "GET", "/resource", S(400, 404),
         query={"iri": "https://w3id.org/tillvaxtgraf/id/x\r\nSet-Cookie: a=b"}),
    Case("crlf-resource-redirect", "GET", "/resource", S(303),
         query={"iri": "https://w3id.org/tillvaxtgraf/id/x%0D%0ASet-Cookie:%20a=b"}),
    Case("crlf-id-path", "GET", "/id/x%0d%0aSet-Cookie:%20a=b", S(404)),
    Case("crlf-id-path-ext", "GET", "/id/x%0d%0aLocation:%20http:%2f%2fevil.ttl", S(404)),
    Case("crlf-graph-store-name", "GET", "/graph-store", S(400),
         query={"graph": "http://example.org/g\r\nSet-Cookie: a=b"}),
    Case("crlf-format", "GET", "/ontology", S(406),
         query={"format": "ttl\r\nSet-Cookie: a=b"}),
    Case("crlf-suggest", "GET", "/api/suggest", S(200), query={"q": "a\r\nSet-Cookie: a=b"}),
    Case("crlf-named-query-format", "GET", "/api/queries/arenas", S(400),
         query={"format": "csv\r\nSet-Cookie: a=b"}),
    # -- invalid UTF-8 and NUL bytes
    Case("bad-utf8-query-string", "GET", "/sparql", S(400), query="query=%ff%fe%80ASK"),
    Case("bad-utf8-resource-iri", "GET", "/resource", S(400, 404),
         query="iri=http%3A%2F%2Fexample.org%2F%ff%fe"),
    Case("bad-utf8-search", "GET", "/api/search", S(200, 400), query="q=%ff%fe%c3"),
    Case("bad-utf8-query-body", "POST", "/sparql", S(400), body=b"ASK { \xff\xfe }",
         content_type="application/sparql-query"),
    Case("bad-utf8-form", "POST", "/sparql", S(400), body=b"query=ASK%20%7B%ff%7D",
         content_type="application/x-www-form-urlencoded"),
    Case("bad-utf8-update-body", "POST", "/sparql", S(400), headers=AUTH,
         body=b'INSERT DATA { <http://example.org/a> <http://example.org/b> "\xff" }',
         content_type="application/sparql-update"),
    Case("bad-utf8-turtle-put", "PUT", GS_PUT, S(400), headers=AUTH,
         body=b'<http://example.org/a> <http://example.org/b> "\xff\xfe" .',
         content_type="text/turtle"),
    Case("latin1-charset-query", "POST", "/sparql", S(415), body="ASK { }".encode("latin-1"),
         content_type="application/sparql-query; charset=latin-1"),
    Case("nul-in-query", "GET", "/sparql", S(400), query={"query": "ASK \x00 { }"}),
    Case("nul-in-iri", "GET", "/resource", S(400, 404),
         query={"iri": "http://example.org/\x00"}),
    Case("nul-in-turtle", "PUT", GS_PUT, S(400), headers=AUTH,
         body=b'<http://example.org/a\x00> <http://example.org/b> "c" .',
         content_type="text/turtle"),
    Case("nul-in-search", "GET", "/api/search", S(200, 400), query={"q": "\x00\x00"}),
    # -- overlong and odd headers
    Case("overlong-accept", "GET", "/sparql", S(200, 406), query={"query": ASK},
         headers={"Accept": "text/html;q=0.1," * 60_000 + "application/json"}),
    Case("overlong-accept-resource", "GET", "/ontology", S(200, 406),
         headers={"Accept": ",".join(["x/y;q=0.5"] * 50_000)}),
    Case("overlong-accept-language", "GET", "/", S(200),
         headers={"Accept-Language": "sv;q=0.1," * 50_000}),
    Case("overlong-authorization", "POST", "/sparql", S(403),
         headers={"Authorization": "Bearer " + "x" * 500_000}, body={"update": "CLEAR ALL"}),
    # -- SERVICE and LOAD: to loopback and file: URLs
    Case("service-loopback", "GET", "/sparql", S(403),
         query={"query": "SELECT * WHERE { SERVICE <{listener}> { ?s ?p ?o } }"}),
    Case("service-silent-loopback", "GET", "/sparql", S(403),
         query={"query": "SELECT * WHERE { SERVICE SILENT <{listener}> { ?s ?p ?o } }"}),
    Case("service-escaped-loopback", "GET", "/sparql", S(403),
         query={"query": "SELECT * WHERE { SERVICE <\\u0068ttp://127.0.0.1:{port}/> "
                         "{ ?s ?p ?o } }"}),
    Case("service-prefixed-loopback", "GET", "/sparql", S(403),
         query={"query": "PREFIX x: <{listener}> SELECT * WHERE { SERVICE x:q { ?s ?p ?o } }"}),
    Case("service-file", "GET", "/sparql", S(403),
         query={"query": "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }"}),
    Case("load-loopback", "POST", "/sparql", S(403), headers=AUTH,
         body={"update": "LOAD <{listener}data.ttl>"}),
    Case("load-file", "POST", "/sparql", S(403), headers=AUTH,
         body={"update": "LOAD <file:///etc/passwd> INTO GRAPH <http://example.org/g>"}),
    Case("load-silent-file", "POST", "/sparql", S(403), headers=AUTH,
         body={"update": "LOAD SILENT <file:///etc/hostname>"}),
    Case("load-without-token", "POST", "/sparql", S(401),
         body={"update": "LOAD <{listener}data.ttl>"}),
]


@pytest.fixture(scope="module")
def hostile_store(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory,
                  copy_store) -> Path:
    return copy_store(bundled_store_path, tmp_path_factory.mktemp("hostile") / "store")


@pytest.fixture(scope="module")
def hostile_app(hostile_store: Path) -> Iterator[Flask]:
    with app_over(hostile_store, write_token=TOKEN, query_time_limit=20.0) as built:
        yield built


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A loopback socket nothing may connect to: any connection is a fetch we forbid."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def nobody_called(sock: socket.socket) -> None:
    try:
        conn, peer = sock.accept()
    except BlockingIOError:
        return
    conn.close()
    pytest.fail(f"something connected to the test's socket from {peer}")


def _fill(value: object, url: str, port: int) -> object:
    if callable(value):
        return value(url)
    if isinstance(value, str):
        return value.replace("{listener}", url).replace("{port}", str(port))
    if isinstance(value, dict):
        return {k: _fill(v, url, port) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request(hostile_app: Flask, hostile_store: Path, listener: socket.socket,
                         case: Case) -> None:
    port = listener.getsockname()[1]
    url = LISTENER.format(port=port)
    store = hostile_app.extensions["tillvaxtgraf.store"]
    before, died_before = store_state(hostile_store), store.pool.discarded
    kwargs: dict[str, object] = {"headers": case.headers}
    if case.query is not None:
        kwargs["query_string"] = _fill(case.query, url, port)
    if case.files is not None:
        kwargs["data"] = {name: (_make(data, url), f"{name}.rdf", mimetype)
                          for name, (data, mimetype) in case.files.items()}
        kwargs["content_type"] = "multipart/form-data"
    elif case.body is not None:
        kwargs["data"] = _fill(case.body, url, port)
        if case.content_type:
            kwargs["content_type"] = case.content_type
    response = hostile_app.test_client().open(case.path, method=case.method, **kwargs)
    check_answer(response, case.expected)
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
    assert "Set-Cookie" not in response.headers
    assert store.pool.discarded == died_before, "a query worker died or was stopped"
    nobody_called(listener)
    unchanged(hostile_store, before)


def _make(data: bytes | Callable[[str], bytes], url: str) -> object:
    import io

    return io.BytesIO(data(url) if callable(data) else data)


# -- the loader and the CLI ------------------------------------------------------------

LOADER_CASES = {
    "billion-laughs.rdf": laughs(),
    "quadratic-blowup.rdf": quadratic_blowup(),
    "entity-loop.rdf": self_entity(),
    "external-entity.rdf": external_entity("file:///etc/passwd"),
    "deep.jsonld": deep_jsonld(),
    "remote-context.jsonld": remote_context,
    "bad-utf8.ttl": b'<http://example.org/a> <http://example.org/b> "\xff" .\n',
    "nul.nt": b'<http://example.org/a> <http://example.org/b> "\x00\n',
    "bad-utf8.nt": b'<http://example.org/\xff> <http://example.org/b> "c" .\n',
    "unclosed.ttl": b"@prefix ex: <http://example.org/> .\nex:a ex:b " + b"[ ex:c " * 50_000,
}


@pytest.fixture(scope="module")
def loader_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return one_triple_store(tmp_path_factory.mktemp("hostile-loads"))


@pytest.mark.parametrize("name", sorted(LOADER_CASES))
def test_hostile_files_through_the_loader(loader_root: Path, listener: socket.socket,
                                          name: str) -> None:
    url = LISTENER.format(port=listener.getsockname()[1])
    data = LOADER_CASES[name]
    path = loader_root / name
    path.write_bytes(data(url) if callable(data) else data)
    assert load_or_refuse(loader_root / "store", path, TARGET) is not None, name
    nobody_called(listener)


def test_hostile_csv_through_the_loader(loader_root: Path) -> None:
    """A table with invalid UTF-8, a NUL and an IRI cell with CR/LF: refused row by row."""
    (loader_root / "t.mapping.toml").write_text(
        '[source]\nfile = "t.csv"\ngraph = "' + TARGET + '"\n\n[[entities]]\n'
        'iri = "https://w3id.org/tillvaxtgraf/id/project/{id}"\n'
        '[[entities.properties]]\npredicate = "rdfs:label"\ncolumn = "namn"\n'
        '[[entities.properties]]\npredicate = "rdfs:seeAlso"\ncolumn = "web"\nkind = "iri"\n',
        encoding="utf-8")
    (loader_root / "t.csv").write_bytes(
        b'id,namn,web\np1,ok,http://example.org/\np2,"\xff\xfe",http://example.org/\n'
        b'p3,"a\x00b","http://example.org/\r\nx"\n')
    before = store_state(loader_root / "store")
    with pytest.raises(LoadError) as caught:
        load_sources(loader_root / "store", [csv_source(loader_root / "t.mapping.toml")],
                     progress=False)
    assert caught.value.source == str(loader_root / "t.csv")
    assert caught.value.line is not None
    unchanged(loader_root / "store", before)


@pytest.mark.parametrize("name", ["billion-laughs.rdf", "deep.jsonld", "bad-utf8.ttl"])
def test_hostile_files_through_the_cli(loader_root: Path, tmp_path: Path, name: str) -> None:
    data = LOADER_CASES[name]
    assert isinstance(data, bytes)
    path = tmp_path / name
    path.write_bytes(data)
    before = store_state(loader_root / "store")
    done = subprocess.run([*cli_command(), "--store", str(loader_root / "store"), "load",
                           str(path), "--graph", TARGET],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"error: {path}"), done.stderr
    assert "Traceback" not in done.stderr
    unchanged(loader_root / "store", before)


def test_legitimate_entities_still_load(tmp_path: Path) -> None:
    """The entity check refuses expansion, not entities: namespace entities load."""
    path = tmp_path / "ok.rdf"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ex '
                    f'"http://example.org/">]>\n<rdf:RDF xmlns:rdf="{RDF_NS}" '
                    'xmlns:ex="http://example.org/"><rdf:Description rdf:about="&ex;a">'
                    '<ex:p rdf:resource="&ex;b"/></rdf:Description></rdf:RDF>\n',
                    encoding="utf-8")
    report = load_sources(tmp_path / "store", [rdf_source(path, graph=TARGET)],
                          progress=False)
    assert [g.triples for g in report.graphs if g.graph == TARGET] == [1]


# -- raw bytes over real HTTP (gunicorn) -----------------------------------------------

RAW_REQUESTS = {
    "request-line-over-gunicorn-limit": (
        b"GET /sparql?query=" + b"A" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400, 414}),
    "crlf-in-request-target": (
        b"GET /resource?iri=http://a/\r\nSet-Cookie: a=b HTTP/1.1\r\nHost: x\r\n\r\n",
        {400}),
    "nul-in-request-target": (b"GET /id/\x00 HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    "raw-invalid-utf8-target": (b"GET /id/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    "overlong-accept-header": (
        b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: " + b"a/b," * 10_000
        + b"\r\n\r\n", {400, 431}),
    "body-over-limit-chunked": (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % (LIMIT + 10) + b" " * (LIMIT + 10)
        + b"\r\n0\r\n\r\n", {413}),
    "form-over-limit-chunked": (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n" + b"%x\r\n" % (LIMIT + 20) + b"query=ASK%7B%7D" + b"+" * (LIMIT + 5)
        + b"\r\n0\r\n\r\n", {413}),
    "body-under-limit-chunked": (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % (LIMIT - 10) + b"ASK {}"
        + b" " * (LIMIT - 16) + b"\r\n0\r\n\r\n", {200}),
}


def raw_request(port: int, data: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(data)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_raw_hostile_requests_over_http(hostile_store: Path, tmp_path: Path) -> None:
    import requests

    server = start_server(hostile_store, tmp_path / "logs", workers=1, threads=2)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        for name, (data, expected) in RAW_REQUESTS.items():
            status = raw_request(port, data)
            assert status in expected, (name, status, server.log()[-2000:])
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        assert "Traceback" not in server.log()
    finally:
        server.stop()


CORPUS_SIZE = len(CASES) + len(LOADER_CASES) + 1 + 3 + len(RAW_REQUESTS)
