"""The ontology's documentation: every class and property, and the SHACL shapes on them.

Both graphs come from the store through SPARQL (``graph_triples.rq``), so the page shows
what is loaded; rdflib then walks them (lists, restrictions, nested shapes). Terms of
reused vocabularies are linked to where they are defined, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from tillvaxtgraf.service.links import resource_url
from tillvaxtgraf.service.resources.rdf import compact, graph_of, prefixes
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.names import ONTOLOGY_GRAPH, SHAPES_GRAPH
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

DCTERMS = "http://purl.org/dc/terms/"
VANN_NAMESPACE = URIRef("http://purl.org/vocab/vann/preferredNamespaceUri")
PROPERTY_KINDS = {OWL.ObjectProperty: "object", OWL.DatatypeProperty: "datatype",
                  OWL.AnnotationProperty: "annotation", RDF.Property: "property"}
CHARACTERISTICS = (OWL.FunctionalProperty, OWL.InverseFunctionalProperty,
                   OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.AsymmetricProperty,
                   OWL.ReflexiveProperty, OWL.IrreflexiveProperty)
RESTRICTION_WORDS = {OWL.someValuesFrom: "some", OWL.allValuesFrom: "only",
                     OWL.hasValue: "value", OWL.cardinality: "exactly",
                     OWL.qualifiedCardinality: "exactly", OWL.minCardinality: "min",
                     OWL.minQualifiedCardinality: "min", OWL.maxCardinality: "max",
                     OWL.maxQualifiedCardinality: "max"}
SHAPE_SKIP = {SH.path, SH.name, SH.message, SH.description, SH.order, SH.group}


def graph_triples(store: Store, graph: str) -> list[tuple[Term, Term, Term]]:
    _, rows = store.select(sparql("graph_triples"), {"g": Term.iri(graph)})
    return [(row["s"], row["p"], row["o"]) for row in rows]


def ontology_triples(store: Store) -> list[tuple[Term, Term, Term]]:
    return graph_triples(store, ONTOLOGY_GRAPH)


@dataclass
class Ref:
    """A link to a term: inside the ontology an anchor, elsewhere its own IRI."""

    iri: str
    text: str
    url: str
    internal: bool = False


Piece = Ref | str  # a rendered value is a sequence of links and plain text


@dataclass
class Constraint:
    path: list[Piece]
    name: str | None
    rules: list[tuple[str, list[Piece]]]
    messages: list[Literal]


@dataclass
class ShapeDoc:
    iri: str
    name: str
    labels: dict[str, str]
    constraints: list[Constraint]
    rules: list[tuple[str, list[Piece]]]  # node-level constraints
    messages: list[Literal]
    sparql: list[str]


@dataclass
class TermDoc:
    iri: str
    anchor: str
    kind: str  # class, object, datatype, annotation, property
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    alt_labels: list[Literal] = field(default_factory=list)
    supers: list[list[Piece]] = field(default_factory=list)
    subs: list[Ref] = field(default_factory=list)
    domains: list[list[Piece]] = field(default_factory=list)
    ranges: list[list[Piece]] = field(default_factory=list)
    inverse: list[Ref] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    domain_of: list[Ref] = field(default_factory=list)
    range_of: list[Ref] = field(default_factory=list)
    shapes: list[ShapeDoc] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("sv") or self.labels.get("en") or \
            self.anchor

    def definition(self, lang: str) -> str | None:
        return self.definitions.get(lang) or self.definitions.get("sv") or \
            self.definitions.get("en")

    def other_labels(self, lang: str) -> list[tuple[str, str]]:
        return [(code, text) for code, text in sorted(self.labels.items()) if code != lang]


@dataclass
class OntologyDoc:
    iri: str | None
    titles: dict[str, str]
    descriptions: dict[str, str]
    version: str | None
    license: Ref | None
    see_also: list[Ref]
    classes: list[TermDoc]
    properties: list[TermDoc]
    vocabularies: list[tuple[str, str]]  # prefix, namespace of reused vocabularies
    labels: dict[str, dict[str, str]]  # term IRI -> language -> label
    namespace: str | None


def _text(pair: tuple[Node, Node]) -> tuple[str, str]:
    return (str(pair[0]), str(pair[1]))


class _Renderer:
    def __init__(self, graph: Graph, namespace: str | None, known: dict[str, str]) -> None:
        self.graph = graph
        self.namespace = namespace
        self.known = known
        self.used_namespaces: set[str] = set()

    def ref(self, iri: str) -> Ref:
        text = compact(iri, self.known) or iri
        if self.namespace and iri.startswith(self.namespace) and len(iri) > len(self.namespace):
            return Ref(iri, text, "#" + iri[len(self.namespace):], internal=True)
        local = resource_url(iri)
        if local.startswith("/resource?"):  # not ours: link to where it is defined
            for namespace in self.known.values():
                if iri.startswith(namespace):
                    self.used_namespaces.add(namespace)
            return Ref(iri, text, iri)
        return Ref(iri, text, local)

    def node(self, node: Node, depth: int = 0) -> list[Piece]:
        """A term as pieces: a link, a literal, a list ( … ), or a blank node [ … ]."""
        if isinstance(node, URIRef):
            return [self.ref(str(node))]
        if isinstance(node, Literal):
            if node.datatype is None:  # a string: quoted, with its language
                return [f'"{node}"' + (f"@{node.language}" if node.language else "")]
            return [str(node)]
        if depth > 4:
            return ["[…]"]
        if (node, RDF.first, None) in self.graph:
            pieces: list[Piece] = ["("]
            for position, item in enumerate(Collection(self.graph, node)):
                pieces += ([" "] if position else []) + self.node(item, depth + 1)
            return [*pieces, ")"]
        union = self.graph.value(node, OWL.unionOf)
        if union is not None:
            pieces = []
            for position, item in enumerate(Collection(self.graph, union)):
                pieces += ([" or "] if position else []) + self.node(item, depth + 1)
            return pieces
        restriction = self.restriction(node)
        if restriction:
            return restriction
        pieces = ["["]
        for position, (p, o) in enumerate(sorted(self.graph.predicate_objects(node), key=_text)):
            pieces += ([" ; "] if position else [" "]) + [self.ref(str(p)), " "]
            pieces += self.node(o, depth + 1)
        return [*pieces, " ]"]

    def restriction(self, node: Node) -> list[Piece]:
        prop = self.graph.value(node, OWL.onProperty)
        if prop is None:
            return []
        for predicate, word in RESTRICTION_WORDS.items():
            value = self.graph.value(node, predicate)
            if value is not None:
                pieces = [self.ref(str(prop)), f" {word} ", *self.node(value)]
                on_class = self.graph.value(node, OWL.onClass)
                if on_class is not None:
                    pieces += [" ", *self.node(on_class)]
                return pieces
        return [self.ref(str(prop))]

    def texts(self, subject: Node, *predicates: URIRef) -> dict[str, str]:
        found: dict[str, str] = {}
        for predicate in predicates:
            for value in self.graph.objects(subject, predicate):
                if isinstance(value, Literal):
                    found.setdefault(value.language or "", str(value))
        return found


def _shape_rules(r: _Renderer, node: Node) -> list[tuple[str, list[Piece]]]:
    rules = []
    for p, o in sorted(r.graph.predicate_objects(node), key=_text):
        if p in SHAPE_SKIP or p in (RDF.type, SH.property, SH.targetClass, SH.sparql,
                                    RDFS.label, SH.declare, OWL.imports):
            continue
        if not str(p).startswith(str(SH)):
            continue
        rules.append((compact(str(p), r.known) or str(p), r.node(o)))
    return rules


def _shape(r: _Renderer, shape: Node) -> ShapeDoc:
    g = r.graph
    constraints = []
    for prop in g.objects(shape, SH.property):
        path = g.value(prop, SH.path)
        name = g.value(prop, SH.name)
        constraints.append(Constraint(
            r.node(path) if path is not None else ["?"],
            str(name) if name is not None else None,
            _shape_rules(r, prop),
            sorted(g.objects(prop, SH.message), key=str),
        ))
    constraints.sort(key=lambda c: "".join(x.text if isinstance(x, Ref) else x
                                           for x in c.path))
    sparql_texts = [str(g.value(c, SH.select)) for c in g.objects(shape, SH.sparql)
                    if g.value(c, SH.select) is not None]
    messages = sorted((m for c in g.objects(shape, SH.sparql) for m in g.objects(c, SH.message)),
                      key=str)
    iri = str(shape)
    return ShapeDoc(iri, compact(iri, r.known) or iri, r.texts(shape, RDFS.label), constraints,
                    _shape_rules(r, shape), messages, sparql_texts)


def ontology_doc(store: Store) -> OntologyDoc:
    """Documentation of the loaded ontology and shapes (computed once per store version)."""
    base = current_app.config["SETTINGS"].base_iri
    known = prefixes(base)
    graph = graph_of(ontology_triples(store) + graph_triples(store, SHAPES_GRAPH), base)
    ontology = next(graph.subjects(RDF.type, OWL.Ontology), None)
    namespace = None
    for candidate in graph.subjects(RDF.type, OWL.Ontology):
        preferred = graph.value(candidate, VANN_NAMESPACE)
        if preferred is not None:
            ontology, namespace = candidate, str(preferred)
    r = _Renderer(graph, namespace, known)

    def defined_here(node: Node) -> bool:
        return isinstance(node, URIRef) and bool(namespace) and str(node).startswith(namespace)

    terms: dict[URIRef, TermDoc] = {}
    for kind_node, kind in [(OWL.Class, "class"), (RDFS.Class, "class"),
                            *PROPERTY_KINDS.items()]:
        for subject in graph.subjects(RDF.type, kind_node):
            if defined_here(subject) and subject not in terms:
                iri = str(subject)
                terms[subject] = TermDoc(iri, iri[len(namespace or ""):], kind)
    for subject, doc in terms.items():
        doc.labels = r.texts(subject, SKOS.prefLabel, RDFS.label)
        doc.definitions = r.texts(subject, SKOS.definition, RDFS.comment)
        doc.alt_labels = sorted((x for x in graph.objects(subject, SKOS.altLabel)
                                 if isinstance(x, Literal)), key=lambda x: (x.language or "", x))
        upward = RDFS.subClassOf if doc.kind == "class" else RDFS.subPropertyOf
        doc.supers = [r.node(o) for o in sorted(graph.objects(subject, upward),
                                                key=lambda o: (isinstance(o, BNode), str(o)))]
        doc.subs = [r.ref(str(s)) for s in sorted(graph.subjects(upward, subject), key=str)
                    if isinstance(s, URIRef)]
        if doc.kind != "class":
            doc.domains = [r.node(o) for o in sorted(graph.objects(subject, RDFS.domain), key=str)]
            doc.ranges = [r.node(o) for o in sorted(graph.objects(subject, RDFS.range), key=str)]
            inverses = set(graph.objects(subject, OWL.inverseOf)) | set(
                graph.subjects(OWL.inverseOf, subject))
            doc.inverse = [r.ref(str(o)) for o in sorted(inverses, key=str)
                           if isinstance(o, URIRef)]
            doc.characteristics = [compact(str(c), known) or str(c) for c in CHARACTERISTICS
                                   if (subject, RDF.type, c) in graph]
            for key, target in ((RDFS.domain, "domain_of"), (RDFS.range, "range_of")):
                for value in graph.objects(subject, key):
                    members = [value]
                    union = graph.value(value, OWL.unionOf)
                    if union is not None:
                        members = list(Collection(graph, union))
                    for member in members:
                        if member in terms:
                            getattr(terms[member], target).append(r.ref(str(subject)))
    for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
        shape_doc = _shape(r, shape)
        for target in graph.objects(shape, SH.targetClass):
            if target in terms:
                terms[target].shapes.append(shape_doc)
    for doc in terms.values():
        doc.domain_of.sort(key=lambda x: x.text)
        doc.range_of.sort(key=lambda x: x.text)
    ordered = sorted(terms.values(), key=lambda d: d.anchor.casefold())
    license_node = graph.value(ontology, URIRef(DCTERMS + "license")) if ontology else None
    version = graph.value(ontology, OWL.versionInfo) if ontology else None
    see_also = sorted(graph.objects(ontology, RDFS.seeAlso), key=str) if ontology else []
    return OntologyDoc(
        iri=str(ontology) if ontology else None,
        titles=r.texts(ontology, URIRef(DCTERMS + "title"), RDFS.label) if ontology else {},
        descriptions=r.texts(ontology, URIRef(DCTERMS + "description")) if ontology else {},
        version=str(version) if version else None,
        license=r.ref(str(license_node)) if isinstance(license_node, URIRef) else None,
        see_also=[r.ref(str(x)) for x in see_also if isinstance(x, URIRef)],
        classes=[d for d in ordered if d.kind == "class"],
        properties=[d for d in ordered if d.kind != "class"],
        vocabularies=sorted((p, ns) for p, ns in known.items() if ns in r.used_namespaces),
        labels={d.iri: d.labels for d in ordered},
        namespace=namespace,
    )
