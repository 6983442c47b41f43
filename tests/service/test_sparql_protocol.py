"""``/sparql`` beyond the W3C suite: every method, body type, dataset parameter and format.

Through the real app (Flask test client) over real stores: the bundled data for reads
(answers compared with pyoxigraph run directly on the same snapshot), two small graphs
of our own for writes and datasets. Errors must be readable and name the problem.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from service_support import AUTH, EX, OTHER_GRAPH, SMALL_GRAPH, direct_select
from w3c_answers import boolean_answer, media_type, rdf_answer, tabular_answer

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
COUNT_TYPED = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t }"
PEOPLE = ("PREFIX ex: <http://example.org/> "
          "SELECT ?p WHERE { ?p a ex:Person } ORDER BY ?p")
CONSTRUCT_PEOPLE = ("PREFIX ex: <http://example.org/> "
                    "CONSTRUCT { ?p a ex:Person ; ex:label ?l } WHERE { ?p a ex:Person ; "
                    "<http://www.w3.org/2000/01/rdf-schema#label> ?l }")


def get(client: FlaskClient, query: str, accept: str | None = None, **params: str):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql?" + urlencode({"query": query, **params}), headers=headers)


def rows_of(response) -> list[dict]:  # noqa: ANN001 - a test response
    assert response.status_code == 200, response.get_data(as_text=True)
    return tabular_answer(response.headers["Content-Type"], response.get_data())[1]


def error_json(response) -> dict:  # noqa: ANN001
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.get_data())


# -- the three ways to send a query ------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(readonly_client: FlaskClient,
                                                            public_store: Path) -> None:
    expected = direct_select(public_store, COUNT_TYPED)[0]["n"]
    by_get = rows_of(get(readonly_client, COUNT_TYPED))
    by_form = rows_of(readonly_client.post("/sparql", data={"query": COUNT_TYPED}))
    by_body = rows_of(readonly_client.post("/sparql", data=COUNT_TYPED.encode("utf-8"),
                                           content_type=QUERY))
    assert by_get == by_form == by_body == [{"n": expected}]
    assert int(expected) > 0


def test_default_graph_is_the_union_of_named_graphs(shared_client: FlaskClient) -> None:
    rows = rows_of(get(shared_client, "PREFIX ex: <http://example.org/> SELECT DISTINCT ?s "
                                     "WHERE { ?s a ?t VALUES ?t { ex:Person ex:Robot } } "
                                     "ORDER BY ?s"))
    assert [r["s"] for r in rows] == [EX + n for n in ("alice", "bob", "carol", "dave")]


def test_dataset_parameters_on_get_form_and_direct_post(shared_client: FlaskClient) -> None:
    """default-graph-uri / named-graph-uri by GET, in the form body, and on a direct POST;
    what is outside the dataset stays invisible in each."""
    everything = "SELECT ?s ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    only_people = {"default-graph-uri": SMALL_GRAPH}
    only_named_robots = {"named-graph-uri": OTHER_GRAPH}
    for send in (
        lambda p: get(shared_client, everything, **p),
        lambda p: shared_client.post("/sparql", data={"query": everything, **p}),
        lambda p: shared_client.post("/sparql?" + urlencode(p), data=everything,
                                    content_type=QUERY),
    ):
        rows = rows_of(send(only_people))
        assert {r["s"] for r in rows} == {EX + "alice", EX + "bob", EX + "carol"}
        assert not any("g" in r for r in rows)  # no named graphs in this dataset
        rows = rows_of(send(only_named_robots))
        assert {(r["s"], r.get("g")) for r in rows} == {(EX + "dave", OTHER_GRAPH)}


def test_a_querys_own_from_is_honoured(shared_client: FlaskClient) -> None:
    rows = rows_of(get(shared_client, f"SELECT DISTINCT ?s FROM <{OTHER_GRAPH}> "
                                     "WHERE { ?s ?p ?o }"))
    assert rows == [{"s": EX + "dave"}]


def test_dataset_parameter_must_be_an_iri(shared_client: FlaskClient) -> None:
    response = get(shared_client, "ASK {}", **{"default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "default-graph-uri" in response.get_data(as_text=True)


# -- content negotiation -----------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/sparql-results+xml;q=0.2, text/csv;q=0.9, */*;q=0.1", "text/csv"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("text/html, application/xhtml+xml, text/tab-separated-values;q=0.8",
     "text/tab-separated-values"),
])
def test_select_negotiates_with_q_values(shared_client: FlaskClient, accept: str | None,
                                          expected: str) -> None:
    response = get(shared_client, PEOPLE, accept)
    assert response.status_code == 200
    assert media_type(response.headers["Content-Type"]) == expected
    assert "Accept" in response.headers["Vary"]
    rows = tabular_answer(response.headers["Content-Type"], response.get_data())[1]
    assert [r["p"] for r in rows] == [EX + "alice", EX + "bob", EX + "carol"]


def test_csv_and_tsv_keep_their_own_syntax(shared_client: FlaskClient) -> None:
    query = ('PREFIX ex: <http://example.org/> SELECT ?p ?age ?l WHERE { ?p a ex:Person '
             'OPTIONAL { ?p ex:age ?age } OPTIONAL { ?p <http://www.w3.org/2000/01/rdf-schema#'
             'label> ?l } } ORDER BY ?p')
    csv_text = get(shared_client, query, "text/csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "p,age,l"
    assert "http://example.org/bob,42,Bob" in csv_text
    tsv_text = get(shared_client, query, "text/tab-separated-values").get_data(as_text=True)
    assert tsv_text.splitlines()[0] == "?p\t?age\t?l"
    assert '<http://example.org/carol>\t\t"Carol"@sv' in tsv_text


@pytest.mark.parametrize("accept", ["application/sparql-results+json",
                                    "application/sparql-results+xml"])
def test_ask_answers_in_json_and_xml(shared_client: FlaskClient, accept: str) -> None:
    response = get(shared_client, "ASK { <http://example.org/alice> ?p ?o }", accept)
    assert media_type(response.headers["Content-Type"]) == accept
    assert boolean_answer(response.headers["Content-Type"], response.get_data()) is True


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/turtle"),
    ("text/turtle", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/n-quads", "application/n-quads"),
    ("application/trig", "application/trig"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.3, application/ld+json;q=0.9", "application/ld+json"),
    ("application/sparql-results+json, text/turtle;q=0.1", "text/turtle"),
])
def test_construct_in_every_rdf_format(shared_client: FlaskClient, accept: str | None,
                                       expected: str) -> None:
    response = get(shared_client, CONSTRUCT_PEOPLE, accept)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert media_type(response.headers["Content-Type"]) == expected
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert len(graph) == 6
    assert (URIRef(EX + "carol"), URIRef(EX + "label"), Literal("Carol", lang="sv")) in graph


def test_describe_gives_rdf(shared_client: FlaskClient) -> None:
    response = get(shared_client, "DESCRIBE <http://example.org/bob>", "application/n-triples")
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert (URIRef(EX + "bob"), URIRef(EX + "age"), Literal(42)) in graph


def test_every_construct_format_holds_the_same_graph(shared_client: FlaskClient) -> None:
    graphs = []
    for name in ("turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"):
        response = get(shared_client, CONSTRUCT_PEOPLE, format=name)
        graphs.append(rdf_answer(response.headers["Content-Type"], response.get_data()))
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


@pytest.mark.parametrize(("name", "expected"), [
    ("json", "application/sparql-results+json"), ("srj", "application/sparql-results+json"),
    ("xml", "application/sparql-results+xml"), ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
])
def test_format_parameter_beats_the_accept_header(shared_client: FlaskClient, name: str,
                                                  expected: str) -> None:
    response = get(shared_client, PEOPLE, "application/sparql-results+json;q=0.1", format=name)
    assert media_type(response.headers["Content-Type"]) == expected
    form = shared_client.post("/sparql", data={"query": PEOPLE, "format": name})
    assert media_type(form.headers["Content-Type"]) == expected


def test_format_that_does_not_fit_the_answer_is_406(shared_client: FlaskClient) -> None:
    response = get(shared_client, CONSTRUCT_PEOPLE, format="csv")
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    assert "format='csv'" in text and "CONSTRUCT" in text and "turtle" in text
    response = get(shared_client, PEOPLE, format="png")
    assert response.status_code == 406 and "json" in response.get_data(as_text=True)


def test_accept_that_nothing_satisfies_is_406(shared_client: FlaskClient) -> None:
    response = get(shared_client, PEOPLE, "image/png, text/html;q=0.9")
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    assert "Accept" in text and "application/sparql-results+json" in text and "SELECT" in text
    response = get(shared_client, CONSTRUCT_PEOPLE, "text/csv")
    assert response.status_code == 406 and "text/turtle" in response.get_data(as_text=True)


# -- errors ------------------------------------------------------------------------------


def test_malformed_query_carries_line_and_column(shared_client: FlaskClient) -> None:
    query = "PREFIX ex: <http://example.org/>\nSELECT ?s\nWHERE { ?s ex:p }"
    response = get(shared_client, query, "application/json")
    assert response.status_code == 400
    body = error_json(response)
    assert body["error"] == "QuerySyntaxError"
    assert (body["line"], body["column"]) == (3, 17)  # the '}' where an object must be
    text = get(shared_client, query, "text/csv, text/plain").get_data(as_text=True)
    assert "line: 3" in text and "column: 17" in text


def test_update_sent_as_query_and_query_sent_as_update_are_400(shared_client) -> None:  # noqa: ANN001
    response = shared_client.post("/sparql", data="CLEAR ALL", content_type=QUERY)
    assert response.status_code == 400 and "update" in response.get_data(as_text=True)
    response = shared_client.post("/sparql", data="ASK {}", content_type=UPDATE, headers=AUTH)
    assert response.status_code == 400 and "query" in response.get_data(as_text=True)


def test_post_with_another_content_type_is_415(shared_client: FlaskClient) -> None:
    response = shared_client.post("/sparql", data="ASK {}", content_type="application/json")
    assert response.status_code == 415
    text = response.get_data(as_text=True)
    assert "application/json" in text and "application/sparql-query" in text


def test_oversized_request_is_413(shared_client: FlaskClient) -> None:
    padding = "#" + "x" * (1 << 20) + "\n"
    response = shared_client.post("/sparql", data=(padding + "ASK {}").encode(),
                                 content_type=QUERY)
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)
    response = shared_client.post("/sparql", data={"query": padding + "ASK {}"})
    assert response.status_code == 413


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(shared_client: FlaskClient, method: str) -> None:
    response = shared_client.open("/sparql?query=ASK%20%7B%7D", method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert f"{method} is not allowed" in response.get_data(as_text=True)


def test_query_parameter_twice_is_400(shared_client: FlaskClient) -> None:
    response = shared_client.post("/sparql", data={"query": ["ASK {}", "ASK {}"]})
    assert response.status_code == 400 and "once" in response.get_data(as_text=True)


def test_form_with_neither_query_nor_update_is_400(shared_client: FlaskClient) -> None:
    response = shared_client.post("/sparql", data={"q": "ASK {}"})
    assert response.status_code == 400
    assert "'query'" in response.get_data(as_text=True)


# -- caching, CORS, HEAD -----------------------------------------------------------------


def test_etag_and_if_none_match(shared_client: FlaskClient) -> None:
    first = get(shared_client, PEOPLE)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    again = shared_client.get(first.request.full_path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = shared_client.get(first.request.full_path, headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    # Another format of the same query is another representation: another ETag.
    assert get(shared_client, PEOPLE, "text/csv").headers["ETag"] != etag


def test_etag_changes_after_a_write(small_client: FlaskClient) -> None:
    before = get(small_client, PEOPLE)
    etag = before.headers["ETag"]
    update = "INSERT DATA { GRAPH <http://example.org/g/new> { <http://example.org/erin> " \
             "a <http://example.org/Person> } }"
    assert small_client.post("/sparql", data={"update": update},
                             headers=AUTH).status_code == 204
    after = small_client.get(before.request.full_path, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert EX + "erin" in [r["p"] for r in rows_of(after)]


def test_post_answers_are_not_cached(shared_client: FlaskClient) -> None:
    response = shared_client.post("/sparql", data=PEOPLE, content_type=QUERY)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_cors_headers_and_preflight(shared_client: FlaskClient) -> None:
    response = get(shared_client, PEOPLE)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = shared_client.options("/sparql", headers={
        "Origin": "https://example.net",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, Authorization",
    })
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "authorization" in allowed
    # Errors from the endpoint carry CORS too? A browser must be able to read them.
    error = get(shared_client, "ASK {")
    assert error.status_code == 400


def test_head_has_the_headers_and_no_body(shared_client: FlaskClient) -> None:
    full = get(shared_client, PEOPLE, "text/csv")
    head = shared_client.head(full.request.full_path, headers={"Accept": "text/csv"})
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Type"] == full.headers["Content-Type"]
    assert head.headers["ETag"] == full.headers["ETag"]


# -- updates -----------------------------------------------------------------------------


def test_update_by_form_and_by_body_with_the_token(small_client: FlaskClient) -> None:
    by_form = "INSERT DATA { GRAPH <http://example.org/g/u> { <http://example.org/x1> " \
              "<http://example.org/p> 1 } }"
    by_body = "INSERT DATA { GRAPH <http://example.org/g/u> { <http://example.org/x2> " \
              "<http://example.org/p> 2 } }"
    assert small_client.post("/sparql", data={"update": by_form},
                             headers=AUTH).status_code == 204
    assert small_client.post("/sparql", data=by_body, content_type=UPDATE,
                             headers=AUTH).status_code == 204
    rows = rows_of(get(small_client, "SELECT ?s WHERE { GRAPH <http://example.org/g/u> "
                                     "{ ?s ?p ?o } } ORDER BY ?s"))
    assert [r["s"] for r in rows] == [EX + "x1", EX + "x2"]


def test_updates_are_refused_on_the_public_service(readonly_client: FlaskClient) -> None:
    for response in (
        readonly_client.post("/sparql", data={"update": "CLEAR ALL"}),
        readonly_client.post("/sparql", data="CLEAR ALL", content_type=UPDATE,
                             headers=AUTH),
    ):
        assert response.status_code == 403
        assert "TILLVAXTGRAF_WRITE_TOKEN" in response.get_data(as_text=True)


def test_a_multi_operation_update_is_atomic(small_client: FlaskClient) -> None:
    """The second operation fails (DROP of an absent graph): the first leaves no trace."""
    update = ("INSERT DATA { GRAPH <http://example.org/g/half> { <http://example.org/h> "
              "<http://example.org/p> 1 } } ; DROP GRAPH <http://example.org/g/absent>")
    response = small_client.post("/sparql", data=update, content_type=UPDATE, headers=AUTH)
    assert response.status_code == 400
    assert "does not exist" in response.get_data(as_text=True)
    assert not boolean_answer("application/sparql-results+json", get(
        small_client, "ASK { <http://example.org/h> ?p ?o }").get_data())


# -- logging and health ------------------------------------------------------------------


def test_requests_are_logged(shared_client: FlaskClient, caplog: pytest.LogCaptureFixture
                             ) -> None:
    with caplog.at_level(logging.INFO, logger="tillvaxtgraf.requests"):
        get(shared_client, "ASK {}")
    lines = [r.getMessage() for r in caplog.records if r.name == "tillvaxtgraf.requests"]
    assert any('"GET /sparql?query=ASK' in line and " 200 " in line and line.endswith("ms")
               for line in lines), lines


def test_healthz(shared_client: FlaskClient) -> None:
    response = shared_client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["backend"] == "embedded"
    assert response.headers["Cache-Control"] == "no-store"


def test_union_answer_matches_pyoxigraph_on_the_bundled_data(readonly_client: FlaskClient,
                                                             public_store: Path) -> None:
    query = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g "
             "ORDER BY ?g")
    expected = direct_select(public_store, query)
    assert len(expected) > 1
    assert rows_of(get(readonly_client, query)) == expected
    response = get(readonly_client, "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }", format="nt")
    graph = Graph()
    graph.parse(data=response.get_data(), format="nt")
    typed = direct_select(public_store, "SELECT (COUNT(*) AS ?n) WHERE "
                                        "{ SELECT DISTINCT ?s ?t WHERE { ?s a ?t } }")
    assert len(graph) == int(typed[0]["n"])


def test_query_text_with_non_ascii_by_every_method(shared_client: FlaskClient) -> None:
    query = 'ASK { ?s ?p "Växjö åäö" } '
    for response in (get(shared_client, query),
                     shared_client.post("/sparql", data={"query": query}),
                     shared_client.post("/sparql", data=query.encode(),
                                       content_type=QUERY + "; charset=utf-8")):
        assert response.status_code == 200
        assert boolean_answer(response.headers["Content-Type"], response.get_data()) is False
