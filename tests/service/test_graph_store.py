"""``/graph-store`` beyond the W3C suite: formats, tokens, errors, caching, atomicity.

Every write is checked against the store folder itself: after a refused or failed
request, ``CURRENT`` and a full N-Quads dump are exactly what they were before.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from rdflib import Literal, URIRef
from service_support import AUTH, EX, OTHER_GRAPH, SMALL_GRAPH, app_over, store_state
from w3c_answers import media_type, rdf_answer, tabular_answer

GSP = "/graph-store"
NEW = EX + "graph/new"
TURTLE = '@prefix ex: <http://example.org/> .\nex:zed a ex:Person ; ex:name "Zed"@en .\n'
SAME_GRAPH = {
    "text/turtle": TURTLE,
    "application/n-triples": (
        "<http://example.org/zed> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://example.org/Person> .\n"
        '<http://example.org/zed> <http://example.org/name> "Zed"@en .\n'
    ),
    "application/rdf+xml": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/">\n'
        '  <ex:Person rdf:about="http://example.org/zed"><ex:name xml:lang="en">Zed</ex:name>'
        "</ex:Person>\n</rdf:RDF>\n"
    ),
    "application/ld+json": (
        '{"@id": "http://example.org/zed", "@type": "http://example.org/Person", '
        '"http://example.org/name": {"@value": "Zed", "@language": "en"}}'
    ),
}


def target(graph: str | None) -> str:
    return f"{GSP}?default" if graph is None else f"{GSP}?graph={quote(graph, safe='')}"


def put(client: FlaskClient, graph: str | None, body: str,
        content_type: str = "text/turtle", headers: dict | None = None):
    return client.put(target(graph), data=body.encode("utf-8"), content_type=content_type,
                      headers=AUTH if headers is None else headers)


def triples(client: FlaskClient, graph: str | None, accept: str = "text/turtle"):
    response = client.get(target(graph), headers={"Accept": accept})
    assert response.status_code == 200, response.get_data(as_text=True)
    return rdf_answer(response.headers["Content-Type"], response.get_data())


# -- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples",
                                    "application/rdf+xml", "application/ld+json",
                                    "application/n-quads", "application/trig"])
def test_get_a_graph_in_every_format(shared_client: FlaskClient, accept: str) -> None:
    response = shared_client.get(target(SMALL_GRAPH), headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response.headers["Content-Type"]) == accept
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert len(graph) == 8
    assert (URIRef(EX + "bob"), URIRef(EX + "age"), Literal(42)) in graph


def test_reading_is_open_and_writing_is_not_on_the_public_service(
        readonly_client: FlaskClient, public_store: Path) -> None:
    rows = readonly_client.get("/sparql?query=" + quote(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"))
    graph = tabular_answer(rows.headers["Content-Type"], rows.get_data())[1][0]["g"]
    assert readonly_client.get(target(graph)).status_code == 200
    assert readonly_client.head(target(graph)).status_code == 200
    before = store_state(public_store)
    for method in ("PUT", "POST", "DELETE"):
        response = readonly_client.open(target(graph), method=method, data=TURTLE.encode(),
                                        content_type="text/turtle", headers=AUTH)
        assert response.status_code == 403, method
        assert "read-only" in response.get_data(as_text=True)
    assert store_state(public_store) == before


def test_unknown_graph_is_404_and_bad_targets_are_400(shared_client: FlaskClient) -> None:
    response = shared_client.get(target(EX + "graph/none"))
    assert response.status_code == 404
    assert "graph <http://example.org/graph/none>" in response.get_data(as_text=True)
    for path, words in (
        (GSP, "?graph=IRI"),
        (f"{GSP}?default&graph={quote(SMALL_GRAPH)}", "not both"),
        (f"{GSP}?graph=relative/iri", "absolute IRI"),
        (f"{GSP}?graph={quote(SMALL_GRAPH)}&graph={quote(OTHER_GRAPH)}", "once"),
    ):
        response = shared_client.get(path)
        assert response.status_code == 400, path
        assert words in response.get_data(as_text=True)


def test_get_406_when_no_rdf_format_fits(shared_client: FlaskClient) -> None:
    response = shared_client.get(target(SMALL_GRAPH), headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_etag_304_and_new_etag_after_a_put(small_client: FlaskClient) -> None:
    first = small_client.get(target(SMALL_GRAPH))
    etag = first.headers["ETag"]
    assert small_client.get(target(SMALL_GRAPH),
                            headers={"If-None-Match": etag}).status_code == 304
    assert put(small_client, SMALL_GRAPH, TURTLE).status_code == 204
    after = small_client.get(target(SMALL_GRAPH), headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_cors_and_preflight(shared_client: FlaskClient) -> None:
    assert shared_client.get(target(SMALL_GRAPH)).headers["Access-Control-Allow-Origin"] == "*"
    preflight = shared_client.options(target(SMALL_GRAPH), headers={
        "Origin": "https://example.net", "Access-Control-Request-Method": "PUT"})
    assert preflight.status_code == 204
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert "DELETE" in preflight.headers["Allow"]


# -- writing -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", list(SAME_GRAPH))
def test_put_in_every_upload_format(client: FlaskClient, content_type: str) -> None:
    response = put(client, NEW, SAME_GRAPH[content_type], content_type)
    assert response.status_code == 201, response.get_data(as_text=True)
    graph = triples(client, NEW)
    assert len(graph) == 2
    assert (URIRef(EX + "zed"), URIRef(EX + "name"), Literal("Zed", lang="en")) in graph


def test_put_replaces_post_adds_delete_removes(small_client: FlaskClient) -> None:
    assert put(small_client, SMALL_GRAPH, TURTLE).status_code == 204  # existed: replaced
    assert len(triples(small_client, SMALL_GRAPH)) == 2
    more = "<http://example.org/zed> <http://example.org/age> 7 ."
    response = small_client.post(target(SMALL_GRAPH), data=more, content_type="text/turtle",
                                 headers=AUTH)
    assert response.status_code == 204
    assert len(triples(small_client, SMALL_GRAPH)) == 3
    assert small_client.delete(target(SMALL_GRAPH), headers=AUTH).status_code == 204
    assert small_client.get(target(SMALL_GRAPH)).status_code == 404
    assert small_client.delete(target(SMALL_GRAPH), headers=AUTH).status_code == 404
    # The other graph is untouched, and the union no longer has the people.
    assert len(triples(small_client, OTHER_GRAPH)) == 2
    ask = quote("ASK { ?p a <http://example.org/Person> }")
    response = small_client.get("/sparql?query=" + ask)
    assert response.get_json()["boolean"] is False


def test_post_to_the_store_creates_a_graph_with_a_location(client: FlaskClient) -> None:
    response = client.post(GSP, data=TURTLE, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.startswith("https://w3id.org/tillvaxtgraf/graph/")
    assert len(triples(client, location)) == 2


def test_default_graph_put_get_delete(client: FlaskClient) -> None:
    assert put(client, None, TURTLE).status_code == 204
    assert len(triples(client, None)) == 2
    assert client.delete(target(None), headers=AUTH).status_code == 204
    assert len(triples(client, None)) == 0


def test_written_graph_is_visible_to_sparql(client: FlaskClient) -> None:
    put(client, NEW, TURTLE)
    for query in ("ASK { <http://example.org/zed> ?p ?o }",
                  f"ASK {{ GRAPH <{NEW}> {{ <http://example.org/zed> ?p ?o }} }}"):
        assert client.get("/sparql?query=" + quote(query)).get_json()["boolean"] is True


# -- refused and failed writes change nothing --------------------------------------------


@pytest.mark.parametrize(("headers", "status", "words"), [
    ({}, 401, "bearer token"),
    ({"Authorization": "Bearer wrong-token"}, 403, "not valid"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "Bearer scheme"),
])
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_without_the_right_token(small_client: FlaskClient, small_store: Path,
                                        headers: dict, status: int, words: str,
                                        method: str) -> None:
    before = store_state(small_store)
    response = small_client.open(target(SMALL_GRAPH), method=method, data=TURTLE.encode(),
                                 content_type="text/turtle", headers=headers)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert store_state(small_store) == before


def test_bad_rdf_is_400_with_line_and_column_and_changes_nothing(
        small_client: FlaskClient, small_store: Path) -> None:
    before = store_state(small_store)
    bad = '@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e "unclosed .\n'
    response = small_client.put(target(SMALL_GRAPH), data=bad, content_type="text/turtle",
                                headers={**AUTH, "Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["line"] == 3 and body["column"] >= 1
    assert store_state(small_store) == before


def test_unsupported_upload_type_is_415_and_changes_nothing(
        small_client: FlaskClient, small_store: Path) -> None:
    before = store_state(small_store)
    response = small_client.put(target(SMALL_GRAPH), data=b"a,b\n1,2\n",
                                content_type="text/csv", headers=AUTH)
    assert response.status_code == 415
    assert "text/csv" in response.get_data(as_text=True)
    assert store_state(small_store) == before


def test_upload_over_the_limit_is_413_and_changes_nothing(small_store: Path) -> None:
    with app_over(small_store, write_token="t", max_upload_bytes=1000) as app:
        client = app.test_client()
        before = store_state(small_store)
        big = "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n"
                      for i in range(100))
        response = client.put(target(SMALL_GRAPH), data=big,
                              content_type="application/n-triples",
                              headers={"Authorization": "Bearer t"})
        assert response.status_code == 413
        assert "1000 bytes" in response.get_data(as_text=True) or \
            "larger than" in response.get_data(as_text=True)
        assert store_state(small_store) == before


def test_multipart_with_a_non_rdf_part_is_415_and_changes_nothing(
        small_client: FlaskClient, small_store: Path) -> None:
    before = store_state(small_store)
    from io import BytesIO

    response = small_client.post(target(SMALL_GRAPH), headers=AUTH, data={
        "a.ttl": (BytesIO(TURTLE.encode()), "a.ttl", "text/turtle"),
        "b.png": (BytesIO(b"\x89PNG"), "b.png", "image/png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 415
    assert "'b.png'" in response.get_data(as_text=True)
    assert store_state(small_store) == before


def test_json_ld_that_names_graphs_is_400_and_changes_nothing(
        small_client: FlaskClient, small_store: Path) -> None:
    """JSON-LD can carry named graphs; an upload into one graph must not write others."""
    before = store_state(small_store)
    body = ('{"@id": "http://example.org/elsewhere", "@graph": '
            '[{"@id": "http://example.org/zed", "http://example.org/name": "x"}]}')
    response = small_client.put(target(SMALL_GRAPH), data=body,
                                content_type="application/ld+json", headers=AUTH)
    assert response.status_code == 400
    assert "http://example.org/elsewhere" in response.get_data(as_text=True)
    assert store_state(small_store) == before
