"""RDF documents of the linked-data surface: formats, prefixes, the JSON-LD context.

Every machine-readable answer here (a resource's description, the ontology, the dataset
description) is an rdflib graph written in one of four formats, with the prefixes the
ontology declares; JSON-LD refers to the published context at ``/context.jsonld`` instead
of repeating it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from tillvaxtgraf.service.sparql.description import GRAPH_SERIALIZATIONS
from tillvaxtgraf.store.base import GRAPH_FORMATS
from tillvaxtgraf.store.terms import RDF_LANG_STRING, XSD_STRING, Term

# File extension -> format name; the order is the order of the download links.
EXTENSIONS = {"html": "html", "ttl": "turtle", "jsonld": "jsonld", "rdf": "rdfxml",
              "nt": "ntriples"}
FORMAT_EXTENSIONS = {name: ext for ext, name in EXTENSIONS.items()}
FORMAT_LABELS = {"html": "HTML", "turtle": "Turtle", "jsonld": "JSON-LD", "rdfxml": "RDF/XML",
                 "ntriples": "N-Triples"}
# Media types offered by content negotiation, in the server's order of preference (a tie,
# or Accept: */*, gives the first): people first, then the formats machines ask for. The
# first media type of a format is the one it is sent as; the others are aliases that
# count only when a client names them (see negotiation.choose_format).
OFFERED = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/n-triples": "ntriples",
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "text/plain": "ntriples",
}
MEDIA_TYPES = {"html": "text/html", **{name: GRAPH_FORMATS[name] for name in
                                       ("turtle", "jsonld", "rdfxml", "ntriples")}}

# Vocabularies the service itself writes (dataset and service descriptions).
SERVICE_PREFIXES = {
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
_PREFIX_LINE = re.compile(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]+)>\s*\.", re.MULTILINE)


@cache
def ontology_prefixes() -> dict[str, str]:
    """The prefixes the ontology and shapes files declare, in their order."""
    found: dict[str, str] = {}
    folder = resources.files("tillvaxtgraf.ontology")
    for name in ("tillvaxtgraf.ttl", "shapes.ttl"):
        text = folder.joinpath(name).read_text(encoding="utf-8")
        for prefix, namespace in _PREFIX_LINE.findall(text):
            if prefix:
                found.setdefault(prefix, namespace)
    return found


def prefixes(base_iri: str) -> dict[str, str]:
    """Every prefix the documents use: the ontology's, the service's, and ``tgid:``."""
    return {**ontology_prefixes(), **SERVICE_PREFIXES, "tgid": base_iri + "id/"}


def jsonld_context(base_iri: str) -> dict[str, object]:
    """The published context: one prefix definition per namespace."""
    return {"@context": dict(sorted(prefixes(base_iri).items()))}


def compact(iri: str, known: dict[str, str]) -> str | None:
    """``prefix:local`` for an IRI in a known namespace (the longest namespace wins)."""
    best = None
    for prefix, namespace in known.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace):]
            if re.fullmatch(r"[\w.-]*[\w-]", local) and (
                best is None or len(namespace) > len(known[best])
            ):
                best = prefix
    return f"{best}:{iri[len(known[best]):]}" if best else None


def to_node(term: Term) -> Node:
    """An rdflib node for a backend-neutral term (plain strings without xsd:string)."""
    if term.kind == "uri":
        return URIRef(term.value)
    if term.kind == "bnode":
        return BNode(term.value)
    if term.lang:
        return Literal(term.value, lang=term.lang)
    datatype = term.datatype if term.datatype not in (None, XSD_STRING, RDF_LANG_STRING) else None
    return Literal(term.value, datatype=URIRef(datatype) if datatype else None)


def new_graph(base_iri: str) -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in prefixes(base_iri).items():
        graph.bind(prefix, namespace, override=True)
    return graph


def graph_of(triples: Iterable[tuple[Term, Term, Term]], base_iri: str) -> Graph:
    graph = new_graph(base_iri)
    for s, p, o in triples:
        graph.add((to_node(s), to_node(p), to_node(o)))
    return graph


class Unwritable(ValueError):
    """The graph cannot be written in the format asked for (e.g. RDF/XML needs QNames)."""


def serialize(graph: Graph, rdf_format: str, *, base_iri: str, context_url: str) -> str:
    """The graph as text; JSON-LD compacted with, and pointing at, the published context."""
    if rdf_format == "jsonld":
        context = jsonld_context(base_iri)["@context"]
        document = json.loads(graph.serialize(format="json-ld", context=context))
        if isinstance(document, dict):
            document["@context"] = context_url
        else:  # an empty graph is written as an empty list
            document = {"@context": context_url, "@graph": document}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        return graph.serialize(format=GRAPH_SERIALIZATIONS[rdf_format])
    except ValueError as exc:  # rdflib cannot split a property IRI into a QName
        raise Unwritable(str(exc)) from None
