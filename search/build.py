"""Build the search index from gathered statements, into one SQLite file.

The index also carries what the search and connection pages would otherwise ask the store
for on every request: the links between entities (an adjacency table the path finder and
the "telling relations" of search hits walk) and the labels of properties (the phrases).
So a request touches only this file.

What it reads is gathered by ``search/facts.py`` from statements (the files a load puts in
the store, or the graphs of a store: ``search/builder.py``) into a SQLite staging file,
which is numbered and aggregated here inside SQLite, then deleted.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from tillvaxtgraf.search.facts import (
    DEGREE_LIMIT_ENTITIES,
    NAME_WEIGHT,
    PROPERTY_LABELS,
    STAGING_CACHE_KIB,
    IndexFacts,
    insert_flat,
)
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

    The staged facts are numbered and aggregated inside SQLite (sorts spill to files),
    so the build's memory does not grow with the data either; Python sees each named
    entity once, with its names, types and descriptions. The file is written beside the
    target and moved into place at the end, so a reader never opens half an index; the
    staging file is deleted, whatever happens.
    """
    started = time.perf_counter()

    def lap(step: str) -> None:
        log.debug("search index: %s done at %.2f s (CPU %.2f s)", step,
                  time.perf_counter() - started, time.process_time())

    tmp = target.with_name(target.name + ".tmp")
    try:
        facts.finish().close()
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        try:
            named, names, links = _write(db, facts, version, lap)
        finally:
            db.close()
    finally:
        facts.discard()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    log.info("search index: %d entities, %d names, %d links", named, names, links)
    return named


def _write(db: sqlite3.Connection, facts: IndexFacts, version: str,
           lap: Callable[[str], None]) -> tuple[int, int, int]:
    """Fill the new index ``db`` from the staged ``facts``: (entities, names, links)."""
    # One writer, a file nobody reads until it is moved into place; fsynced after.
    db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                     "PRAGMA cache_size = -32768; PRAGMA temp_store = FILE;")
    db.executescript(SCHEMA)
    db.execute("ATTACH DATABASE ? AS st", (str(facts.path),))
    db.executescript(f"PRAGMA st.journal_mode = OFF; PRAGMA st.synchronous = OFF; "
                     f"PRAGMA st.cache_size = -{STAGING_CACHE_KIB};")
    named, links = _number(db, facts)
    lap("links read and numbered")
    property_labels = facts.property_labels(_property_names(db, facts))
    degree: dict[str, int] = {}
    if facts.degree is not None and named <= DEGREE_LIMIT_ENTITIES:
        degree = dict(facts.degree)
    facts.degree = facts.named = None
    counts, vocab = _entities(db, facts, named, degree)
    lap("entities and names")
    for table, bulk in (("names", 0), ("names_bulk", 1)):
        words, rows = counts[bulk]
        average = words / max(1, rows)
        db.create_function("name_score", 3, lambda w, i, p, a=average: name_score(w, i, p, a),
                           deterministic=True)
        # Best first: a name's rowid is its rank before any query (ties as the tuples
        # (-score, entity, text, weight, plain, kind) sort).
        db.execute(f"INSERT INTO {table}_name SELECT row_number() OVER (ORDER BY "  # noqa: S608
                   "score DESC, number, text, weight, plain, kind), "
                   "number, text, weight, plain, score, kind FROM (SELECT number, text, "
                   "weight, plain, kind, name_score(weight, importance, plain) AS score "
                   "FROM st.scored WHERE bulk = ?)", (bulk,))
        db.execute(f"INSERT INTO {table} (rowid, text) SELECT name, text "  # noqa: S608
                   f"FROM {table}_name ORDER BY name")
        db.execute(f"INSERT INTO {table}_plain SELECT plain, name, kind "  # noqa: S608
                   f"FROM {table}_name ORDER BY plain, name")
    db.executemany("INSERT INTO vocab VALUES (?,?)", sorted(vocab.items()))
    lap("names inserted")
    db.execute(TYPO_SQL, (TYPO_MIN_LENGTH,))
    lap("typo variants")
    db.execute("INSERT OR IGNORE INTO edge SELECT a.id, q.id, b.id FROM st.kept k "
               "CROSS JOIN st.ent a ON a.cid = k.s CROSS JOIN st.pred q ON q.pid = k.p "
               "CROSS JOIN st.ent b ON b.cid = k.o ORDER BY 1, 2, 3")
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
    db.execute("DETACH DATABASE st")
    lap("optimized")
    return named, counts[0][1] + counts[1][1], links


def _not_node(column: str) -> str:
    """SQL: whether the IRI in ``column`` is a link end that is not an entity."""
    assert not any(set("*?[]'") & set(prefix) for prefix in NOT_NODES)
    return " OR ".join(f"{column} GLOB '{prefix}*'" for prefix in NOT_NODES)


def _number(db: sqlite3.Connection, facts: IndexFacts) -> tuple[int, int]:
    """Number the staged IRIs as the index does; returns (named entities, links kept).

    ``st.u`` maps each gathered number to its IRI's first (``cid``); ``st.ent`` gives
    each entity its number: the named ones (the subjects of names) in IRI order first,
    then the ends of the kept links without a name, in IRI order. ``st.kept`` holds the
    links between two different nodes; ``st.pred`` numbers their predicates in IRI order.
    The same statements give the same numbers, in whatever order they were read."""
    db.executescript(f"""
        CREATE TABLE st.u (gid INTEGER PRIMARY KEY, cid INTEGER NOT NULL,
                           node INTEGER NOT NULL);
        INSERT INTO st.u SELECT gid, min(gid) OVER (PARTITION BY iri),
                                NOT ({_not_node('iri')}) FROM st.seen ORDER BY gid;
        CREATE TABLE st.ent (cid INTEGER PRIMARY KEY, id INTEGER NOT NULL);
        INSERT INTO st.ent SELECT cid, row_number() OVER (ORDER BY iri)
            FROM (SELECT DISTINCT u.cid AS cid FROM st.name n
                  CROSS JOIN st.u u ON u.gid = n.s) c
            CROSS JOIN st.seen ON seen.gid = c.cid ORDER BY cid;
        CREATE TABLE st.kept (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL);
        INSERT INTO st.kept SELECT a.cid, l.p, b.cid FROM st.link l
            CROSS JOIN st.u a ON a.gid = l.s CROSS JOIN st.u b ON b.gid = l.o
            WHERE a.cid != b.cid AND a.node AND b.node;
    """)
    named = db.execute("SELECT count(*) FROM st.ent").fetchone()[0]
    links = db.execute("SELECT count(*) FROM st.kept").fetchone()[0]
    db.execute("""
        INSERT INTO st.ent SELECT cid, ? + row_number() OVER (ORDER BY iri)
        FROM (SELECT s AS cid FROM st.kept UNION SELECT o FROM st.kept) c
        CROSS JOIN st.seen ON seen.gid = c.cid
        WHERE NOT EXISTS (SELECT 1 FROM st.ent e WHERE e.cid = c.cid) ORDER BY cid
    """, (named,))
    db.execute("INSERT INTO entity SELECT e.id, s.iri, 'other', NULL, NULL, NULL, NULL, 0.0 "
               "FROM st.ent e CROSS JOIN st.seen s ON s.gid = e.cid WHERE e.id > ? "
               "ORDER BY e.id", (named,))
    _predicates(db, facts)
    return named, links


def _property_names(db: sqlite3.Connection, facts: IndexFacts
                    ) -> list[tuple[str, str, str]]:
    """(property, label, lang) of the staged names that label a typed property."""
    pids = [number for number, iri in enumerate(facts.predicates) if iri in PROPERTY_LABELS]
    if not facts.properties or not pids:
        return []
    db.execute("CREATE TABLE st.prop (iri TEXT PRIMARY KEY) WITHOUT ROWID")
    db.executemany("INSERT INTO st.prop VALUES (?)", ((p,) for p in facts.properties))
    marks = ",".join("?" * len(pids))
    return db.execute(
        "SELECT s.iri, n.text, n.lang FROM st.name n CROSS JOIN st.seen s ON s.gid = n.s "  # noqa: S608
        f"WHERE n.p IN ({marks}) AND s.iri IN (SELECT iri FROM st.prop) ORDER BY n.rowid",
        pids).fetchall()


def _predicates(db: sqlite3.Connection, facts: IndexFacts) -> None:
    """Number the kept links' predicates in IRI order (``predicate`` and ``st.pred``)."""
    used = sorted((facts.predicates[pid], pid)
                  for (pid,) in db.execute("SELECT DISTINCT p FROM st.kept"))
    db.execute("CREATE TABLE st.pred (pid INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    db.executemany("INSERT INTO st.pred VALUES (?,?)",
                   [(pid, number) for number, (_, pid) in enumerate(used, start=1)])
    db.executemany("INSERT INTO predicate VALUES (?,?)",
                   [(number, iri) for number, (iri, _) in enumerate(used, start=1)])


class _Follow:
    """Rows sorted by entity number, taken entity by entity beside another such list."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows = iter(rows)
        self.head = next(self.rows, None)

    def take(self, number: int) -> list[tuple]:
        found, head, rows = [], self.head, self.rows
        while head is not None and head[0] <= number:
            if head[0] == number:
                found.append(head)
            head = next(rows, None)
        self.head = head
        return found


NAME_BATCH = 50_000


def _entities(db: sqlite3.Connection, facts: IndexFacts, named: int, degree: dict[str, int]
              ) -> tuple[list[list[int]], Counter[str]]:
    """Write the named entities' rows and stage their names (``st.scored``), reading
    each entity's names, types and first descriptions once, in entity order. Returns
    [words, names] of the names (0) and the bulk names (1), and the words' counts."""
    supers = facts.class_tree()
    weights = [NAME_WEIGHT.get(iri, 1.0) for iri in facts.predicates]
    preferred = [iri == SKOS + "prefLabel" for iri in facts.predicates]
    db.execute("CREATE TABLE st.scored (bulk INTEGER NOT NULL, number INTEGER NOT NULL, "
               "text TEXT NOT NULL, weight REAL NOT NULL, plain TEXT NOT NULL, "
               "importance REAL NOT NULL, kind TEXT NOT NULL)")
    iris = db.execute("SELECT e.id, s.iri FROM st.ent e CROSS JOIN st.seen s "
                      "ON s.gid = e.cid WHERE e.id <= ? ORDER BY e.id", (named,))
    names = db.cursor().execute(
        "SELECT e.id, n.p, n.text, n.lang FROM st.name n CROSS JOIN st.u u ON u.gid = n.s "
        "CROSS JOIN st.ent e ON e.cid = u.cid ORDER BY e.id, n.rowid")
    types = _Follow(db.cursor().execute(
        "SELECT e.id, o.iri FROM st.typed t CROSS JOIN st.u u ON u.gid = t.s "
        "CROSS JOIN st.ent e ON e.cid = u.cid CROSS JOIN st.seen o ON o.gid = t.o "
        "WHERE e.id <= ? ORDER BY e.id", (named,)))
    descriptions = _Follow(db.cursor().execute(
        "SELECT e.id, d.lang = 'en' AS slot, d.text, min(d.rowid) FROM st.description d "
        "CROSS JOIN st.u u ON u.gid = d.s CROSS JOIN st.ent e ON e.cid = u.cid "
        "WHERE e.id <= ? AND d.lang IN ('sv', 'en', '') GROUP BY e.id, slot "
        "ORDER BY e.id, slot", (named,)))
    tokenize = _Tokens()
    kinds: dict[frozenset[str], str] = {}
    vocab: Counter[str] = Counter()
    count = vocab.update
    counts = [[0, 0], [0, 0]]
    entity_rows: list[object] = []  # rows' values end to end
    scored: list[object] = []
    for (number, iri), (_, rows) in zip(iris, groupby(names, key=itemgetter(0)),
                                        strict=True):
        entries: list[tuple[str, float]] = []
        found = [None, None, None, None]  # first [pref sv, pref en, other sv, other en]
        for _, predicate, text, lang in rows:
            entries.append((text, weights[predicate]))
            slot = _LABEL_SLOT.get((preferred[predicate] and lang != "", lang))
            if slot is not None and found[slot] is None:
                found[slot] = text
        own = frozenset(row[1] for row in types.take(number))
        kind = kinds.get(own)
        if kind is None:
            kind = kinds[own] = kind_of(set(own), supers)
        importance = KIND_WEIGHT[kind] + math.log1p(degree.get(iri, 0))
        pref_sv, pref_en, alt_sv, alt_en = found
        sv = pref_sv or alt_sv or pref_en or entries[0][0]
        en = pref_en or alt_en or sv
        desc = [None, None]
        for _, slot, text, _ in descriptions.take(number):
            desc[slot] = text
        desc_sv, desc_en = desc
        entity_rows.extend((number, iri, kind, sv, en, desc_sv or desc_en,
                            desc_en or desc_sv, importance))
        bulk = kind in BULK_KINDS
        tally = counts[bulk]
        for text, weight in (entries if len(entries) == 1 else dict.fromkeys(entries)):
            words = tokenize(text)
            plain = " ".join(words)
            scored.extend((bulk, number, text, weight, plain, importance, kind))
            tally[0] += plain.count(" ") + 1
            tally[1] += 1
            count(words)
        if len(scored) >= NAME_BATCH * 7:
            _stage(db, entity_rows, scored)
    _stage(db, entity_rows, scored)
    return counts, vocab


def _stage(db: sqlite3.Connection, entity_rows: list[tuple], scored: list[tuple]) -> None:
    """Write the rows gathered so far (values end to end) and forget them."""
    insert_flat(db, "entity", 8, entity_rows)
    insert_flat(db, "st.scored", 7, scored)
    entity_rows.clear()
    scored.clear()


# Where a label goes in an entity's [pref sv, pref en, other sv, other en] (no language: sv).
_LABEL_SLOT = {(True, "sv"): 0, (True, "en"): 1, (False, "sv"): 2, (False, "en"): 3,
               (False, ""): 2}
