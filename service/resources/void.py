"""The dataset description (VoID and DCAT), counted with SPARQL once per store version.

Definitions, so that anyone can check the numbers with the same SPARQL:

- ``void:triples`` of the dataset: triples summed over its named graphs (``GRAPH ?g``); a
  triple held by two graphs counts twice, whichever way a backend builds its union.
- ``void:triples`` of a graph: the count the metadata graph recorded when the loader wrote
  it (cheap on a big store); counted with SPARQL for graphs without a record.
- ``void:entities``: distinct IRI subjects in the URI space ``{base}id/``.
- ``void:classes`` / ``void:properties``: distinct classes used with ``rdf:type`` and
  distinct properties; their partitions give entities per class and triples per property.

The distinct counts scan the store; a store too big to count in the query time limit gets
a description without them rather than an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, VOID, XSD

from tillvaxtgraf.errors import QueryTimeout
from tillvaxtgraf.service.resources.describe import Source, graph_sources
from tillvaxtgraf.service.resources.rdf import new_graph, prefixes
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.names import ONTOLOGY
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

log = logging.getLogger(__name__)
SD = "http://www.w3.org/ns/sparql-service-description#"
TITLES = {"sv": "Tillväxtgraf – kunskapsgraf över det regionala tillväxtarbetet",
          "en": "Tillväxtgraf – knowledge graph of Swedish regional growth work"}
DESCRIPTIONS = {
    "sv": "Aktörer, strategier, prioriteringar, författningar, finansiering och "
          "samverkansarenor i det regionala tillväxtarbetet i Sverige, med källor.",
    "en": "Actors, strategies, priorities, regulations, funding and collaboration arenas of "
          "Swedish regional growth work, with their sources.",
}
MAX_EXAMPLES = 8
TURTLE_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/text/turtle"


@dataclass
class GraphCount:
    iri: str
    triples: int
    recorded: bool
    source: Source | None = None


@dataclass
class DatasetStats:
    uri_space: str
    triples: int
    graphs: list[GraphCount]
    entities: int | None = None
    classes: list[tuple[str, int]] | None = None  # class IRI, distinct instances
    properties: list[tuple[str, int]] | None = None  # property IRI, triples
    examples: list[str] = field(default_factory=list)
    license: str | None = None
    modified: str | None = None
    vocabularies: list[str] = field(default_factory=list)


def _count(rows: list[dict[str, Term]], name: str = "n") -> int:
    return int(rows[0][name].value) if rows and name in rows[0] else 0


def _pairs(store: Store, query: str, key: str, value: str) -> list[tuple[str, int]] | None:
    try:
        _, rows = store.select(sparql(query))
    except QueryTimeout:
        log.warning("%s: the store is too big to count within the time limit", query)
        return None
    return [(row[key].value, int(row[value].value)) for row in rows if key in row]


def _namespace(iri: str, known: dict[str, str]) -> str:
    matches = [ns for ns in known.values() if iri.startswith(ns)]
    if matches:
        return max(matches, key=len)
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1] if cut > 0 else iri


def dataset_stats(store: Store) -> DatasetStats:
    """Count what the dataset description states (call once per store version)."""
    base = current_app.config["SETTINGS"].base_iri
    sources = graph_sources(store)
    _, graph_rows = store.select(sparql("named_graphs"))
    graphs = []
    for row in graph_rows:
        iri = row["g"].value
        source = sources.get(iri)
        if source is not None and source.triples is not None:
            graphs.append(GraphCount(iri, source.triples, True, source))
        else:
            _, counted = store.select(sparql("count_graph"), {"g": row["g"]})
            graphs.append(GraphCount(iri, _count(counted), False, source))
    stats = DatasetStats(base + "id/", sum(g.triples for g in graphs), graphs)
    try:
        _, rows = store.select(sparql("void_entities"), {"space": Term.literal(stats.uri_space)})
        stats.entities = _count(rows)
    except QueryTimeout:
        log.warning("void:entities: the store is too big to count within the time limit")
    stats.classes = _pairs(store, "void_classes", "class", "entities")
    stats.properties = _pairs(store, "void_properties", "property", "triples")
    _, rows = store.select(sparql("void_examples"), {"ontology": Term.iri(ONTOLOGY)})
    stats.examples = [row["example"].value for row in rows if "example" in row][:MAX_EXAMPLES]
    _, rows = store.select(sparql("ontology_license"), {"ontology": Term.iri(ONTOLOGY)})
    stats.license = rows[0]["license"].value if rows and rows[0]["license"].is_iri else None
    stamps = [s.modified for s in sources.values() if s.modified]
    stats.modified = max(stamps) if stamps else None
    known = prefixes(base)
    used = [iri for iri, _ in (stats.classes or []) + (stats.properties or [])]
    stats.vocabularies = sorted({_namespace(iri, known) for iri in used})
    return stats


def dataset_graph(stats: DatasetStats, urls: dict[str, str], base: str) -> Graph:
    """The VoID/DCAT description as RDF; ``urls`` names this service's addresses."""
    graph = new_graph(base)
    doc = URIRef(urls["void"])
    dataset = URIRef(urls["void"] + "#dataset")
    endpoint = URIRef(urls["sparql"])
    add = graph.add
    add((doc, RDF.type, VOID.DatasetDescription))
    add((doc, FOAF.primaryTopic, dataset))
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, RDF.type, DCAT.Dataset))
    for lang, text in TITLES.items():
        add((dataset, DCTERMS.title, Literal(text, lang=lang)))
        add((doc, DCTERMS.title, Literal(text, lang=lang)))
    for lang, text in DESCRIPTIONS.items():
        add((dataset, DCTERMS.description, Literal(text, lang=lang)))
    if stats.license:
        add((dataset, DCTERMS.license, URIRef(stats.license)))
    if stats.modified:
        add((dataset, DCTERMS.modified, Literal(stats.modified, datatype=XSD.dateTime)))
    add((dataset, FOAF.homepage, URIRef(urls["root"])))
    add((dataset, DCAT.landingPage, URIRef(urls["root"])))
    add((dataset, VOID.sparqlEndpoint, endpoint))
    add((dataset, VOID.uriSpace, Literal(stats.uri_space)))
    add((dataset, VOID.triples, Literal(stats.triples)))
    for name, value in (("entities", stats.entities),
                        ("classes", None if stats.classes is None else len(stats.classes)),
                        ("properties",
                         None if stats.properties is None else len(stats.properties))):
        if value is not None:
            add((dataset, VOID[name], Literal(value)))
    for vocabulary in stats.vocabularies:
        add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for example in stats.examples:
        add((dataset, VOID.exampleResource, URIRef(example)))
    for iri, count in stats.classes or []:
        node = BNode()
        add((dataset, VOID.classPartition, node))
        add((node, VOID["class"], URIRef(iri)))
        add((node, VOID.entities, Literal(count)))
    for iri, count in stats.properties or []:
        node = BNode()
        add((dataset, VOID.propertyPartition, node))
        add((node, VOID.property, URIRef(iri)))
        add((node, VOID.triples, Literal(count)))
    add((endpoint, RDF.type, DCAT.DataService))
    add((endpoint, RDF.type, URIRef(SD + "Service")))
    add((endpoint, URIRef(SD + "endpoint"), endpoint))
    add((endpoint, DCAT.endpointURL, endpoint))
    add((endpoint, DCAT.servesDataset, dataset))
    add((dataset, DCAT.distribution, _distribution(graph, endpoint, None)))
    for count in stats.graphs:
        subset = URIRef(count.iri)
        add((dataset, VOID.subset, subset))
        add((subset, RDF.type, VOID.Dataset))
        add((subset, VOID.triples, Literal(count.triples)))
        add((subset, VOID.sparqlEndpoint, endpoint))
        dump = URIRef(urls["graph_store"] + "?graph=" + quote(count.iri, safe=""))
        add((subset, VOID.dataDump, dump))
        add((subset, DCAT.distribution, _distribution(graph, None, dump)))
        source = count.source
        if source is not None:
            if source.file_name:
                add((subset, DCTERMS.source, Literal(source.file_name)))
            if source.section:
                add((subset, PROV.wasDerivedFrom, URIRef(source.section)))
            if source.modified:
                add((subset, DCTERMS.modified, Literal(source.modified,
                                                       datatype=XSD.dateTime)))
    return graph


def _distribution(graph: Graph, service: URIRef | None, download: URIRef | None) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, DCAT.Distribution))
    if service is not None:
        graph.add((node, DCAT.accessService, service))
        graph.add((node, DCAT.accessURL, service))
    if download is not None:
        graph.add((node, DCAT.downloadURL, download))
        graph.add((node, DCAT.mediaType, URIRef(TURTLE_MEDIA_TYPE)))
    return node
