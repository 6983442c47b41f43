"""Build the search index from gathered statements, into one SQLite file.

The index also carries what the search and connection pages would otherwise ask the store
for on every request: the links between entities (an adjacency table the path finder and
the "telling relations" of search hits walk) and the labels of properties (the phrases).
So a request touches only this file.

What it reads is gathered by ``search/facts.py`` from statements: the files a load puts in
the store, or the graphs of a store (``search/builder.py``).
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from tillvaxtgraf.search.facts import DEGREE_LIMIT_ENTITIES, NAME_WEIGHT, RDF_TYPE, IndexFacts
from tillvaxtgraf.search.kinds import KIND_WEIGHT, kind_of
from tillvaxtgraf.search.text import tokens
from tillvaxtgraf.store.names import SKOS

log = logging.getLogger(__name__)

SCHEMA_VERSION = "5"
# Kinds whose names live in their own table, searched only when the others run short:
# there can be millions of them, and they should not slow down finding an actor.
BULK_KINDS = {"project"}
TYPO_MIN_LENGTH = 4


# bm25's preference for short names (k1 1.2, b 0.75) at a typical typed word's weight
# (idf 6): names are ranked before any query is known, so not by the query's own words.
SHORT_WEIGHT = 0.1 * 6 * 2.2


def name_score(weight: float, importance: float, plain: str, average_words: float) -> float:
    """What a name is worth before any query: its kind of label, its entity's importance,
    short names first. Names are numbered best first, so the index reads a query's best
    matches first and stops there (see SearchIndex._ranks)."""
    words = plain.count(" ") + 1
    return (weight + 2.0 * importance - 0.01 * len(plain)
            + SHORT_WEIGHT / (1 + 1.2 * (0.25 + 0.75 * words / average_words)))

# Link ends that are not entities (store/sparql/neighbours.rq says the same).
NOT_NODES = ("https://w3id.org/tillvaxtgraf/graph/", "https://w3id.org/tillvaxtgraf/ontology",
             "http://www.wikidata.org/")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE entity (
    id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
    label_sv TEXT, label_en TEXT, description_sv TEXT, description_en TEXT,
    importance REAL NOT NULL
);
CREATE TABLE names_name (name INTEGER PRIMARY KEY, entity INTEGER NOT NULL, text TEXT NOT NULL,
                         weight REAL NOT NULL, plain TEXT NOT NULL, score REAL NOT NULL,
                         kind TEXT NOT NULL);
CREATE TABLE names_bulk_name (name INTEGER PRIMARY KEY, entity INTEGER NOT NULL,
                              text TEXT NOT NULL, weight REAL NOT NULL, plain TEXT NOT NULL,
                              score REAL NOT NULL, kind TEXT NOT NULL);
CREATE VIRTUAL TABLE names USING fts5(
    text, content = '', detail = none, prefix = '1 2 3 4 5 6 7 8 9 10 11 12',
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE VIRTUAL TABLE names_bulk USING fts5(
    text, content = '', detail = none, prefix = '1 2 3 4 5 6 7 8 9 10 11 12',
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE TABLE names_plain (plain TEXT NOT NULL, name INTEGER NOT NULL, kind TEXT NOT NULL,
                          PRIMARY KEY (plain, name)) WITHOUT ROWID;
CREATE TABLE names_bulk_plain (plain TEXT NOT NULL, name INTEGER NOT NULL, kind TEXT NOT NULL,
                               PRIMARY KEY (plain, name)) WITHOUT ROWID;
CREATE TABLE vocab (token TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE typo (variant TEXT NOT NULL, token TEXT NOT NULL,
                   PRIMARY KEY (variant, token)) WITHOUT ROWID;
CREATE TABLE predicate (id INTEGER PRIMARY KEY, iri TEXT NOT NULL);
CREATE TABLE edge (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL,
                   PRIMARY KEY (s, p, o)) WITHOUT ROWID;
CREATE TABLE property_label (property TEXT NOT NULL, label TEXT NOT NULL, lang TEXT,
                             inverse TEXT);
"""
# Every one-character deletion of each token of four letters or more (SymSpell's trick for
# one typo), made by SQLite rather than a Python loop over millions of strings.
TYPO_SQL = """
WITH RECURSIVE pos(i) AS (
    SELECT 1 UNION ALL SELECT i + 1 FROM pos
    WHERE i < (SELECT coalesce(max(length(token)), 0) FROM vocab)
)
INSERT OR IGNORE INTO typo
SELECT substr(token, 1, i - 1) || substr(token, i + 1), token
FROM vocab JOIN pos ON pos.i <= length(vocab.token)
WHERE length(token) >= ?
ORDER BY 1, 2
"""


class _Tokens:
    """``tokens()`` of many names that share their words: each word is normalised once.

    A name's tokens are its whitespace-separated words' tokens in order (normalising
    never joins or splits across whitespace), so caching by word gives the same tokens.
    """

    def __init__(self) -> None:
        self.cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        cache, found = self.cache, []
        if text.isascii():
            return tokens(text)
        for word in text.split():
            known = cache.get(word)
            if known is None:
                known = cache[word] = tokens(word)
            found += known
        return found


def build_index(facts: IndexFacts, target: Path, version: str = "") -> int:
    """Write the index of the gathered ``facts`` to ``target``; returns entities.

    The file is written beside the target and moved into place at the end, so a reader
    never opens half an index.
    """
    started = time.perf_counter()

    def lap(step: str) -> None:
        log.debug("search index: %s done at %.2f s (CPU %.2f s)", step,
                  time.perf_counter() - started, time.process_time())

    property_labels = facts.property_labels()
    names, labels = _names(facts.names)
    facts.names = []  # read once: free it for what comes
    degree: dict[str, int] = {}
    if facts.degree is not None and len(names) <= DEGREE_LIMIT_ENTITIES:
        degree = dict(facts.degree)
    facts.degree = facts.named = None
    supers = facts.class_tree()
    descriptions: dict[str, list[str | None]] = {}  # [sv, en]: the first of each
    for iri, text, lang in facts.descriptions:
        if iri in names and lang in ("sv", "en", ""):
            slot = descriptions.setdefault(iri, [None, None])
            at = lang == "en"
            if slot[at] is None:
                slot[at] = text
    facts.descriptions = []
    lap("names, descriptions")
    order = sorted(names)
    ids = {iri: number for number, iri in enumerate(order, start=1)}
    types: dict[str, set[str]] = defaultdict(set)
    edges, predicates, nameless = _links(facts, ids, types)
    lap("links read and numbered")

    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    db = sqlite3.connect(tmp)
    try:
        # One writer, a file nobody reads until it is moved into place; fsynced below.
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                         "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;")
        db.executescript(SCHEMA)
        tokenize = _Tokens()
        kinds: dict[frozenset[str], str] = {}
        vocab: Counter[str] = Counter()
        count = vocab.update
        entity_rows, name_rows, bulk_rows = [], [], []
        for number, iri in enumerate(order, start=1):
            entries = names[iri]
            own = frozenset(types.get(iri, ()))
            kind = kinds.get(own)
            if kind is None:
                kind = kinds[own] = kind_of(set(own), supers)
            importance = KIND_WEIGHT[kind] + math.log1p(degree.get(iri, 0))
            pref_sv, pref_en, alt_sv, alt_en = labels.get(iri, _NO_LABELS)
            sv = pref_sv or alt_sv or pref_en or entries[0][0]
            en = pref_en or alt_en or sv
            desc_sv, desc_en = descriptions.get(iri, _NO_DESCRIPTION)
            entity_rows.append((number, iri, kind, sv, en, desc_sv or desc_en,
                                desc_en or desc_sv, importance))
            bucket = bulk_rows if kind in BULK_KINDS else name_rows
            for text, weight in (entries if len(entries) == 1 else dict.fromkeys(entries)):
                words = tokenize(text)
                plain = " ".join(words)
                bucket.append((number, text, weight, plain, importance, kind))
                count(words)
        named = len(entity_rows)
        entity_rows.extend((ids[iri], iri, "other", None, None, None, None, 0.0)
                           for iri in nameless)
        lap("entities and names")
        db.executemany("INSERT INTO entity VALUES (?,?,?,?,?,?,?,?)", entity_rows)
        del entity_rows
        for table, rows in (("names", name_rows), ("names_bulk", bulk_rows)):
            average = sum(row[3].count(" ") + 1 for row in rows) / max(1, len(rows))
            # Scored and sorted in place (no second list of millions of names at scale).
            for i, (number, text, weight, plain, importance, kind) in enumerate(rows):
                rows[i] = (-name_score(weight, importance, plain, average), number, text,
                           weight, plain, kind)
            rows.sort()  # best first: a name's rowid is its rank before any query
            db.executemany(f"INSERT INTO {table}_name VALUES (?,?,?,?,?,?,?)",  # noqa: S608
                           ((rank, number, text, weight, plain, -negative, kind)
                            for rank, (negative, number, text, weight, plain, kind)
                            in enumerate(rows, 1)))
            db.executemany(f"INSERT INTO {table} (rowid, text) VALUES (?,?)",  # noqa: S608
                           ((rank, row[2]) for rank, row in enumerate(rows, 1)))
            db.execute(f"INSERT INTO {table}_plain SELECT plain, name, kind "  # noqa: S608
                       f"FROM {table}_name ORDER BY plain, name")
        db.executemany("INSERT INTO vocab VALUES (?,?)", sorted(vocab.items()))
        lap("names inserted")
        db.execute(TYPO_SQL, (TYPO_MIN_LENGTH,))
        lap("typo variants")
        db.executemany("INSERT INTO predicate VALUES (?,?)",
                       [(number, iri) for iri, number in predicates.items()])
        db.executemany("INSERT OR IGNORE INTO edge VALUES (?,?,?)", edges.rows())
        db.execute("CREATE INDEX edge_in ON edge (o, p, s)")
        lap("links inserted")
        db.executemany("INSERT INTO property_label VALUES (?,?,?,?)",
                       [(p, label, lang or None, inverse or None)
                        for p, label, lang, inverse in property_labels])
        db.executemany("INSERT INTO meta VALUES (?,?)", [
            ("schema", SCHEMA_VERSION), ("store_version", version), ("entities", str(named)),
        ])
        db.execute("INSERT INTO names(names) VALUES ('optimize')")
        db.execute("INSERT INTO names_bulk(names_bulk) VALUES ('optimize')")
        db.commit()
        lap("optimized")
    finally:
        db.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    log.info("search index: %d entities, %d names, %d links", named,
             len(name_rows) + len(bulk_rows), len(edges))
    return named


_NO_LABELS = (None, None, None, None)
_NO_DESCRIPTION = (None, None)
# Where a label goes in an entity's [pref sv, pref en, other sv, other en] (no language: sv).
_LABEL_SLOT = {(True, "sv"): 0, (True, "en"): 1, (False, "sv"): 2, (False, "en"): 3,
               (False, ""): 2}


def _names(rows: Iterable[tuple[str, str, str, str]]
           ) -> tuple[dict[str, list[tuple[str, float]]], dict[str, list[str | None]]]:
    """Each entity's names with their weights, and its first label of each kind as
    [preferred sv, preferred en, other sv, other en] (lists: a dict each would take
    twice the memory, for millions of entities)."""
    names: dict[str, list[tuple[str, float]]] = defaultdict(list)
    labels: dict[str, list[str | None]] = {}
    pref = SKOS + "prefLabel"
    for iri, predicate, name, lang in rows:
        names[iri].append((name, NAME_WEIGHT.get(predicate, 1.0)))
        slot = _LABEL_SLOT.get((predicate == pref and lang != "", lang))
        if slot is not None:
            found = labels.get(iri)
            if found is None:
                found = labels[iri] = [None, None, None, None]
            if found[slot] is None:
                found[slot] = name
    return names, labels


def _links(facts: IndexFacts, ids: dict[str, int], types: dict[str, set[str]]
           ) -> tuple[_Edges, dict[str, int], list[str]]:
    """Read the gathered links once: the types of named entities into ``types``, the
    links as sorted (subject, predicate, object) numbers. Returns those, the predicates'
    numbers, and the linked IRIs without a name, numbered after the named ones in ``ids``
    (they become nameless entity rows, so that one number stands for each node).

    Links are read by the numbers ``facts`` gave their IRIs. Predicates and nameless
    nodes are numbered in IRI order, as the named ones: the same statements give the
    same index, in whatever order they were read."""
    iris, first = facts.iris, facts.number
    named = len(ids)
    final = array("q", bytes(8 * len(iris)))  # gathered number -> index number (0: none)
    for iri, number in ids.items():
        gathered = first.get(iri)
        if gathered is not None:
            final[gathered] = number
    node = bytearray(not iri.startswith(NOT_NODES) for iri in iris)
    rdf_type = first.get(RDF_TYPE, -1)
    kept_s, kept_p, kept_o = array("i"), array("i"), array("i")
    used_p: set[int] = set()
    unnamed: set[int] = set()
    for s, p, o in zip(facts.link_s, facts.link_p, facts.link_o, strict=True):
        if p == rdf_type:
            if final[s]:
                types[iris[s]].add(iris[o])
            continue
        if s == o or not node[s] or not node[o]:
            continue
        kept_s.append(s)
        kept_p.append(p)
        kept_o.append(o)
        used_p.add(p)
        if not final[s]:
            unnamed.add(s)
        if not final[o]:
            unnamed.add(o)
    facts.link_s = facts.link_p = facts.link_o = array("i")
    nameless = sorted(iris[g] for g in unnamed)
    for number, iri in enumerate(nameless, start=named + 1):
        final[first[iri]] = ids[iri] = number
    predicates = {iri: number for number, iri in
                  enumerate(sorted(iris[g] for g in used_p), start=1)}
    by_gathered = {first[iri]: number for iri, number in predicates.items()}
    if named + len(nameless) >= 1 << _Edges.SHIFT_O or len(predicates) >= 1 << _Edges.SHIFT_P:
        raise ValueError("too many entities or properties for the search index's links")
    found = _Edges(map(final.__getitem__, kept_s), map(by_gathered.__getitem__, kept_p),
                   map(final.__getitem__, kept_o))
    facts.number, facts.iris = {}, []
    return found, predicates, nameless


class _Edges:
    """Links as sorted (subject, predicate, object) numbers, each packed in one int: a
    third of the memory of tuples, at the bulk loader's busiest moment."""

    SHIFT_O, SHIFT_P = 26, 11  # up to 67 M nodes and 2 048 predicates

    def __init__(self, s: Iterable[int], p: Iterable[int], o: Iterable[int]) -> None:
        so, sp = self.SHIFT_O, self.SHIFT_O + self.SHIFT_P
        self.keys = sorted((a << sp) | (b << so) | c for a, b, c in zip(s, p, o, strict=True))

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self) -> Iterable[tuple[int, int, int]]:
        so, sp = self.SHIFT_O, self.SHIFT_O + self.SHIFT_P
        mask_o, mask_p = (1 << so) - 1, (1 << self.SHIFT_P) - 1
        for key in self.keys:
            yield key >> sp, key >> so & mask_p, key & mask_o
