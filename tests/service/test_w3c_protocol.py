"""The W3C SPARQL 1.1 Protocol test suite, every test, against our ``/sparql``.

Source: w3c/rdf-tests, ``sparql/sparql11/protocol/manifest.ttl`` (34 entries). Each test
below sends the manifest's requests (paths, bodies and headers as written there; the
manifest's ``/sparql/`` is our ``/sparql``) through the real app and checks the
manifest's expectation: the status class, and the answer's kind ("boolean", "tabular",
"RDF") and value. Updates carry our bearer token, as the W3C runner's ``--token`` does.

The manifest names data files (data1.nt …) that this folder does not ship; each of ours
holds one ``foaf:Document`` (see ``DATA``). Where the manifest checks that a dataset is
used, we also check what it never does: that triples outside the requested dataset are
NOT visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from service_support import AUTH, app_over, load_turtle, store_state
from w3c_answers import boolean_answer, is_2xx_or_3xx, rdf_answer, tabular_answer

KASEI = "http://kasei.us/2009/09/sparql/data/"
DATA = {
    f"{KASEI}data{i}.rdf": (
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        f"<{KASEI}data{i}.rdf> a foaf:Document ; foaf:name \"data {i}\" .\n"
    )
    for i in (1, 2, 3)
}
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
# The manifest's recurring parameter strings, percent-encoded exactly as it writes them.
DG0 = "default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf"
DG1 = "default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
DG2 = "default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf"
DG3 = "default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata3.rdf"
NG1 = "named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
NG2 = "named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf"
UG1 = "using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
UG2 = "using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf"
UNG1 = "using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
UNG2 = "using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf"


@pytest.fixture(scope="module")
def dataset_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """Read-only app over data1, data2 and data3 as named graphs (the manifest's graphData)."""
    root = tmp_path_factory.mktemp("w3c-protocol")
    store = root / "store"
    load_turtle(store, root / "src", DATA)
    with app_over(store) as app:
        yield app.test_client()


def ask(client: FlaskClient, method: str, path: str, **kwargs: object) -> bool:
    """Send one request; it must succeed (2xx/3xx) with a boolean answer, returned."""
    response = client.open(path, method=method, **kwargs)
    assert is_2xx_or_3xx(response.status_code), response.get_data(as_text=True)
    return boolean_answer(response.headers.get("Content-Type"), response.get_data())


def update(client: FlaskClient, path: str, text: str) -> None:
    response = client.post(path, data=text, content_type=UPDATE, headers=AUTH)
    assert is_2xx_or_3xx(response.status_code), response.get_data(as_text=True)


def assert_4xx(response, *words: str) -> None:  # noqa: ANN001 - a test response
    """A 4xx whose body is readable text that names the problem."""
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, body)
    for word in words:
        assert word.lower() in body.lower(), body


# -- queries and datasets ----------------------------------------------------------------


def test_query_post_form(dataset_client: FlaskClient) -> None:
    """query via URL-encoded POST"""
    assert ask(dataset_client, "POST", f"/sparql?{DG0}", data="query=ASK%20%7B%7D",
               content_type=FORM) is True


def test_query_dataset_default_graphs_get(dataset_client: FlaskClient) -> None:
    """GET query with protocol-specified default graph"""
    path = ("/sparql?query=ASK%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata"
            "%2Fdata1.rdf%3E%20a%20%3Ftype%20.%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql"
            f"%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20.%20%7D&{DG1}&{DG2}")
    assert ask(dataset_client, "GET", path) is True
    # Beyond the manifest: data3 is in the store but not in this dataset.
    outside = quote(f"ASK {{ <{KASEI}data3.rdf> ?p ?o }}")
    assert ask(dataset_client, "GET", f"/sparql?{DG1}&{DG2}&query={outside}") is False
    no_named = quote("ASK { GRAPH ?g { ?s ?p ?o } }")
    assert ask(dataset_client, "GET", f"/sparql?{DG1}&{DG2}&query={no_named}") is False


def test_query_dataset_default_graphs_post(dataset_client: FlaskClient) -> None:
    """POST query with protocol-specified default graphs"""
    body = (f"ASK {{ <{KASEI}data1.rdf> a ?type . <{KASEI}data2.rdf> a ?type . }}")
    assert ask(dataset_client, "POST", f"/sparql?{DG1}&{DG2}", data=body,
               content_type=QUERY) is True
    assert ask(dataset_client, "POST", f"/sparql?{DG1}&{DG2}",
               data=f"ASK {{ <{KASEI}data3.rdf> ?p ?o }}", content_type=QUERY) is False
    # The merge of two graphs, and nothing else: exactly two documents.
    response = dataset_client.post(f"/sparql?{DG1}&{DG2}", content_type=QUERY,
                                   data="SELECT ?d WHERE { ?d a ?t }")
    _, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert sorted(r["d"] for r in rows) == [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]


def test_query_dataset_named_graphs_post(dataset_client: FlaskClient) -> None:
    """POST query with protocol-specified named graphs"""
    body = (f"ASK {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
            f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}")
    assert ask(dataset_client, "POST", f"/sparql?{NG1}&{NG2}", data=body,
               content_type=QUERY) is True
    response = dataset_client.post(f"/sparql?{NG1}&{NG2}", content_type=QUERY,
                                   data="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    _, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert sorted(r["g"] for r in rows) == [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]
    # Only named graphs given: the default graph is empty (not the union of everything).
    assert ask(dataset_client, "POST", f"/sparql?{NG1}&{NG2}", data="ASK { ?s ?p ?o }",
               content_type=QUERY) is False


def test_query_dataset_named_graphs_get(dataset_client: FlaskClient) -> None:
    """GET query with protocol-specified named graphs"""
    path = ("/sparql?query=ASK%20%7B%20GRAPH%20%3Fg1%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009"
            "%2F09%2Fsparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype%20%7D%20GRAPH%20%3Fg2%20%7B%20"
            "%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype"
            f"%20%7D%20%7D&{NG1}&{NG2}")
    assert ask(dataset_client, "GET", path) is True
    outside = (f"/sparql?{NG1}&{NG2}&query=ASK%20%7B%20GRAPH%20%3C"
               "http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata3.rdf"
               "%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D")
    assert ask(dataset_client, "GET", outside) is False


def test_query_dataset_full(dataset_client: FlaskClient) -> None:
    """query with protocol-specified dataset (both named and default graphs)"""
    body = (f"ASK {{\n  <{KASEI}data3.rdf> a ?type\n"
            f"  GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }}\n"
            f"  GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }}\n}}")
    path = f"/sparql?{DG3}&{NG1}&{NG2}"
    assert ask(dataset_client, "POST", path, data=body, content_type=QUERY) is True
    # data1 is a named graph here, not part of the default graph; data3 is not named.
    assert ask(dataset_client, "POST", path, data=f"ASK {{ <{KASEI}data1.rdf> ?p ?o }}",
               content_type=QUERY) is False
    assert ask(dataset_client, "POST", path, content_type=QUERY,
               data=f"ASK {{ GRAPH <{KASEI}data3.rdf> {{ ?s ?p ?o }} }}") is False


def test_query_multiple_dataset(dataset_client: FlaskClient) -> None:
    """query specifying dataset in both query string and protocol; test for use of
    protocol-specified dataset

    The manifest percent-encodes the '&' between the two named-graph-uri parameters
    (``...data1.rdf%26named-graph-uri%3D...``), which makes them one odd IRI; its author
    confirms the test means two named graphs (w3c/rdf-tests#78). We send the intended
    request, and the literal one too, checking that the latter is read as one IRI.
    """
    body = (f"ASK FROM <{KASEI}data3.rdf> {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
            f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}")
    assert ask(dataset_client, "POST", f"/sparql?{NG1}&{NG2}", data=body,
               content_type=QUERY) is True
    # The protocol dataset replaces the query's FROM: data3 is not the default graph.
    assert ask(dataset_client, "POST", f"/sparql?{NG1}&{NG2}", content_type=QUERY,
               data=f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> ?p ?o }}") is False
    # Without protocol parameters the query's own FROM is honoured.
    assert ask(dataset_client, "POST", "/sparql", content_type=QUERY,
               data=f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> ?p ?o }}") is True
    assert ask(dataset_client, "POST", "/sparql", content_type=QUERY,
               data=f"ASK FROM <{KASEI}data3.rdf> {{ <{KASEI}data1.rdf> ?p ?o }}") is False
    literal = ("/sparql?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
               "data1.rdf%26named-graph-uri%3Dhttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2F"
               "data%2Fdata2.rdf")
    assert ask(dataset_client, "POST", literal, data=body, content_type=QUERY) is False


def test_query_get(dataset_client: FlaskClient) -> None:
    """query via GET"""
    assert ask(dataset_client, "GET", f"/sparql?query=ASK%20%7B%7D&{DG0}") is True


def test_query_content_type_select(dataset_client: FlaskClient) -> None:
    """query appropriate content type (expect one of: XML, JSON, CSV, TSV)"""
    response = dataset_client.post(f"/sparql?{DG0}", data="SELECT (1 AS ?value) {}",
                                   content_type=QUERY)
    assert is_2xx_or_3xx(response.status_code)
    variables, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert variables == ["value"] and rows == [{"value": "1"}]


def test_query_content_type_ask(dataset_client: FlaskClient) -> None:
    """query appropriate content type (expect one of: XML, JSON)"""
    response = dataset_client.post(f"/sparql?{DG0}", data="ASK {}", content_type=QUERY)
    assert is_2xx_or_3xx(response.status_code)
    assert boolean_answer(response.headers["Content-Type"], response.get_data()) is True


def test_query_content_type_describe(dataset_client: FlaskClient) -> None:
    """query appropriate content type (expect one of: RDF/XML, Turtle, N-Triples, RDFa)"""
    response = dataset_client.post(f"/sparql?{DG0}", data="DESCRIBE <http://example.org/>",
                                   content_type=QUERY)
    assert is_2xx_or_3xx(response.status_code)
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert len(graph) == 0  # nothing is known about <http://example.org/> in data0
    # And a DESCRIBE that finds something, in the dataset only.
    response = dataset_client.post(f"/sparql?{DG1}", content_type=QUERY,
                                   data=f"DESCRIBE <{KASEI}data1.rdf>")
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert len(graph) == 2


def test_query_content_type_construct(dataset_client: FlaskClient) -> None:
    """query appropriate content type (expect one of: RDF/XML, Turtle, N-Triples, RDFa)"""
    response = dataset_client.post(f"/sparql?{DG0}", data="CONSTRUCT { <s> <p> 1 } WHERE {}",
                                   content_type=QUERY)
    assert is_2xx_or_3xx(response.status_code), response.get_data(as_text=True)
    graph = rdf_answer(response.headers["Content-Type"], response.get_data())
    assert len(graph) == 1
    (subject, _, obj), = list(graph)
    assert str(obj) == "1"
    # Relative IRIs are resolved against the service's base (the endpoint).
    assert str(subject).startswith("http")


def test_query_post_direct(dataset_client: FlaskClient) -> None:
    """query via POST directly"""
    assert ask(dataset_client, "POST", "/sparql", data="ASK {}", content_type=QUERY) is True


# -- updates -----------------------------------------------------------------------------

DC_FOAF = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
THREE_DOCUMENTS = f"""INSERT DATA {{
    GRAPH <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a foaf:Document }}
    GRAPH <{KASEI}data2.rdf> {{ <{KASEI}data2.rdf> a foaf:Document }}
    GRAPH <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> a foaf:Document }}
}} ;
"""


def test_update_dataset_default_graph(client: FlaskClient) -> None:
    """update with protocol-specified default graph"""
    text = DC_FOAF + f"""CLEAR ALL ;
INSERT DATA {{
    GRAPH <{KASEI}data1.rdf> {{
        <{KASEI}data1.rdf> a foaf:Document
    }}
}} ;
INSERT {{
    GRAPH <http://example.org/protocol-update-dataset-test/> {{
        ?s a dc:BibliographicResource
    }}
}}
WHERE {{
    ?s a foaf:Document
}}"""
    update(client, f"/sparql?{UG1}", text)
    check = f"""ASK {{
    GRAPH <http://example.org/protocol-update-dataset-test/> {{
        <{KASEI}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource>
    }}
}}"""
    assert ask(client, "POST", "/sparql", data=check, content_type=QUERY) is True
    # Beyond the manifest: a document in data2 is outside using-graph-uri=data1.
    update(client, "/sparql", DC_FOAF + f"INSERT DATA {{ GRAPH <{KASEI}data2.rdf> "
                                        f"{{ <{KASEI}data2.rdf> a foaf:Document }} }}")
    update(client, f"/sparql?{UG1}", DC_FOAF + """INSERT {
    GRAPH <http://example.org/second/> { ?s a dc:BibliographicResource } }
WHERE { ?s a foaf:Document }""")
    response = client.post("/sparql", content_type=QUERY, data="SELECT ?s WHERE { GRAPH "
                           "<http://example.org/second/> { ?s ?p ?o } }")
    _, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert [r["s"] for r in rows] == [f"{KASEI}data1.rdf"]


def test_update_dataset_default_graphs(client: FlaskClient) -> None:
    """update with protocol-specified default graphs"""
    text = DC_FOAF + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {
        ?s a dc:BibliographicResource
    }
}
WHERE {
    ?s a foaf:Document
}"""
    update(client, f"/sparql?{UG1}&{UG2}", text)
    check = f"""ASK {{
    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
        <{KASEI}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        <{KASEI}data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
    }}
    FILTER NOT EXISTS {{
        GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
            <{KASEI}data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        }}
    }}
}}"""
    assert ask(client, "POST", "/sparql", data=check, content_type=QUERY) is True


def test_update_dataset_named_graphs(client: FlaskClient) -> None:
    """update with protocol-specified named graphs"""
    text = DC_FOAF + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {
        ?s a dc:BibliographicResource
    }
}
WHERE {
    GRAPH ?g {
        ?s a foaf:Document
    }
}"""
    update(client, f"/sparql?{UNG1}&{UNG2}", text)
    check = f"""ASK {{
    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
        <{KASEI}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        <{KASEI}data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
    }}
    FILTER NOT EXISTS {{
        GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
            <{KASEI}data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        }}
    }}
}}"""
    assert ask(client, "POST", "/sparql", data=check, content_type=QUERY) is True


def test_update_dataset_full(client: FlaskClient) -> None:
    """update with protocol-specified dataset (both named and default graphs)"""
    text = DC_FOAF + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-full-test/> {
        ?s <http://example.org/in> ?in
    }
}
WHERE {
    {
        GRAPH ?g { ?s a foaf:Document }
        BIND(?g AS ?in)
    }
    UNION
    {
        ?s a foaf:Document .
        BIND("default" AS ?in)
    }
}"""
    update(client, f"/sparql?{UG1}&{UNG2}", text)
    check = f"""ASK {{
    GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
        <{KASEI}data1.rdf> <http://example.org/in> "default" .
        <{KASEI}data2.rdf> <http://example.org/in> <{KASEI}data2.rdf> .
    }}
    FILTER NOT EXISTS {{
        GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
            <{KASEI}data3.rdf> ?p ?o
        }}
    }}
}}"""
    assert ask(client, "POST", "/sparql", data=check, content_type=QUERY) is True
    # Exactly two solutions went in: data1 only as default, data2 only as named.
    response = client.post("/sparql", content_type=QUERY, data="SELECT ?s ?in WHERE { GRAPH "
                           "<http://example.org/protocol-update-dataset-full-test/> "
                           "{ ?s ?p ?in } }")
    _, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert len(rows) == 2


def test_update_post_form(client: FlaskClient) -> None:
    """update via URL-encoded POST"""
    response = client.post("/sparql", data="update=CLEAR+ALL", content_type=FORM,
                           headers=AUTH)
    assert is_2xx_or_3xx(response.status_code), response.get_data(as_text=True)


def test_update_post_direct(client: FlaskClient) -> None:
    """update via POST directly"""
    response = client.post("/sparql", data="CLEAR ALL", content_type=UPDATE, headers=AUTH)
    assert is_2xx_or_3xx(response.status_code), response.get_data(as_text=True)


def test_update_base_uri(client: FlaskClient) -> None:
    """test for service-defined BASE URI ("which MAY be the service endpoint")"""
    update(client, "/sparql", """CLEAR GRAPH <http://example.org/protocol-base-test/> ;
INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }""")  # noqa: E501
    response = client.post("/sparql", content_type=QUERY, data="""SELECT ?o WHERE {
    GRAPH <http://example.org/protocol-base-test/> {
        <http://example.org/s> <http://example.org/p> ?o
    }
}""")
    assert is_2xx_or_3xx(response.status_code)
    _, rows = tabular_answer(response.headers["Content-Type"], response.get_data())
    assert len(rows) == 1
    value = rows[0]["o"]
    assert value != "test" and value.endswith("/test") and "://" in value


# -- bad requests ------------------------------------------------------------------------


def test_bad_query_method(dataset_client: FlaskClient) -> None:
    """invoke query operation with a method other than GET or POST"""
    response = dataset_client.put(f"/sparql?query=ASK%20%7B%7D&{DG0}", content_type=FORM)
    assert_4xx(response, "PUT")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_bad_multiple_queries(dataset_client: FlaskClient) -> None:
    """invoke query operation with more than one query string"""
    response = dataset_client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert_4xx(response, "query", "once")


def test_bad_query_wrong_media_type(dataset_client: FlaskClient) -> None:
    """invoke query operation with a POST with media type that's not url-encoded or
    application/sparql-query"""
    response = dataset_client.post("/sparql", data="ASK {}", content_type="text/plain")
    assert_4xx(response, "text/plain", "application/sparql-query")
    assert response.status_code == 415


def test_bad_query_missing_form_type(dataset_client: FlaskClient) -> None:
    """invoke query operation with url-encoded body, but without
    application/x-www-form-urlencoded media type"""
    response = dataset_client.post("/sparql", data="query=ASK%20%7B%7D")
    assert "Content-Type" not in response.request.headers
    assert_4xx(response, "Content-Type")
    assert response.status_code == 415


def test_bad_query_missing_direct_type(dataset_client: FlaskClient) -> None:
    """invoke query operation with SPARQL body, but without application/sparql-query
    media type"""
    response = dataset_client.post("/sparql", data="ASK {}")
    assert_4xx(response, "Content-Type", "application/sparql-query")


def test_bad_query_non_utf8(dataset_client: FlaskClient) -> None:
    """invoke query operation with direct POST, but with a non-UTF8 encoding (UTF-16)"""
    body = "ASK {}".encode("utf-16")  # with its BOM, as the manifest says
    response = dataset_client.post("/sparql", data=body,
                                   content_type="application/sparql-query; charset=UTF-16")
    assert_4xx(response, "UTF-8")


def test_bad_query_syntax(dataset_client: FlaskClient) -> None:
    """invoke query operation with invalid query syntax (4XX result)"""
    response = dataset_client.get("/sparql?query=ASK%20%7B")
    assert_4xx(response, "line: 1", "column:")
    assert response.status_code == 400


def test_bad_update_get(client: FlaskClient) -> None:
    """invoke update operation with GET"""
    response = client.get("/sparql?update=CLEAR%20ALL", headers=AUTH)
    assert_4xx(response, "POST")


def test_bad_multiple_updates(client: FlaskClient) -> None:
    """invoke update operation with more than one update string"""
    response = client.post("/sparql", data="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                           content_type=FORM, headers=AUTH)
    assert_4xx(response, "update", "once")


def test_bad_update_wrong_media_type(client: FlaskClient) -> None:
    """invoke update operation with a POST with media type that's not url-encoded or
    application/sparql-update"""
    response = client.post("/sparql", data="CLEAR NAMED", content_type="text/plain",
                           headers=AUTH)
    assert_4xx(response, "text/plain", "application/sparql-update")


def test_bad_update_missing_form_type(client: FlaskClient) -> None:
    """invoke update operation with url-encoded body, but without
    application/x-www-form-urlencoded media type"""
    response = client.post("/sparql", data="update=CLEAR%20NAMED", headers=AUTH)
    assert_4xx(response, "Content-Type")


def test_bad_update_non_utf8(client: FlaskClient, store_dir: Path) -> None:
    """invoke update operation with direct POST, but with a non-UTF8 encoding"""
    update(client, "/sparql", f"INSERT DATA {{ GRAPH <{KASEI}data1.rdf> "
                              f"{{ <{KASEI}data1.rdf> a <http://xmlns.com/foaf/0.1/Document> }} }}")
    before = store_state(store_dir)
    response = client.post("/sparql", data="CLEAR NAMED".encode("utf-16"), headers=AUTH,
                           content_type="application/sparql-update; charset=UTF-16")
    assert_4xx(response, "UTF-8")
    assert store_state(store_dir) == before  # nothing was cleared


def test_bad_update_syntax(client: FlaskClient) -> None:
    """invoke update operation with invalid update syntax"""
    response = client.post("/sparql", data="update=CLEAR%20XYZ", content_type=FORM,
                           headers=AUTH)
    assert_4xx(response, "line: 1", "column:")
    assert response.status_code == 400


def test_bad_update_dataset_conflict(client: FlaskClient) -> None:
    """invoke update with both using-graph-uri/using-named-graph-uri parameter and
    USING/WITH clause"""
    text = """PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE {
    ?person foaf:givenName 'Bill'
}"""
    response = client.post("/sparql?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
                           data=text, content_type=UPDATE, headers=AUTH)
    assert_4xx(response, "WITH")
    assert response.status_code == 400
