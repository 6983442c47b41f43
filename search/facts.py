"""What the search index needs from the data, gathered from RDF statements in one pass.

The index is built from statements, wherever they come from: the files a load is putting
into the store (read while the store bulk-loads them, so the index costs little extra
time), or the graphs of a store (``reindex``, the remote backend, graphs a load keeps).
Reading statements once and sorting them here replaces six SPARQL queries over the whole
store, whose term decoding cost more than the bulk load itself.

What is gathered goes to a SQLite staging file beside the index as it is read (links,
types, names, descriptions, the IRIs' numbers), in batches: the memory it takes does not
grow with the data, which matters because the gathering runs beside pyoxigraph's bulk
loader, at its busiest (bench/README.md, "Projects and funding"). Only the vocabulary
(classes, properties and their labels) stays in Python. ``search/build.py`` aggregates
the staged facts inside SQLite.

The metadata graph (provenance of loads) is not the domain and is never gathered: it
would change the index on every load.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

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
# The IRIs numbered in Python at a time; then their numbers go to the staging file and
# numbering starts afresh (an IRI met again later gets a second number, which the build
# maps to its first). About 25 MB at most.
NUMBERED_IN_MEMORY = 1 << 17
# SQLite's page cache for the staging file, in KiB: while gathering (rows are appended)
# and while the build numbers and joins the staged rows.
GATHER_CACHE_KIB = 8_192
STAGING_CACHE_KIB = 65_536

# Rows written by one INSERT: one statement for many rows costs a third of executemany's
# one per row.
ROWS_PER_INSERT = 200

STAGING_SCHEMA = """
CREATE TABLE seen (gid INTEGER PRIMARY KEY, iri TEXT NOT NULL);
CREATE TABLE link (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL);
CREATE TABLE typed (s INTEGER NOT NULL, o INTEGER NOT NULL);
CREATE TABLE name (s INTEGER NOT NULL, p INTEGER NOT NULL, text TEXT NOT NULL,
                   lang TEXT NOT NULL);
CREATE TABLE description (s INTEGER NOT NULL, text TEXT NOT NULL, lang TEXT NOT NULL);
"""


# What a predicate's statements are besides links (IndexFacts._rule).
_PLAIN, _TYPE, _SUBCLASS, _INVERSE, _NAME, _DESCRIPTION = range(6)


class Cancelled(Exception):
    """Gathering was stopped because the load it served failed."""


def insert_flat(db: sqlite3.Connection, table: str, width: int, values: list) -> None:
    """Insert into ``table`` the rows of ``width`` columns laid end to end in ``values``."""
    step = ROWS_PER_INSERT * width
    whole = len(values) - len(values) % step
    row = "(" + ",".join("?" * width) + ")"
    if whole:
        many = f"INSERT INTO {table} VALUES " + ",".join([row] * ROWS_PER_INSERT)  # noqa: S608
        for start in range(0, whole, step):
            db.execute(many, values[start:start + step])
    if whole < len(values):
        rest = values[whole:]
        db.execute(f"INSERT INTO {table} VALUES "  # noqa: S608
                   + ",".join([row] * (len(rest) // width)), rest)


def open_staging(path: Path) -> sqlite3.Connection:
    """A fresh staging file: written by one thread, read once by the build, then deleted
    (no journal, no fsync); sorts spill to temporary files rather than to memory."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                     f"PRAGMA cache_size = -{GATHER_CACHE_KIB}; PRAGMA temp_store = FILE;")
    return db


class IndexFacts:
    """Statements sorted into what the index builder reads, staged in SQLite.

    IRIs are numbered as they are first met (``seen``: number and IRI) and links, types,
    names and descriptions staged with those numbers, every 65 536 statements. Predicates
    are few: numbered in Python (``predicates``)."""

    def __init__(self, staging: Path, cancel: threading.Event | None = None) -> None:
        self.cancel = cancel
        self.path = Path(staging)
        self.db: sqlite3.Connection | None = open_staging(self.path)
        self.db.executescript(STAGING_SCHEMA)
        self.number: dict[str, int] = {}
        self.base = 0  # the first number of this round of ``number``
        self.predicates: list[str] = []
        # Rows to stage, their values end to end: (subject, predicate, object) links,
        # (subject, class) types, (entity, predicate number, text, lang) names and
        # (entity, text, lang) descriptions. Labels of vocabulary terms apart.
        self.links: list[int] = []
        self.typed: list[int] = []
        self.names: list[int | str] = []
        self.vocabulary_labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.descriptions: list[int | str] = []
        self.classes: set[str] = set()
        self.subclass: dict[str, set[str]] = defaultdict(set)
        self.properties: set[str] = set()
        self.inverses: dict[str, set[str]] = defaultdict(set)
        # How many statements point at each IRI: an entity's importance, but only while
        # there are few named entities (curated data); counted until there are more.
        self.degree: Counter[str] | None = Counter()
        self.named: set[str] | None = set()
        self.rules: dict[str, tuple[int, int, int]] = {}

    def _id(self, iri: str) -> int:
        number = self.number
        found = number.get(iri)
        if found is None:
            found = number[iri] = self.base + len(number)
        return found

    def _rule(self, predicate: str) -> tuple[int, int, int]:
        """What a predicate's statements give: its link number (-1: not a link), which
        of the special cases it is, and its number."""
        special = {RDF_TYPE: _TYPE, RDFS + "subClassOf": _SUBCLASS,
                   OWL + "inverseOf": _INVERSE}.get(predicate, _PLAIN)
        if predicate in NAME_WEIGHT:
            special = _NAME
        elif predicate in DESCRIPTION:
            special = _DESCRIPTION
        number = len(self.predicates)
        self.predicates.append(predicate)
        return (-1 if predicate in NOT_LINKS else number), special, number

    def flush(self) -> None:
        """Write the staged rows gathered so far; the IRIs' numbers once there are many."""
        db = self.db
        if db is None:
            raise RuntimeError("the gathered facts were already handed to the build")
        for table, width, values in (("link", 3, self.links), ("typed", 2, self.typed),
                                     ("name", 4, self.names),
                                     ("description", 3, self.descriptions)):
            if values:
                insert_flat(db, table, width, values)
                values.clear()
        if len(self.number) >= NUMBERED_IN_MEMORY:
            self._flush_numbers()

    def _flush_numbers(self) -> None:
        if self.number and self.db is not None:
            insert_flat(self.db, "seen", 2,
                        [value for iri, g in self.number.items() for value in (g, iri)])
            self.base += len(self.number)
            self.number = {}

    def finish(self) -> sqlite3.Connection:
        """Everything staged; the staging connection, which the build takes over."""
        self.flush()
        self._flush_numbers()
        db, self.db = self.db, None
        db.commit()
        return db

    def discard(self) -> None:
        """Close and delete the staging file (after the build, or when it failed)."""
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self.db = None
        self.path.unlink(missing_ok=True)

    def add(self, quads: Iterable[ox.Quad | ox.Triple], origin: str = "") -> int:
        """Sort ``quads`` into the facts; ``origin`` keeps blank nodes of different
        sources apart. Returns how many statements were read.

        The loop runs once per statement of every load (millions): each predicate's rule
        is worked out once, and a statement is looked at no more than its rule needs."""
        names, descriptions, degree = self.names, self.descriptions, self.degree
        add_link, add_type, add_name = self.links.extend, self.typed.extend, names.extend
        add_description = descriptions.extend
        rules, rule_of, cancel, ident = self.rules, self._rule, self.cancel, self._id
        count = 0
        for count, quad in enumerate(quads, start=1):
            if not count & 0xFFFF:
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                self.flush()
            o = quad.object
            p = quad.predicate.value
            rule = rules.get(p)
            if rule is None:
                rule = rules[p] = rule_of(p)
            link, special, predicate = rule
            o_type = type(o)
            if o_type is _NAMED:
                o_iri = o.value
                if degree is not None:
                    degree[o_iri] += 1
                s = quad.subject
                if type(s) is _NAMED:
                    s_iri = s.value
                    if special is _PLAIN:
                        if link >= 0:
                            add_link((ident(s_iri), link, ident(o_iri)))
                        continue
                    if special is _TYPE:
                        add_type((ident(s_iri), ident(o_iri)))
                        if o_iri == OWL + "Class":
                            self.classes.add(s_iri)
                        elif o_iri in PROPERTY_KINDS:
                            self.properties.add(s_iri)
                        continue
                    if link >= 0:
                        add_link((ident(s_iri), link, ident(o_iri)))
                    if special is _SUBCLASS:
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
                s_iri = s.value
                if special is _DESCRIPTION:
                    add_description((ident(s_iri), o.value, o.language or ""))
                elif s_iri.startswith(NOT_SEARCHED):
                    if p in PROPERTY_LABELS:
                        self.vocabulary_labels[s_iri].append((o.value, o.language or ""))
                else:
                    add_name((ident(s_iri), predicate, o.value, o.language or ""))
                    if degree is not None:
                        named = self.named
                        named.add(s_iri)
                        if len(named) > DEGREE_LIMIT_ENTITIES:
                            self.degree = self.named = degree = None
            elif special is _SUBCLASS:
                self.subclass[_node(quad.subject, origin)].add(_node(o, origin))
        self.flush()
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

    def property_labels(self, named_labels: Iterable[tuple[str, str, str]]
                        ) -> list[tuple[str, str, str, str]]:
        """(property, label, lang, inverse) for every typed property with a label, from
        the staged names ``named_labels`` (property, text, lang; in the order read) or
        else the labels of vocabulary terms."""
        labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for iri, text, lang in named_labels:
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
