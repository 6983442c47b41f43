"""Property-based bad input: whatever a client or a file holds, the answer is a clear
4xx (or a good answer), never a 5xx, a traceback or a path; and the store is unchanged.

Everything that parses outside input is fed generated input through the real parts: the
Flask app over a copy of the bundled data (real query workers), the CSV mapping loader
and the RDF loader into real store folders. Examples are few per test (the suite stays
lean) and derandomized, so a failure reproduces.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from bad_input_support import check_answer, load_or_refuse, one_triple_store, unchanged
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_support import TOKEN, app_over, store_state

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source, rdf_source
from tillvaxtgraf.queries.catalog import load_catalog
from tillvaxtgraf.store.names import GRAPH, SHAPES_GRAPH

EXAMPLES = 40
FEW = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
               suppress_health_check=list(HealthCheck))

@pytest.fixture(scope="module")
def store_copy(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory,
               copy_store) -> Path:
    """A private copy of the bundled store for this module."""
    return copy_store(bundled_store_path, tmp_path_factory.mktemp("bad") / "store")


@pytest.fixture(scope="module")
def public_app(store_copy: Path) -> Iterator[Flask]:
    """The public configuration: no write token."""
    with app_over(store_copy, query_time_limit=10.0) as built:
        yield built


@pytest.fixture(scope="module")
def writable_app(store_copy: Path) -> Iterator[Flask]:
    """The same store with writes enabled: bad writes must still change nothing."""
    with app_over(store_copy, write_token=TOKEN, query_time_limit=10.0) as built:
        yield built



# -- strategies -----------------------------------------------------------------------

# Any text but lone surrogates (they cannot be sent as UTF-8; invalid UTF-8 bytes are
# sent as raw bytes instead).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
RAW = st.binary(max_size=60)
SPARQL_BITS = [
    "SELECT", "*", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o", "$x", ".", ";",
    ",", "a", "<http://example.org/x>", "<>", "<", ">", "ex:", "PREFIX", "ex:",
    "<http://example.org/>", "FILTER", "REGEX", "BIND", "AS", "UNION", "OPTIONAL", "GRAPH",
    "SERVICE", "LOAD", "INSERT", "DATA", "DELETE", "CLEAR", "ALL", "DROP", "ASK",
    "CONSTRUCT", "DESCRIBE", "LIMIT", "1", "OFFSET", "-1", "999999999999999999999",
    '"x"', "'''", '"""', "@sv", "^^", "xsd:integer", "#", "\n", "FROM", "NAMED",
    "COUNT", "GROUP BY", "ORDER BY", "VALUES", "UNDEF", "\\u0041", "\x00", "\ufffd",
]
SPARQL = st.one_of(
    st.lists(st.sampled_from(SPARQL_BITS) | TEXT, max_size=25).map(" ".join),
    TEXT,
)
# What can sit in an HTTP header value (latin-1, no CR/LF/NUL: the client refuses those).
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    blacklist_characters="\x7f"), max_size=120)
ACCEPT = st.one_of(
    HEADER_TEXT,
    st.lists(st.sampled_from([
        "text/html", "application/json", "*/*", "text/*", "application/sparql-results+json",
        "text/turtle", "application/ld+json", "image/png", "q=0", ";q=0.5", ";q=abc",
        ";q=-1", ";q=1e9", ",", ";", "/", "*", "application/rdf+xml;q=0.9",
    ]), max_size=8).map("".join),
)
IRI_LIKE = st.one_of(
    TEXT,
    st.builds(lambda scheme, rest: f"{scheme}:{rest}",
              st.sampled_from(["http", "https", "urn", "file", "javascript", "data", "x"]),
              TEXT),
    st.builds(lambda rest: "https://w3id.org/tillvaxtgraf/id/" + rest, TEXT),
)


def raw_query(params: dict[str, object]) -> str:
    """A query string from text or raw bytes (raw bytes may be invalid UTF-8)."""
    parts = []
    for name, value in params.items():
        if isinstance(value, bytes):
            parts.append(f"{quote(name)}={quote_from_bytes(value)}")
        else:
            parts.append(urlencode({name: value}))
    return "&".join(parts)


# -- the SPARQL protocol --------------------------------------------------------------


@FEW
@given(query=SPARQL | RAW, default=st.none() | IRI_LIKE, named=st.none() | IRI_LIKE,
       fmt=st.none() | TEXT, accept=st.none() | ACCEPT)
def test_sparql_query_parameters(public_app, query, default, named, fmt, accept) -> None:
    params: dict[str, object] = {"query": query}
    for key, value in (("default-graph-uri", default), ("named-graph-uri", named),
                       ("format", fmt)):
        if value is not None:
            params[key] = value
    headers = {"Accept": accept} if accept is not None else {}
    client = public_app.test_client()
    check_answer(client.get("/sparql", query_string=raw_query(params), headers=headers))
    if isinstance(query, str):
        body = query.encode("utf-8")
        check_answer(client.post("/sparql", data=body, headers=headers,
                                 content_type="application/sparql-query"))
        check_answer(client.post("/sparql", data=params, headers=headers))
    else:
        check_answer(client.post("/sparql", data=query, headers=headers,
                                 content_type="application/sparql-query"))


@FEW
@given(update=SPARQL | RAW, auth=st.none() | HEADER_TEXT)
def test_updates_without_the_token_change_nothing(writable_app, store_copy, update,
                                                  auth) -> None:
    before = store_state(store_copy)
    headers = {"Authorization": auth} if auth is not None else {}
    client = writable_app.test_client()
    if isinstance(update, str):
        answers = [client.post("/sparql", data={"update": update}, headers=headers),
                   client.post("/sparql", data=update.encode("utf-8"), headers=headers,
                               content_type="application/sparql-update")]
    else:
        answers = [client.post("/sparql", data=update, headers=headers,
                               content_type="application/sparql-update")]
    for response in answers:
        check_answer(response, frozenset({400, 401, 403, 415}))
    unchanged(store_copy, before)


# -- named queries --------------------------------------------------------------------

CATALOG = load_catalog()
VALUE = st.one_of(TEXT, st.integers().map(str), st.sampled_from(
    ["", "2020", "-1", "1e400", "NaN", "true", "https://w3id.org/tillvaxtgraf/id/x",
     "<http://x>", '"', "\\", "\x00", "0" * 400, "SELECT * WHERE { ?s ?p ?o }"]))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def named_query_request(draw: st.DrawFn) -> tuple[str, dict[str, str], object]:
    name = draw(st.sampled_from(sorted(CATALOG)) | TEXT.filter(lambda t: "/" not in t))
    known = [p.name for p in CATALOG[name].parameters] if name in CATALOG else []
    keys = draw(st.lists(st.sampled_from([*known, "format", "limit"]) | TEXT, max_size=4))
    params = {key: draw(VALUE) for key in keys}
    body = draw(st.dictionaries(st.sampled_from([*known, "x"]) | TEXT, JSON_VALUE,
                                max_size=3) | JSON_VALUE)
    return name, params, body


@FEW
@given(asked=named_query_request(), accept=st.none() | ACCEPT)
def test_named_query_parameters(public_app, asked, accept) -> None:
    name, params, body = asked
    headers = {"Accept": accept} if accept is not None else {}
    client = public_app.test_client()
    path = "/api/queries/" + quote(name, safe="")
    check_answer(client.get(path, query_string=params, headers=headers))
    check_answer(client.post(path, data=json.dumps(body), headers=headers,
                             content_type="application/json"))
    check_answer(client.get("/queries/" + quote(name, safe=""), query_string=params))


# -- linked data ----------------------------------------------------------------------


@FEW
@given(iri=IRI_LIKE | RAW, ext=st.sampled_from(["", ".ttl", ".html", ".jsonld", ".rdf",
                                                 ".nt", ".exe"]),
       fmt=st.none() | TEXT, lang=st.none() | TEXT, accept=st.none() | ACCEPT,
       accept_language=st.none() | HEADER_TEXT)
def test_resource_iris(public_app, iri, ext, fmt, lang, accept, accept_language) -> None:
    params: dict[str, object] = {"iri": iri}
    if fmt is not None:
        params["format"] = fmt
    if lang is not None:
        params["lang"] = lang
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    client = public_app.test_client()
    check_answer(client.get("/resource" + ext, query_string=raw_query(params),
                            headers=headers))


@FEW
@given(prefix=st.sampled_from(["/id/", "/graph/", "/ontology/"]),
       rest=st.lists(TEXT | RAW, min_size=1, max_size=4),
       accept=st.none() | ACCEPT)
def test_minted_paths(public_app, prefix, rest, accept) -> None:
    segments = [quote_from_bytes(s) if isinstance(s, bytes) else quote(s, safe="")
                for s in rest]
    headers = {"Accept": accept} if accept is not None else {}
    client = public_app.test_client()
    check_answer(client.get(prefix + "/".join(segments), headers=headers))


@FEW
@given(graph=IRI_LIKE | RAW, accept=st.none() | ACCEPT,
       method=st.sampled_from(["GET", "HEAD", "DELETE", "PUT", "POST"]))
def test_graph_store_graph_names(public_app, store_copy, graph, accept, method) -> None:
    before = store_state(store_copy)
    headers = {"Accept": accept} if accept is not None else {}
    client = public_app.test_client()
    response = client.open("/graph-store", method=method, headers=headers,
                           query_string=raw_query({"graph": graph}), data=b"<a:b> <c:d> <e:f> .",
                           content_type="application/n-triples")
    check_answer(response)
    if method not in ("GET", "HEAD"):
        assert response.status_code in (400, 401, 403), response.get_data()
    unchanged(store_copy, before)


# -- search ---------------------------------------------------------------------------


@FEW
@given(text=TEXT | RAW, other=TEXT | IRI_LIKE, lang=st.none() | TEXT,
       limit=st.none() | TEXT | st.integers().map(str),
       kind=st.none() | TEXT | st.sampled_from(["project", "actor", "other"]),
       max_length=st.none() | TEXT | st.integers().map(str))
def test_search_strings(public_app, text, other, lang, limit, kind, max_length) -> None:
    extra = {k: v for k, v in (("lang", lang), ("limit", limit), ("kind", kind))
             if v is not None}
    client = public_app.test_client()
    for path in ("/api/search", "/api/suggest", "/"):
        check_answer(client.get(path, query_string=raw_query({"q": text, **extra})))
    pair = {"from": text, "to": other}
    if max_length is not None:
        pair["max_length"] = max_length
    for path in ("/api/connections", "/connections"):
        check_answer(client.get(path, query_string=raw_query({**pair, **extra})))
    check_answer(client.get("/api/neighbourhood", query_string=raw_query({"iri": text,
                                                                        **extra})))


# -- CSV cells through the mapping loader ---------------------------------------------

TABLE_GRAPH = GRAPH + "test/bad-cells"
SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
<https://w3id.org/tillvaxtgraf/shapes#P> a sh:NodeShape ; sh:targetClass tg:Project .
"""
MAPPING = """\
[source]
file = "cells.csv"
graph = "{graph}"

[[entities]]
iri = "https://w3id.org/tillvaxtgraf/id/project/{id}"
types = ["tg:Project"]

[[entities.properties]]
predicate = "skos:prefLabel"
column = "namn"
lang = "sv"

[[entities.properties]]
predicate = "tg:amount"
column = "belopp"
datatype = "xsd:decimal"

[[entities.properties]]
predicate = "tg:startDate"
column = "start"
datatype = "xsd:date"

[[entities.properties]]
predicate = "tg:inCounty"
template = "https://w3id.org/tillvaxtgraf/id/county/{lan}"
kind = "iri"
""".replace("{graph}", TABLE_GRAPH)
HEADER = ["id", "namn", "belopp", "start", "lan"]
CELL = st.one_of(TEXT, RAW, st.sampled_from(
    ["", "1 234,5", "1e5", "-0", "2024-02-30", "2024-13-01", "p 1", "<x>", '"', "\\",
     "\x00", "\r", "\n", ",", "ä" * 300]))


@pytest.fixture(scope="module")
def table_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cells")
    (root / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    (root / "cells.mapping.toml").write_text(MAPPING, encoding="utf-8")
    (root / "cells.csv").write_text(",".join(HEADER) + "\np1,Ett,1,2020-01-01,07\n",
                                    encoding="utf-8")
    load_sources(root / "store", [rdf_source(root / "shapes.ttl", graph=SHAPES_GRAPH,
                                             kind="shapes"),
                                  csv_source(root / "cells.mapping.toml")], progress=False)
    return root


def _csv_cell(cell: str | bytes) -> bytes:
    text = cell.encode("utf-8") if isinstance(cell, str) else cell
    return b'"' + text.replace(b'"', b'""') + b'"'


@FEW
@given(row=st.lists(CELL, min_size=5, max_size=5), column=st.integers(0, 4))
def test_csv_cells_load_or_name_file_row_and_column(table_store, row, column) -> None:
    root = table_store
    table = root / "cells.csv"
    cells = [b"p2", b"Tv\xc3\xa5", b"2", b"2021-01-01", b"08"]
    cells[column] = _csv_cell(row[column])
    if column != 1:
        cells[1] = _csv_cell(row[1])
    table.write_bytes(",".join(HEADER).encode() + b"\n" + b",".join(cells) + b"\n")
    before = store_state(root / "store")
    try:
        load_sources(root / "store", [csv_source(root / "cells.mapping.toml")],
                     progress=False)
    except LoadError as exc:
        unchanged(root / "store", before)
        assert exc.source == str(table), exc
        assert exc.line is not None, exc
        assert exc.message.strip()
        text = str(exc)
        assert "Traceback" not in text


# -- RDF files through the loader -----------------------------------------------------

SEEDS = {
    "turtle": ('@prefix ex: <http://example.org/> .\nex:a ex:p "x"@sv ; ex:q ( 1 2.5 ) ;\n'
               '  ex:r [ ex:s ex:b ] .\n', ".ttl"),
    "ntriples": ('<http://example.org/a> <http://example.org/p> "x\\u00e4"@sv .\n'
                 '_:b <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#int> .\n',
                 ".nt"),
    "rdfxml": ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
               'syntax-ns#" xmlns:ex="http://example.org/">\n<rdf:Description rdf:about='
               '"http://example.org/a"><ex:p xml:lang="sv">x</ex:p><ex:q rdf:resource='
               '"http://example.org/b"/></rdf:Description>\n</rdf:RDF>\n', ".rdf"),
    "jsonld": ('{"@context": {"ex": "http://example.org/"}, "@id": "ex:a", '
               '"ex:p": [{"@value": "x", "@language": "sv"}, {"@id": "ex:b"}]}\n', ".jsonld"),
}


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> bytes:
    """The seed document with a few bytes deleted, replaced or inserted; or random bytes."""
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(max_size=200))
    data = bytearray(seed.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "replace", "insert"]))
        piece = draw(st.binary(min_size=1, max_size=4) | st.sampled_from(
            [b"<", b">", b'"', b"{", b"}", b"[", b"]", b"(", b")", b".", b"@", b"\\", b"\x00",
             b"\xff", b"&", b";", b"#", b"_:", b"\n"]))
        if action == "delete":
            del data[at:at + len(piece)]
        elif action == "replace":
            data[at:at + len(piece)] = piece
        else:
            data[at:at] = piece
    return bytes(data)


@pytest.fixture(scope="module")
def rdf_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return one_triple_store(tmp_path_factory.mktemp("rdf-files"))


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_rdf_files_load_or_fail_cleanly(rdf_store: Path, name: str) -> None:
    seed, suffix = SEEDS[name]

    @FEW
    @given(data=mutated(seed))
    def load_one(data: bytes) -> None:
        path = rdf_store / f"upload{suffix}"
        path.write_bytes(data)
        load_or_refuse(rdf_store / "store", path, GRAPH + "test/" + name)

    load_one()

