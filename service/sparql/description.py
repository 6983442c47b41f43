"""The SPARQL 1.1 Service Description of this endpoint, as an RDF graph."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from tillvaxtgraf import __version__
from tillvaxtgraf.settings import Settings

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "N-Quads", "TriG", "RDF_XML",
                  "JSON-LD"]
GRAPH_SERIALIZATIONS = {"turtle": "turtle", "jsonld": "json-ld", "rdfxml": "xml",
                        "ntriples": "nt"}


def describe_service(endpoint: str, settings: Settings, named_graphs: list[str],
                     void_url: str | None = None) -> Graph:
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("dcterms", DCTERMS)
    service = URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, DCTERMS.title, Literal("tillvaxtgraf SPARQL endpoint", lang="en")))
    graph.add((service, DCTERMS.title, Literal("tillvaxtgrafs SPARQL-ändpunkt", lang="sv")))
    graph.add((service, DCTERMS.hasVersion, Literal(__version__)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if settings.write_token:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    for name in ("Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        graph.add((service, SD.inputFormat, FORMATS[name]))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings.service_allow:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode()
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, DCTERMS.description, Literal(
        "The default graph is the union of all named graphs.", lang="en")))
    if void_url:
        graph.add((dataset, VOID.inDataset, URIRef(void_url)))
    for name in named_graphs:
        node = BNode()
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, URIRef(name)))
    return graph
