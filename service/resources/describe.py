"""A resource's description: what it says, what points at it, and where each fact is from.

Plain functions over the Store interface, so the views stay thin and tests can call them.
A description is the resource's outgoing and incoming triples (each side capped at
``CAP``), every one with the named graphs that hold it; the metadata graph maps a graph to
its source file and the source section it was derived from. Labels of everything the page
links to come from one batched query, never one query per link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

CAP = 500  # rows shown per side; resource_out.rq and resource_in.rq ask for CAP + 1
LABEL_BATCH = 400  # IRIs per labels query: one query for a page, a few for a big one
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DESCRIPTION_PROPERTIES = (SKOS + "definition", "http://purl.org/dc/terms/description",
                          "http://www.w3.org/2000/01/rdf-schema#comment")
LANGS = ("sv", "en")


def with_values(query: str, variable: str, terms: Iterable[Term]) -> str:
    """Fill the empty ``VALUES ?variable {}`` block of a query file with terms.

    For the one case bindings cannot express: many values for one variable. Each term is
    written by ``Term.to_ntriples()``, which escapes it so it cannot leave its place.
    """
    marker = f"VALUES ?{variable} {{}}"
    if marker not in query:
        raise ValueError(f"the query has no empty {marker} block to fill")
    block = " ".join(term.to_ntriples() for term in terms)
    return query.replace(marker, f"VALUES ?{variable} {{ {block} }}", 1)


@dataclass
class Statement:
    subject: Term
    predicate: Term
    object: Term
    graphs: list[str] = field(default_factory=list)


@dataclass
class Description:
    iri: str
    outgoing: list[Statement]
    incoming: list[Statement]
    more_outgoing: bool = False
    more_incoming: bool = False
    used_as_property: bool = False

    @property
    def found(self) -> bool:
        return bool(self.outgoing or self.incoming or self.used_as_property)

    def triples(self) -> list[tuple[Term, Term, Term]]:
        return [(s.subject, s.predicate, s.object) for s in self.outgoing + self.incoming]

    def linked_iris(self) -> list[str]:
        """Every IRI the page names: properties, values, subjects, and the resource."""
        seen = {self.iri: None}
        for statement in self.outgoing + self.incoming:
            for term in (statement.subject, statement.predicate, statement.object):
                if term.is_iri:
                    seen.setdefault(term.value, None)
        return list(seen)


def _statements(rows: list[dict[str, Term]]) -> tuple[list[Statement], bool]:
    """Rows of (s, p, o, g) folded into statements with all their graphs, capped."""
    more = len(rows) > CAP
    folded: dict[tuple[Term, Term, Term], Statement] = {}
    for row in rows[:CAP]:
        key = (row["s"], row["p"], row["o"])
        statement = folded.setdefault(key, Statement(*key))
        graph = row.get("g")
        if graph is not None and graph.value not in statement.graphs:
            statement.graphs.append(graph.value)
    return list(folded.values()), more


def describe(store: Store, iri: str) -> Description:
    """Outgoing and incoming triples of an IRI, and whether it is used as a property."""
    node = Term.iri(iri)
    _, out_rows = store.select(sparql("resource_out"), {"s": node})
    _, in_rows = store.select(sparql("resource_in"), {"o": node})
    _, used = store.select(sparql("resource_as_property"), {"p": node})
    outgoing, more_out = _statements(out_rows)
    incoming, more_in = _statements(in_rows)
    return Description(iri, outgoing, incoming, more_out, more_in, bool(used))


def more_query(direction: str, iri: str) -> str:
    """The SPARQL that lists every triple of one side (for the page's "more" link)."""
    name = "resource_more_out" if direction == "out" else "resource_more_in"
    text = sparql(name)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return with_values(body, "resource", [Term.iri(iri)])


# -- labels ---------------------------------------------------------------------------


@dataclass
class Labels:
    """Every label the store has for a set of IRIs, by kind (pref, label)."""

    found: dict[str, list[tuple[str, Term]]] = field(default_factory=dict)

    def pick(self, iri: str, lang: str) -> Term | None:
        """The label to show: a preferred label before any rdfs:label; among them the
        reader's language first, then Swedish, English, no language, any other."""
        options = self.found.get(iri)
        if not options:
            return None
        order = [lang, *(x for x in LANGS if x != lang), None]

        def rank(option: tuple[str, Term]) -> tuple[int, int, str]:
            kind, term = option
            try:
                position = order.index(term.lang)
            except ValueError:
                position = len(order)
            return (0 if kind == "pref" else 1, position, term.value)

        return min(options, key=rank)[1]

    def text(self, iri: str, lang: str) -> str | None:
        term = self.pick(iri, lang)
        return term.value if term else None


def labels_for(store: Store, iris: Iterable[str]) -> Labels:
    """Labels of many IRIs: one query per ``LABEL_BATCH`` of them."""
    wanted = [Term.iri(i) for i in dict.fromkeys(iris)]
    labels = Labels()
    for start in range(0, len(wanted), LABEL_BATCH):
        batch = wanted[start:start + LABEL_BATCH]
        _, rows = store.select(with_values(sparql("labels"), "x", batch))
        for row in rows:
            labels.found.setdefault(row["x"].value, []).append((row["kind"].value,
                                                                row["label"]))
    return labels


def pick_literal(values: Iterable[Term], lang: str) -> Term | None:
    """The literal to show from several: the reader's language, Swedish, English, any."""
    order = [lang, *(x for x in LANGS if x != lang), None]
    best = None
    for term in values:
        if not term.is_literal:
            continue
        rank = order.index(term.lang) if term.lang in order else len(order)
        if best is None or rank < best[0]:
            best = (rank, term)
    return best[1] if best else None


# -- provenance -----------------------------------------------------------------------


@dataclass
class Source:
    graph: str
    kind: str | None = None
    file: str | None = None
    section: str | None = None
    modified: str | None = None
    triples: int | None = None

    @property
    def file_name(self) -> str | None:
        return self.file.replace("\\", "/").rsplit("/", 1)[-1] if self.file else None


def graph_sources(store: Store) -> dict[str, Source]:
    """Every recorded source graph: its file, section, size and load time."""
    _, rows = store.select(sparql("graph_records"), {"meta": Term.iri(METADATA_GRAPH)})
    sources = {}
    for row in rows:
        graph = row["graph"].value
        sources[graph] = Source(
            graph, row["kind"].value, row["file"].value,
            row["section"].value if "section" in row else None,
            row["modified"].value, int(row["triples"].value),
        )
    return sources
