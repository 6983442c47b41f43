"""What the search index needs from the data, gathered from RDF statements in one pass.

The index is built from statements, wherever they come from: the files a load is putting
into the store (read while the store bulk-loads them, so the index costs little extra
time), or the graphs of a store (``reindex``, the remote backend, graphs a load keeps).
Reading statements once and sorting them here replaces six SPARQL queries over the whole
store, whose term decoding cost more than the bulk load itself.

The metadata graph (provenance of loads) is not the domain and is never gathered: it
would change the index on every load.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from sys import intern

import pyoxigraph as ox

from tillvaxtgraf.store.names import SKOS

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = RDF + "type"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"

# What people type to find an entity, with the weight a match on it carries.
NAME_WEIGHT = {
    SKOS + "prefLabel": 5.0,
    SKOS + "altLabel": 4.0,
    RDFS + "label": 3.0,
    SKOS + "hiddenLabel": 2.0,
    SKOS + "notation": 1.0,
    TG + "countyCode": 1.0,
    TG + "municipalityCode": 1.0,
    TG + "organisationNumber": 1.0,
    TG + "caseNumber": 1.0,
}
# Subjects whose names are vocabulary, not things to find.
NOT_SEARCHED = ("https://w3id.org/tillvaxtgraf/ontology", "https://w3id.org/tillvaxtgraf/shapes")
DESCRIPTION = (DCTERMS + "description", SKOS + "definition")
# Links that are bookkeeping rather than relations (store/sparql/neighbours.rq agrees).
NOT_LINKS = frozenset({
    RDFS + "isDefinedBy", RDFS + "seeAlso", PROV + "wasGeneratedBy", PROV + "wasDerivedFrom",
    DCTERMS + "source", SKOS + "exactMatch", SKOS + "inScheme", SKOS + "topConceptOf",
    SKOS + "hasTopConcept",
})
PROPERTY_KINDS = frozenset({OWL + "ObjectProperty", OWL + "DatatypeProperty", RDF + "Property"})
PROPERTY_LABELS = (SKOS + "prefLabel", RDFS + "label")
_NAMED, _LITERAL = ox.NamedNode, ox.Literal
# Importance counts the links to an entity only for data of at most this many named
# entities (curated data); for millions of generated projects the kind alone weighs one.
DEGREE_LIMIT_ENTITIES = 20_000


# What a predicate's statements are besides links (IndexFacts._rule).
_PLAIN, _TYPE, _SUBCLASS, _INVERSE, _NAME, _DESCRIPTION = range(6)


class Cancelled(Exception):
    """Gathering was stopped because the load it served failed."""


class IndexFacts:
    """Statements sorted into what the index builder reads; terms kept as plain strings.

    IRIs are numbered as they are first met and links kept as three arrays of those
    numbers: a million links take 24 MB, not the 200 MB of tuples of strings.
    """

    def __init__(self, cancel: threading.Event | None = None) -> None:
        self.cancel = cancel
        self.number: dict[str, int] = {}
        self.iris: list[str] = []
        self.link_s, self.link_p, self.link_o = array("i"), array("i"), array("i")
        # (entity, predicate, text, lang) of every name; labels of vocabulary terms apart
        self.names: list[tuple[str, str, str, str]] = []
        self.vocabulary_labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.descriptions: list[tuple[str, str, str]] = []
        self.classes: set[str] = set()
        self.subclass: dict[str, set[str]] = defaultdict(set)
        self.properties: set[str] = set()
        self.inverses: dict[str, set[str]] = defaultdict(set)
        # How many statements point at each IRI: an entity's importance, but only while
        # there are few named entities (curated data); counted until there are more.
        self.degree: Counter[str] | None = Counter()
        self.named: set[str] | None = set()
        self.rules: dict[str, tuple[int, int]] = {}

    def _id(self, iri: str) -> int:
        found = self.number.get(iri)
        if found is None:
            found = self.number[iri] = len(self.iris)
            self.iris.append(iri)
        return found

    def _rule(self, predicate: str) -> tuple[int, int]:
        """What a predicate's statements give: its link number (-1: not a link) and which
        of the special cases it is."""
        special = {RDF_TYPE: _TYPE, RDFS + "subClassOf": _SUBCLASS,
                   OWL + "inverseOf": _INVERSE}.get(predicate, _PLAIN)
        if predicate in NAME_WEIGHT:
            special = _NAME
        elif predicate in DESCRIPTION:
            special = _DESCRIPTION
        return (-1 if predicate in NOT_LINKS else self._id(predicate)), special

    def add(self, quads: Iterable[ox.Quad | ox.Triple], origin: str = "") -> int:
        """Sort ``quads`` into the facts; ``origin`` keeps blank nodes of different
        sources apart. Returns how many statements were read.

        The loop runs once per statement of every load (millions): each predicate's rule
        is worked out once, and a statement is looked at no more than its rule needs."""
        names, descriptions, degree = self.names, self.descriptions, self.degree
        link_s, link_p, link_o, ident = self.link_s, self.link_p, self.link_o, self._id
        rules, rule_of, cancel = self.rules, self._rule, self.cancel
        count = 0
        for count, quad in enumerate(quads, start=1):
            if cancel is not None and not count & 0xFFFF and cancel.is_set():
                raise Cancelled
            o = quad.object
            p = quad.predicate.value
            rule = rules.get(p)
            if rule is None:
                rule = rules[p] = rule_of(p)
            link, special = rule
            o_type = type(o)
            if o_type is _NAMED:
                o_iri = o.value
                if degree is not None:
                    degree[o_iri] += 1
                s = quad.subject
                if type(s) is _NAMED:
                    s_iri = s.value
                    if link >= 0:
                        link_s.append(ident(s_iri))
                        link_p.append(link)
                        link_o.append(ident(o_iri))
                    if special is _PLAIN:
                        continue
                    if special is _TYPE:
                        if o_iri == OWL + "Class":
                            self.classes.add(s_iri)
                        elif o_iri in PROPERTY_KINDS:
                            self.properties.add(s_iri)
                    elif special is _SUBCLASS:
                        self.subclass[s_iri].add(o_iri)
                    elif special is _INVERSE:
                        self.inverses[s_iri].add(o_iri)
                elif special is _SUBCLASS:
                    self.subclass[_node(s, origin)].add(o_iri)
            elif o_type is _LITERAL:
                if special is not _NAME and special is not _DESCRIPTION:
                    continue
                s = quad.subject
                if type(s) is not _NAMED:
                    continue
                s_iri = intern(s.value)  # one string for an IRI, however often met
                if special is _DESCRIPTION:
                    descriptions.append((s_iri, o.value, intern(o.language or "")))
                elif s_iri.startswith(NOT_SEARCHED):
                    if p in PROPERTY_LABELS:
                        self.vocabulary_labels[s_iri].append((o.value, o.language or ""))
                else:
                    names.append((s_iri, intern(p), o.value, intern(o.language or "")))
                    if degree is not None:
                        named = self.named
                        named.add(s_iri)
                        if len(named) > DEGREE_LIMIT_ENTITIES:
                            self.degree = self.named = degree = None
            elif special is _SUBCLASS:
                self.subclass[_node(quad.subject, origin)].add(_node(o, origin))
        return count

    def add_file(self, path: str | Path, rdf_format: ox.RdfFormat) -> int:
        return self.add(ox.parse(path=str(path), format=rdf_format), origin=str(path))

    def class_tree(self) -> dict[str, set[str]]:
        """Each class (an IRI typed owl:Class) with every superclass, itself included,
        as ``?class rdfs:subClassOf* ?super`` over all the statements gives it."""
        tree: dict[str, set[str]] = {}
        for cls in self.classes:
            seen, todo = {cls}, [cls]
            while todo:
                for parent in self.subclass.get(todo.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            tree[cls] = {node for node in seen if not node.startswith("_:")}
        return tree

    def property_labels(self) -> list[tuple[str, str, str, str]]:
        """(property, label, lang, inverse) for every typed property with a label."""
        labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for iri, predicate, text, lang in self.names:
            if predicate in PROPERTY_LABELS and iri in self.properties:
                labels[iri].append((text, lang))
        rows = []
        for prop in sorted(self.properties):
            found = labels.get(prop) or self.vocabulary_labels.get(prop, ())
            for text, lang in dict.fromkeys(found):
                for inverse in sorted(self.inverses.get(prop, ())) or [""]:
                    rows.append((prop, text, lang, inverse))
        return rows


def _node(term: ox.NamedNode | ox.BlankNode | ox.Literal, origin: str) -> str:
    """A class node as a string: blank nodes prefixed so two sources' never meet."""
    if type(term) is _NAMED:
        return term.value
    return f"_:{origin}#{term.value}"
