"""Build the search index from a store, into one SQLite file."""

from __future__ import annotations

import logging
import math
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tillvaxtgraf.search.kinds import KIND_WEIGHT, kind_of
from tillvaxtgraf.search.text import deletions, tokens
from tillvaxtgraf.store.names import SKOS
from tillvaxtgraf.store.sparql import sparql

log = logging.getLogger(__name__)

# Rows whose values have ``.value`` (and literals ``.lang`` or ``.language``): our Terms
# from any Store, or pyoxigraph's own solutions when building on an open snapshot.
Select = Callable[[str], Iterable[Any]]
SCHEMA_VERSION = "2"
# Kinds whose names live in their own table, searched only when the others run short:
# there can be millions of them, and they should not slow down finding an actor.
BULK_KINDS = {"project"}
NAME_WEIGHT = {
    SKOS + "prefLabel": 5.0,
    SKOS + "altLabel": 4.0,
    "http://www.w3.org/2000/01/rdf-schema#label": 3.0,
    SKOS + "hiddenLabel": 2.0,
}
# In-degree is a GROUP BY over every triple: worth it for curated data, not for millions
# of generated projects, where the kind alone weighs an entity.
DEGREE_LIMIT_ENTITIES = 20_000
TYPO_MIN_LENGTH = 4

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE entity (
    id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
    label_sv TEXT, label_en TEXT, description_sv TEXT, description_en TEXT,
    importance REAL NOT NULL
);
CREATE VIRTUAL TABLE names USING fts5(
    text, entity UNINDEXED, weight UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE VIRTUAL TABLE names_bulk USING fts5(
    text, entity UNINDEXED, weight UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2"
);
CREATE TABLE vocab (token TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE typo (variant TEXT NOT NULL, token TEXT NOT NULL);
"""


def _lang(term: object) -> str | None:
    """A literal's language tag, from our Term or straight from a pyoxigraph Literal."""
    return getattr(term, "lang", None) or getattr(term, "language", None) or None


def build_index(select: Select, target: Path, version: str = "") -> int:
    """Write the index for everything ``select`` can see to ``target``; returns entities.

    The file is written beside the target and moved into place at the end, so a reader
    never opens half an index.
    """
    names: dict[str, list[tuple[str, float]]] = defaultdict(list)
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for row in select(sparql("search_names")):
        iri, predicate, text = row["s"].value, row["p"].value, row["text"]
        names[iri].append((text.value, NAME_WEIGHT.get(predicate, 1.0)))
        lang = _lang(text)
        if predicate == SKOS + "prefLabel" and lang in ("sv", "en"):
            labels[iri].setdefault(lang, text.value)
        elif lang in ("sv", "en", None):
            labels[iri].setdefault("alt_" + (lang or "sv"), text.value)
    supers: dict[str, set[str]] = defaultdict(set)
    for row in select(sparql("search_class_tree")):
        supers[row["class"].value].add(row["super"].value)
    types: dict[str, set[str]] = defaultdict(set)
    for row in select(sparql("search_types")):
        iri = row["s"].value
        if iri in names:
            types[iri].add(row["type"].value)
    descriptions: dict[str, dict[str, str]] = defaultdict(dict)
    for row in select(sparql("search_descriptions")):
        iri = row["s"].value
        if iri in names:
            descriptions[iri].setdefault(_lang(row["text"]) or "sv", row["text"].value)
    degree: dict[str, int] = {}
    if len(names) <= DEGREE_LIMIT_ENTITIES:
        for row in select(sparql("search_in_degree")):
            degree[row["o"].value] = int(row["n"].value)

    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        vocab: dict[str, int] = defaultdict(int)
        entity_rows, name_rows, bulk_rows = [], [], []
        for number, (iri, entries) in enumerate(sorted(names.items()), start=1):
            kind = kind_of(types.get(iri, set()), supers)
            importance = KIND_WEIGHT[kind] + math.log1p(degree.get(iri, 0))
            label = labels[iri]
            sv = label.get("sv") or label.get("alt_sv") or label.get("en") or entries[0][0]
            en = label.get("en") or label.get("alt_en") or sv
            desc = descriptions.get(iri, {})
            entity_rows.append((number, iri, kind, sv, en, desc.get("sv") or desc.get("en"),
                                desc.get("en") or desc.get("sv"), importance))
            seen = set()
            bucket = bulk_rows if kind in BULK_KINDS else name_rows
            for text, weight in entries:
                if (text, weight) in seen:
                    continue
                seen.add((text, weight))
                bucket.append((text, number, weight))
                for token in tokens(text):
                    vocab[token] += 1
        db.executemany("INSERT INTO entity VALUES (?,?,?,?,?,?,?,?)", entity_rows)
        db.executemany("INSERT INTO names (text, entity, weight) VALUES (?,?,?)", name_rows)
        db.executemany("INSERT INTO names_bulk (text, entity, weight) VALUES (?,?,?)",
                       bulk_rows)
        db.executemany("INSERT INTO vocab VALUES (?,?)", vocab.items())
        db.executemany(
            "INSERT INTO typo VALUES (?,?)",
            ((variant, token) for token in vocab if len(token) >= TYPO_MIN_LENGTH
             for variant in deletions(token)),
        )
        db.execute("CREATE INDEX typo_variant ON typo(variant)")
        db.executemany("INSERT INTO meta VALUES (?,?)", [
            ("schema", SCHEMA_VERSION), ("store_version", version),
            ("entities", str(len(entity_rows))),
        ])
        db.execute("INSERT INTO names(names) VALUES ('optimize')")
        db.execute("INSERT INTO names_bulk(names_bulk) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    os.replace(tmp, target)
    log.info("search index: %d entities, %d names", len(entity_rows),
             len(name_rows) + len(bulk_rows))
    return len(entity_rows)
