"""Dereferenceable IRIs: every format, by Accept and by extension, says the same triples."""

from __future__ import annotations

import pytest
import rdflib
from ld_support import BASE, ONTOLOGY, REGION, RESOURCES, construct, count, parse
from rdflib.compare import isomorphic, to_isomorphic

ACCEPT = {"turtle": "text/turtle", "ntriples": "application/n-triples",
          "rdfxml": "application/rdf+xml", "jsonld": "application/ld+json"}
EXTENSION = {"turtle": "ttl", "ntriples": "nt", "rdfxml": "rdf", "jsonld": "jsonld"}


def path_of(iri: str) -> str:
    return "/ontology" if iri == ONTOLOGY else "/" + iri[len(BASE):]


def expected(client, iri: str) -> rdflib.Graph:
    """What the store holds about the IRI, asked through the SPARQL endpoint."""
    if iri == ONTOLOGY:
        return construct(client, "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH "
                                 f"<{BASE}graph/ontology> {{ ?s ?p ?o }} }}")
    return construct(client, f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ GRAPH ?g {{ <{iri}> ?p ?o }} BIND(<{iri}> AS ?s) }}
        UNION {{ GRAPH ?g {{ ?s ?p <{iri}> }} BIND(<{iri}> AS ?o) }} }}""")


@pytest.fixture(scope="module")
def expected_graphs(ld_app) -> dict[str, rdflib.Graph]:
    client = ld_app.test_client()
    return {iri: expected(client, iri) for iri in [*RESOURCES, ONTOLOGY]}


@pytest.mark.parametrize("rdf_format", list(ACCEPT))
@pytest.mark.parametrize("iri", [*RESOURCES, ONTOLOGY], ids=lambda i: i[len(BASE):])
def test_every_format_by_accept_and_by_extension_round_trips(
        ld, context_document, expected_graphs, iri, rdf_format):
    want = expected_graphs[iri]
    assert len(want) > 5
    path = path_of(iri)
    by_accept = ld.get(path, headers={"Accept": ACCEPT[rdf_format]})
    assert by_accept.status_code == 200, by_accept.get_data(as_text=True)
    assert by_accept.mimetype == ACCEPT[rdf_format]
    assert by_accept.headers["Content-Location"] == f"{path}.{EXTENSION[rdf_format]}"
    assert "Accept" in by_accept.headers["Vary"]
    by_extension = ld.get(f"{path}.{EXTENSION[rdf_format]}")
    assert by_extension.status_code == 200
    assert by_extension.mimetype == ACCEPT[rdf_format]
    assert "Accept" not in by_extension.headers.get("Vary", "")
    for response in (by_accept, by_extension):
        got = parse(response, context_document)
        assert isomorphic(got, want), (
            f"{path} as {rdf_format}: "
            f"{len(to_isomorphic(got) - to_isomorphic(want))} extra, "
            f"{len(to_isomorphic(want) - to_isomorphic(got))} missing")


@pytest.mark.parametrize("accept, media", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"),
    (None, "text/html"),
    ("text/turtle;q=0.9, text/html;q=0.5", "text/turtle"),
    ("application/ld+json;q=0.1, application/rdf+xml", "application/rdf+xml"),
    ("application/json", "application/ld+json"),
    ("text/html;q=0, */*;q=0.5", "text/turtle"),
    ("text/plain", "application/n-triples"),
])
def test_q_values_choose_the_format(ld, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = ld.get("/id/region/01", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media


def test_an_unacceptable_type_is_406_naming_the_offer(ld):
    response = ld.get("/id/region/01", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_format_parameter_and_unknown_extension(ld):
    response = ld.get("/id/region/01?format=ttl")
    assert response.mimetype == "text/turtle"
    assert ld.get("/resource.xyz?iri=" + REGION).status_code == 404
    assert ld.get("/id/region/01.xyz").status_code == 404
    assert ld.get("/id/region/01?format=png").status_code == 406


def test_headers_say_what_the_answer_is(ld):
    response = ld.get("/id/region/01", headers={"Accept": "text/turtle"})
    links = response.headers["Link"]
    for ext, media in (("html", "text/html"), ("jsonld", "application/ld+json"),
                       ("rdf", "application/rdf+xml"), ("nt", "application/n-triples")):
        assert f'</id/region/01.{ext}>; rel="alternate"; type="{media}"' in links
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    etag = response.headers["ETag"]
    again = ld.get("/id/region/01", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    other = ld.get("/id/region/01", headers={"Accept": "application/n-triples"})
    assert other.headers["ETag"] != etag
    head = ld.head("/id/region/01.ttl")
    assert head.status_code == 200 and head.get_data() == b""
    preflight = ld.options("/id/region/01")
    assert preflight.status_code == 204


def test_jsonld_refers_to_the_published_context(ld, context_document):
    document = ld.get("/id/region/01.jsonld").get_json(force=True)
    assert document["@context"] == "http://localhost/context.jsonld"
    context = context_document["@context"]
    assert context["tg"] == BASE + "ontology#"
    assert context["skos"] == "http://www.w3.org/2004/02/skos/core#"
    response = ld.get("/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_resource_parameter_sends_minted_iris_home(ld):
    response = ld.get("/resource", query_string={"iri": REGION})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/id/region/01")
    response = ld.get("/resource.ttl", query_string={"iri": REGION})
    assert response.headers["Location"].endswith("/id/region/01.ttl")
    response = ld.get("/resource", query_string={"iri": BASE + "ontology#Region"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/ontology#Region")
    response = ld.get("/resource", query_string={"iri": BASE + "graph/ontology"})
    assert response.headers["Location"].endswith("/graph/ontology")


def test_any_other_iri_in_the_store_answers_at_resource(ld, context_document):
    wikidata = "http://www.wikidata.org/entity/Q3233188"
    response = ld.get("/resource", query_string={"iri": wikidata},
                      headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Location"].startswith("/resource.ttl?iri=http")
    got = parse(response, context_document)
    assert isomorphic(got, expected(ld, wikidata))
    page = ld.get("/resource", query_string={"iri": wikidata, "lang": "en"})
    text = page.get_data(as_text=True)
    assert 'href="http://www.wikidata.org/entity/Q3233188"' in text  # open at its origin
    assert "Region Stockholm" in text


def test_a_property_used_but_not_described_has_a_page(ld):
    response = ld.get("/resource", query_string={
        "iri": "http://www.w3.org/2004/02/skos/core#prefLabel", "lang": "en"})
    assert response.status_code == 200
    assert "used as a property" in response.get_data(as_text=True)


def test_named_graph_iris_describe_the_graph(ld, context_document):
    graph = BASE + "graph/seed/05-forordning-2017-583"
    page = ld.get("/graph/seed/05-forordning-2017-583", query_string={"lang": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/graph-store?graph=https" in text
    recorded = count(ld, f"SELECT ?n WHERE {{ <{graph}> <http://rdfs.org/ns/void#triples> ?n }}")
    assert f"{recorded:,} triples" in text
    assert "Ordinance (2017:583) on regional growth work" in text  # the section it is from
    turtle = ld.get("/graph/seed/05-forordning-2017-583.ttl")
    assert isomorphic(parse(turtle, context_document), expected(ld, graph))
    assert ld.get("/graph/nothing-here").status_code == 404


def test_metadata_graph_without_a_record_is_counted(ld):
    text = ld.get("/graph/metadata?lang=en").get_data(as_text=True)
    size = count(ld, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/metadata> "
                     "{ ?s ?p ?o } }")
    assert f"{size:,} triples" in text
