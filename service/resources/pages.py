"""What a resource page shows, worked out from a description (no Flask request here).

The template gets groups of values per property, each value with its label, its local
link and the graphs it comes from; the texts of the page in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tillvaxtgraf.service.resources.describe import (
    DESCRIPTION_PROPERTIES,
    RDF_TYPE,
    Description,
    Labels,
    Source,
    Statement,
    pick_literal,
)
from tillvaxtgraf.service.resources.rdf import compact
from tillvaxtgraf.store.terms import RDF_LANG_STRING, XSD_STRING, Term

TEXTS = {
    "sv": {
        "types": "Typer", "outgoing": "Egenskaper och relationer",
        "incoming": "Relationer hit", "property": "Egenskap", "value": "Värde",
        "subject": "Från", "source": "Källa", "sources": "Källor",
        "downloads": "Ladda ner", "iri": "IRI", "more": "Visa alla i en SPARQL-fråga",
        "capped": "Visar de första {n}.", "graph": "Graf", "file": "Fil",
        "section": "Avsnitt", "loaded": "Inläst", "triples": "Tripler",
        "none_out": "Resursen har inga egna tripler här.",
        "none_in": "Inget pekar hit.", "language": "Språk",
        "used_as_property": "IRI:n används som egenskap i datat.",
        "external": "IRI:n ligger utanför den här tjänstens namnrymd; öppna den hos sin källa:",
        "graph_contents": "Grafens innehåll", "graph_size": "{n} tripler",
        "graph_download": "Hämta grafen (Graph Store Protocol)",
        "not_found": "Okänd IRI", "not_found_text": "Det finns inget om den här IRI:n här.",
        "did_you_mean": "Menade du", "search": "Sök", "blank": "blank nod",
        "invalid_iri": "inte en giltig absolut IRI",
        "ontology": "Ontologi", "classes": "Klasser", "properties": "Egenskaper",
        "superclasses": "Överklasser", "subclasses": "Underklasser",
        "superproperties": "Överegenskaper", "subproperties": "Underegenskaper",
        "domain": "Domän", "range": "Värdemängd", "inverse": "Invers",
        "characteristics": "Egenskapstyp", "domain_of": "Domän för",
        "range_of": "Värdemängd för", "shapes": "SHACL-villkor", "path": "Väg",
        "rules": "Villkor", "message": "Meddelande", "version": "Version",
        "license": "Licens", "reused": "Återanvända vokabulär", "alt_labels": "Andra namn",
        "kind_class": "klass", "kind_object": "objektegenskap",
        "kind_datatype": "dataegenskap", "kind_annotation": "annotationsegenskap",
        "kind_property": "egenskap", "namespace": "Namnrymd", "prefix": "Prefix",
        "dataset": "Datamängd", "entities": "Entiteter", "graphs": "Namngivna grafer",
        "endpoint": "SPARQL-ändpunkt", "examples": "Exempelresurser",
        "vocabularies": "Vokabulär som används", "modified": "Senast ändrad",
        "instances": "Instanser", "recorded": "enligt metadatagrafen",
        "counted": "räknat", "description_rdf": "Beskrivningen som RDF",
        "class_partitions": "Klasser i bruk", "property_partitions": "Egenskaper i bruk",
    },
    "en": {
        "types": "Types", "outgoing": "Properties and relations",
        "incoming": "Relations to this", "property": "Property", "value": "Value",
        "subject": "From", "source": "Source", "sources": "Sources",
        "downloads": "Download", "iri": "IRI", "more": "See all in a SPARQL query",
        "capped": "Showing the first {n}.", "graph": "Graph", "file": "File",
        "section": "Section", "loaded": "Loaded", "triples": "Triples",
        "none_out": "The resource has no triples of its own here.",
        "none_in": "Nothing points here.", "language": "Language",
        "used_as_property": "The IRI is used as a property in the data.",
        "external": "The IRI is outside this service's namespace; open it at its origin:",
        "graph_contents": "Contents of the graph", "graph_size": "{n} triples",
        "graph_download": "Get the graph (Graph Store Protocol)",
        "not_found": "Unknown IRI", "not_found_text": "Nothing is known about this IRI here.",
        "did_you_mean": "Did you mean", "search": "Search", "blank": "blank node",
        "invalid_iri": "not a valid absolute IRI",
        "ontology": "Ontology", "classes": "Classes", "properties": "Properties",
        "superclasses": "Superclasses", "subclasses": "Subclasses",
        "superproperties": "Superproperties", "subproperties": "Subproperties",
        "domain": "Domain", "range": "Range", "inverse": "Inverse",
        "characteristics": "Characteristics", "domain_of": "Domain of",
        "range_of": "Range of", "shapes": "SHACL constraints", "path": "Path",
        "rules": "Constraints", "message": "Message", "version": "Version",
        "license": "Licence", "reused": "Reused vocabularies", "alt_labels": "Other names",
        "kind_class": "class", "kind_object": "object property",
        "kind_datatype": "datatype property", "kind_annotation": "annotation property",
        "kind_property": "property", "namespace": "Namespace", "prefix": "Prefix",
        "dataset": "Dataset", "entities": "Entities", "graphs": "Named graphs",
        "endpoint": "SPARQL endpoint", "examples": "Example resources",
        "vocabularies": "Vocabularies used", "modified": "Last modified",
        "instances": "Instances", "recorded": "as recorded in the metadata graph",
        "counted": "counted", "description_rdf": "The description as RDF",
        "class_partitions": "Classes in use", "property_partitions": "Properties in use",
    },
}


@dataclass
class GraphRef:
    iri: str
    url: str
    name: str
    source: Source | None = None


@dataclass
class Shown:
    """A term as the page shows it: text, language, datatype, link."""

    term: Term
    text: str
    lang: str | None = None
    datatype: str | None = None  # compact name, only for typed literals
    url: str | None = None
    labelled: bool = False  # text is a label (not the IRI itself)
    graphs: list[GraphRef] = field(default_factory=list)


@dataclass
class Group:
    property: Shown
    values: list[Shown]


@dataclass
class ResourcePage:
    iri: str
    title: Shown
    types: list[Shown]
    description: Term | None
    outgoing: list[Group]
    incoming: list[Group]
    sources: list[GraphRef]
    description_of: Description


class Shower:
    """Turns terms into what the page shows, with one set of labels and prefixes."""

    def __init__(self, labels: Labels, lang: str, prefixes: dict[str, str],
                 url_for_iri: Callable[[str], str], sources: dict[str, Source]) -> None:
        self.labels = labels
        self.lang = lang
        self.prefixes = prefixes
        self.url_for_iri = url_for_iri
        self.sources = sources
        self.graph_refs: dict[str, GraphRef] = {}

    def name(self, iri: str) -> str:
        return compact(iri, self.prefixes) or iri

    def term(self, term: Term) -> Shown:
        if term.is_iri:
            label = self.labels.pick(term.value, self.lang)
            if label is not None:
                return Shown(term, label.value, label.lang, url=self.url_for_iri(term.value),
                             labelled=True)
            return Shown(term, self.name(term.value), url=self.url_for_iri(term.value))
        if term.kind == "bnode":
            return Shown(term, "_:" + term.value)
        datatype = None
        if term.datatype not in (None, XSD_STRING, RDF_LANG_STRING):
            datatype = self.name(term.datatype)
        return Shown(term, term.value, term.lang, datatype)

    def graph(self, iri: str) -> GraphRef:
        ref = self.graph_refs.get(iri)
        if ref is None:
            source = self.sources.get(iri)
            name = iri.rsplit("/graph/", 1)[-1] if "/graph/" in iri else self.name(iri)
            ref = GraphRef(iri, self.url_for_iri(iri), name, source)
            self.graph_refs[iri] = ref
        return ref

    def value(self, term: Term, statement: Statement) -> Shown:
        shown = self.term(term)
        shown.graphs = [self.graph(g) for g in statement.graphs]
        return shown

    def groups(self, statements: list[Statement], incoming: bool) -> list[Group]:
        by_property: dict[Term, list[Shown]] = {}
        for statement in statements:
            other = statement.subject if incoming else statement.object
            by_property.setdefault(statement.predicate, []).append(self.value(other, statement))
        groups = [Group(self.term(p), sorted(v, key=lambda s: (s.text.casefold(), s.text)))
                  for p, v in by_property.items()]
        return sorted(groups, key=lambda g: (g.property.term.value != RDF_TYPE,
                                             g.property.text.casefold(), g.property.term.value))


def resource_page(description: Description, shower: Shower) -> ResourcePage:
    iri = description.iri
    title = shower.term(Term.iri(iri))
    types = [shower.term(s.object) for s in description.outgoing
             if s.predicate.value == RDF_TYPE and s.object.is_iri]
    about = pick_literal((s.object for s in description.outgoing
                          if s.predicate.value in DESCRIPTION_PROPERTIES), shower.lang)
    outgoing = shower.groups(description.outgoing, incoming=False)
    incoming = shower.groups(description.incoming, incoming=True)
    sources = sorted(shower.graph_refs.values(), key=lambda r: r.iri)
    return ResourcePage(iri, title, types, about, outgoing, incoming, sources, description)
