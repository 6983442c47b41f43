"""``GET /sparql`` without a query: the SPARQL 1.1 Service Description, or the form page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from service_support import OTHER_GRAPH, SMALL_GRAPH, app_over
from w3c_answers import media_type, rdf_answer

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENDPOINT = URIRef("http://localhost/sparql")


def description(client: FlaskClient, accept: str = "text/turtle", **params: str) -> Graph:
    response = client.get("/sparql", headers={"Accept": accept}, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return rdf_answer(response.headers["Content-Type"], response.get_data())


def test_turtle_description_says_what_the_endpoint_does(shared_client: FlaskClient) -> None:
    graph = description(shared_client)
    assert (ENDPOINT, RDF.type, SD.Service) in graph
    assert (ENDPOINT, SD.endpoint, ENDPOINT) in graph
    assert (ENDPOINT, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (ENDPOINT, SD.feature, SD.UnionDefaultGraph) in graph
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                 "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        assert (ENDPOINT, SD.resultFormat, FORMATS[name]) in graph, name
    dataset = graph.value(ENDPOINT, SD.defaultDataset)
    named = {graph.value(node, SD.name) for node in graph.objects(dataset, SD.namedGraph)}
    assert {URIRef(SMALL_GRAPH), URIRef(OTHER_GRAPH)} <= named
    assert graph.value(dataset, SD.defaultGraph) is not None


@pytest.mark.parametrize("accept", ["application/ld+json", "application/rdf+xml",
                                    "application/n-triples"])
def test_every_rdf_format_holds_the_same_description(shared_client: FlaskClient,
                                                     accept: str) -> None:
    response = shared_client.get("/sparql", headers={"Accept": accept})
    assert media_type(response.headers["Content-Type"]) == accept
    assert isomorphic(rdf_answer(response.headers["Content-Type"], response.get_data()),
                      description(shared_client))


def test_format_parameter_chooses_too(shared_client: FlaskClient) -> None:
    response = shared_client.get("/sparql?format=jsonld", headers={"Accept": "text/turtle"})
    assert media_type(response.headers["Content-Type"]) == "application/ld+json"
    response = shared_client.get("/sparql?format=csv")
    assert response.status_code == 406 and "turtle" in response.get_data(as_text=True)


def test_browsers_get_the_query_form(shared_client: FlaskClient) -> None:
    response = shared_client.get("/sparql", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert media_type(response.headers["Content-Type"]) == "text/html"
    page = response.get_data(as_text=True)
    assert '<form method="get" action="/sparql"' in page
    assert '<textarea id="query" name="query"' in page
    # Nothing is loaded from elsewhere (no CDN): scripts and styles come from this host.
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)


def test_update_and_federation_appear_only_when_enabled(small_store: Path,
                                                        readonly_client: FlaskClient) -> None:
    public = description(readonly_client)
    service = next(public.subjects(RDF.type, SD.Service))
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in public
    assert (service, SD.feature, SD.BasicFederatedQuery) not in public
    with app_over(small_store, write_token="t",
                  service_allow=("http://127.0.0.1:9/",)) as app:
        full = description(app.test_client())
    assert (ENDPOINT, SD.supportedLanguage, SD.SPARQL11Update) in full
    assert (ENDPOINT, SD.feature, SD.BasicFederatedQuery) in full


def test_description_is_answered_to_cors_and_head(shared_client: FlaskClient) -> None:
    response = shared_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in response.headers["Vary"]
    head = shared_client.head("/sparql", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.get_data() == b""
