"""Data and helpers for the linked-data tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import warnings

import rdflib
from flask.testing import FlaskClient

from tillvaxtgraf.store.names import BASE, ID
from tillvaxtgraf.store.names import ONTOLOGY as ONTOLOGY  # re-exported for the tests

TOKEN = "linked-data-test-token"
HOSTILE_GRAPH = BASE + "graph/test/hostile"
SCRIPT_LABEL = '<script>alert("x")</script> & \'quoted\''
UNICODE_LABEL = "Åre 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301 \u202eevil\u202c 👩\u200d👩\u200d👧 \u00a0ﬁ"
ODD_IRI = BASE + "id/test/Åre-kommun-🚀"
HUB = BASE + "id/test/hub"
HUB_LINKS = 520


def _quoted(text: str) -> str:
    """A Turtle string literal (JSON's escapes are Turtle's, without ASCII-only escapes)."""
    return json.dumps(text, ensure_ascii=False)


HOSTILE_TURTLE = f"""\
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <http://www.w3.org/ns/org#> .

<{BASE}id/test/script>
    a tg:CollaborationArena ;
    skos:prefLabel {_quoted(SCRIPT_LABEL)}@en , {_quoted(SCRIPT_LABEL)}@sv ;
    dcterms:description "Beskrivning med \\"citat\\" och <b>fet</b> text"@sv ;
    tg:startYear "2020"^^xsd:gYear ;
    tg:includesActor <{ODD_IRI}> .

<{ODD_IRI}>
    a tg:Municipality ;
    skos:prefLabel {_quoted(UNICODE_LABEL)}@sv ;
    rdfs:label "Only Swedish has a preferred label"@en .

<{HUB}> a tg:CollaborationArena ; skos:prefLabel "Navet"@sv , "The hub"@en .
""" + "".join(
    f"<{BASE}id/test/member-{i:03d}> tg:throughArena <{HUB}> .\n"
    f"<{HUB}> org:hasMember <{BASE}id/test/member-{i:03d}> .\n" for i in range(HUB_LINKS)
)


def select(client: FlaskClient, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT, asked of the same store through the service's SPARQL endpoint."""
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [{k: v["value"] for k, v in b.items()}
            for b in response.get_json()["results"]["bindings"]]


def count(client: FlaskClient, query: str) -> int:
    return int(select(client, query)[0]["n"])


def construct(client: FlaskClient, query: str) -> rdflib.Graph:
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.get_data(as_text=True)
    graph = rdflib.Graph()
    graph.parse(data=response.get_data(as_text=True), format="nt")
    return graph


def parse(response, context: dict) -> rdflib.Graph:
    """Parse an answer by its media type; JSON-LD's remote context is put in place."""
    media = response.mimetype
    body = response.get_data(as_text=True)
    graph = rdflib.Graph()
    if media == "application/ld+json":
        document = json.loads(body)
        assert isinstance(document["@context"], str)
        assert document["@context"].endswith("/context.jsonld")
        document["@context"] = context["@context"]
        with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated class
            warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated",
                                    DeprecationWarning)
            graph.parse(data=json.dumps(document), format="json-ld")
        return graph
    names = {"text/turtle": "turtle", "application/n-triples": "nt",
             "application/rdf+xml": "xml"}
    graph.parse(data=body, format=names[media])
    return graph


# The five kinds of resource the issue names, and the ontology.
REGION, AGENCY, PRIORITY, REGULATION, ARENA = RESOURCES = [
    ID + "region/01", ID + "agency/tillvaxtverket", ID + "priority/kompetensforsorjning",
    ID + "regulation/sfs-2017-583", ID + "arena/reglab"]
