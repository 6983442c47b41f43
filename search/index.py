"""Query the search index: ranked, diacritic- and case-insensitive, forgiving one typo."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tillvaxtgraf.search.build import BULK_KINDS, SCHEMA_VERSION
from tillvaxtgraf.search.kinds import KIND_LABELS
from tillvaxtgraf.search.text import deletions, tokens, within_one_edit

MAX_QUERY_CHARS = 200
MAX_TOKENS = 8
MMAP_BYTES = 1 << 30
BULK_RANGE = 2000
# A name that has a whole word one edit away from a typed one (a completion or another
# form of it: "regio" and "Region Skåne", "stockholm" and "Stockholms universitet") ranks
# a little above others of its class: what bm25 gave for matching that word too.
NEAR_WORD = 0.8


class OutdatedIndex(Exception):
    """The index file has another schema than this version reads."""


@dataclass
class Hit:
    iri: str
    label: str
    kind: str
    kind_label: str
    description: str | None
    matched: str
    score: float

    def to_dict(self) -> dict[str, object]:
        # Not dataclasses.asdict: it deep-copies every field, a fifth of a search's time.
        return {"iri": self.iri, "label": self.label, "kind": self.kind,
                "kind_label": self.kind_label, "description": self.description,
                "matched": self.matched, "score": self.score}


class SearchIndex:
    """One index file, read-only; safe to share between threads (a connection each)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no search index at {self.path}")
        self._local = threading.local()
        meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema") != SCHEMA_VERSION:
            self.close()
            raise OutdatedIndex(f"{self.path} was built by another version of tillvaxtgraf; "
                                "run 'tillvaxtgraf reindex'")
        self.store_version = meta.get("store_version", "")
        self.entities = int(meta.get("entities", "0"))
        self.predicates = dict(self._db().execute("SELECT id, iri FROM predicate"))
        self._predicate_ids = {iri: number for number, iri in self.predicates.items()}
        self._labelled_sql: dict[tuple[str, ...], str] = {}

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                 check_same_thread=False)
            # Pages read straight from the OS's file cache, shared by every connection of
            # every worker, instead of copied into each connection's own small cache.
            db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _typo_alternatives(self, token: str) -> list[str]:
        if len(token) < 4:
            return []
        db = self._db()
        variants = deletions(token) | {token}
        marks = ",".join("?" * len(variants))
        rows = db.execute(
            f"SELECT DISTINCT token FROM typo WHERE variant IN ({marks}) "  # noqa: S608
            f"UNION SELECT token FROM vocab WHERE token IN ({marks})",
            [*variants, *variants],
        ).fetchall()
        return sorted(t for (t,) in rows if t != token and within_one_edit(t, token))

    def _ranks(self, table: str, wanted: str, matches: list[str], enough: int,
               kinds: set[str] | None) -> tuple[list[int], bool]:
        """The numbers (best first by ``name_score``) of the names that may rank among the
        best ``enough``, and whether a list was cut short.

        A name's score is its match class (exact, prefix of the name, word prefix, all
        words, a typo) plus its own score, and names are numbered by their own score: so
        the best of each class are its first matches in number order, and reading
        ``enough`` of each class finds the best overall without reading every match."""
        db = self._db()
        where, args, join = "", [], ""
        if kinds:  # rare: filter while reading, or the first matches may all be filtered
            where = f" AND kind IN ({','.join('?' * len(kinds))})"
            args = sorted(kinds)
            join = f" JOIN {table}_name ON name = {table}.rowid"
        plain = f"{table}_plain"
        found = [r for (r,) in db.execute(
            f"SELECT name FROM {plain} WHERE plain = ?{where}",  # noqa: S608
            [wanted, *args])]
        cut = False
        # The names starting with the words, best first: the whole range is read to sort it,
        # so for the bulk names (thousands of projects may start alike) only its first
        # BULK_RANGE in name order.
        cap = f" LIMIT {BULK_RANGE}" if table == "names_bulk" else ""
        queries = [(f"SELECT name FROM (SELECT name FROM {plain} WHERE plain > ? "  # noqa: S608
                    f"AND plain < ?{where}{cap}) ORDER BY name LIMIT ?",
                    [wanted, wanted + "\x7f", *args, enough])]
        for match in matches:  # every word, then with its one-typo alternatives
            queries.append((f"SELECT {table}.rowid FROM {table}{join} "  # noqa: S608
                            f"WHERE {table} MATCH ?{where} ORDER BY {table}.rowid LIMIT ?",
                            [match, *args, enough]))
        for sql, params in queries:
            ranks = [r for (r,) in db.execute(sql, params)]
            cut = cut or len(ranks) == enough
            found += ranks
        return found, cut

    def _rows(self, table: str, ranks: list[int]) -> list[tuple]:
        """The names numbered ``ranks`` with their entity."""
        marks = ",".join("?" * len(ranks))
        return self._db().execute(
            "SELECT e.iri, e.kind, e.label_sv, e.label_en, e.description_sv, "  # noqa: S608
            f"e.description_en, n.score, n.text, n.weight, n.plain FROM {table}_name n "
            f"JOIN entity e ON e.id = n.entity WHERE n.name IN ({marks})", ranks).fetchall()

    def _candidates(self, table: str, wanted: str, matches: list[str], limit: int,
                    kinds: set[str] | None) -> list[tuple]:
        """Enough of the best matching names for ``limit`` entities (an entity may match
        by several names: read more until there are enough entities, or no more names)."""
        enough = 2 * limit + 10
        while True:
            ranks, cut = self._ranks(table, wanted, matches, enough, kinds)
            rows = self._rows(table, sorted(set(ranks))) if ranks else []
            if not cut or len({r[0] for r in rows}) >= limit:
                return rows
            enough *= 4

    def search(self, text: str, *, limit: int = 20, lang: str = "sv",
               kinds: set[str] | None = None) -> list[Hit]:
        """Entities whose names match ``text``, best first.

        Every word must match (the last one as a prefix, for typing); a word of four
        letters or more may be one edit away. Exact and prefix matches of a whole name
        rank first, then the entity's importance in the graph decides.
        """
        text = text[:MAX_QUERY_CHARS]
        words = tokens(text)[:MAX_TOKENS]
        if not words:
            return []
        exact, typos = [], []
        typo_words: set[str] = set()
        for position, word in enumerate(words):
            options = [f'"{word}"*' if position == len(words) - 1 else f'"{word}"']
            exact.append(options[0])
            for alternative in self._typo_alternatives(word):
                options.append(f'"{alternative}"')
                typo_words.add(alternative)
            typos.append("(" + " OR ".join(options) + ")")
        # Exact words and typo alternatives read apart: names matching only by a typo
        # (ranked last) must not crowd out the ones matching every word as typed.
        matches = [" AND ".join(exact)] + ([" AND ".join(typos)] if typo_words else [])
        wanted = " ".join(words)
        rows = []
        core_kinds = kinds - BULK_KINDS if kinds else None
        if not kinds or core_kinds:
            rows = self._candidates("names", wanted, matches, limit, core_kinds)
        enough = len({r[0] for r in rows}) >= limit
        if not enough or (kinds and kinds & BULK_KINDS):
            bulk_kinds = kinds & BULK_KINDS if kinds else None
            rows += self._candidates("names_bulk", wanted, matches, limit, bulk_kinds)
        # Score every candidate name; an entity keeps its best name (the first on a tie).
        best: dict[str, tuple[float, tuple]] = {}
        last = len(words) - 1
        for row in rows:
            iri, kind, _, _, _, _, own, _, weight, plain = row
            if kinds and kind not in kinds:
                continue
            if plain == wanted:
                match_score = 100.0
            elif plain.startswith(wanted):
                match_score = 70.0
            elif any(part.startswith(wanted) for part in plain.split()):
                match_score = 50.0
            else:
                parts = plain.split()
                exact_words = all(
                    any(t == w or (i == last and t.startswith(w)) for t in parts)
                    for i, w in enumerate(words)
                )
                match_score = 30.0 if exact_words else 10.0
            if typo_words:  # a word one edit away, whole ("regio": "region skane")
                match_score += NEAR_WORD * len(typo_words.intersection(plain.split()))
            score = round(match_score + own, 3)
            known = best.get(iri)
            if known is None or known[0] < score:
                best[iri] = (score, row)
        english = lang == "en"
        ranked = []
        for score, row in best.values():
            sv, en, name = row[2], row[3], row[7]
            ranked.append((-score, (en if english else sv) or sv or en or name, row))
        ranked.sort(key=lambda entry: entry[:2])
        hits = []
        for negative, label, row in ranked[:limit]:
            iri, kind, sv, en, dsv, den, _, name, _, _ = row
            description = (den if english else dsv) or dsv or den
            hits.append(Hit(iri, label, kind, KIND_LABELS.get(kind, KIND_LABELS["other"])[
                "en" if english else "sv"], description, name, -negative))
        return hits

    def suggest(self, text: str, limit: int = 5, lang: str = "sv") -> list[dict[str, object]]:
        """Few, short answers for autocomplete and "did you mean"."""
        return [
            {"iri": h.iri, "label": h.label, "kind": h.kind, "kind_label": h.kind_label,
             "description": h.description}
            for h in self.search(text, limit=limit, lang=lang)
        ]


    def links(self, iri: str, limit: int, inverse_predicates: tuple[str, ...] | None = None
              ) -> list[tuple[str, str, bool]]:
        """The entity's links to other entities, (predicate, other, inverse), the ones it
        states first: the adjacency the store's neighbours query would give, from the
        index. ``inverse_predicates`` keeps only those of the links others state."""
        db = self._db()
        found = db.execute("SELECT id FROM entity WHERE iri = ?", (iri,)).fetchone()
        if found is None:
            return []
        node = found[0]
        rows = db.execute("SELECT p, o, 0 FROM edge WHERE s = ? LIMIT ?",
                          (node, limit)).fetchall()
        if len(rows) < limit:
            if inverse_predicates is None:
                rows += db.execute("SELECT p, s, 1 FROM edge WHERE o = ? LIMIT ?",
                                   (node, limit - len(rows))).fetchall()
            else:
                for predicate in inverse_predicates:
                    number = self._predicate_ids.get(predicate)
                    if number is not None and len(rows) < limit:
                        rows += db.execute(
                            "SELECT p, s, 1 FROM edge WHERE o = ? AND p = ? LIMIT ?",
                            (node, number, limit - len(rows))).fetchall()
        if not rows:
            return []
        others = sorted({other for _, other, _ in rows})
        iris: dict[int, str] = {}
        for start in range(0, len(others), 500):
            chunk = others[start:start + 500]
            marks = ",".join("?" * len(chunk))
            iris.update(db.execute(
                f"SELECT id, iri FROM entity WHERE id IN ({marks})", chunk))  # noqa: S608
        return [(self.predicates[p], iris[other], bool(inverse))
                for p, other, inverse in rows]

    def labelled_links(self, iri: str, limit: int, inverse_predicates: tuple[str, ...]
                       ) -> Iterator[tuple[str, str, bool, str | None, str | None]]:
        """The links ``links(iri, limit, inverse_predicates)`` gives, those others state
        first, each with the other end's Swedish and English label (None: nameless).

        One statement, read as it is consumed: a search hit shows its first few telling
        relations, so it reads a few links and their labels, not all of them."""
        sql = self._labelled_sql.get(inverse_predicates)
        if sql is None:
            sql = self._labelled_sql[inverse_predicates] = self._labelled_links_sql(
                inverse_predicates)
        for inverse, p, other, sv, en in self._db().execute(sql, (iri, limit)):
            yield self.predicates[p], other, bool(inverse), sv, en

    def _labelled_links_sql(self, inverse_predicates: tuple[str, ...]) -> str:
        """The statement behind ``labelled_links``: the links others state by each of the
        predicates in turn, all of them together cut at the room the entity's own links
        leave under the limit (``links`` keeps those first), then the entity's own."""
        node = "(SELECT id FROM entity WHERE iri = ?1)"
        columns = ("SELECT {inverse}, e.p, x.iri, x.label_sv, x.label_en FROM edge e "
                   "JOIN entity x ON x.id = e.{far} WHERE e.{near} = " + node
                   + "{predicate} LIMIT ?2")
        numbers = [self._predicate_ids[p] for p in inverse_predicates
                   if p in self._predicate_ids]
        incoming = " UNION ALL ".join(
            "SELECT * FROM (" + columns.format(inverse=1, near="o", far="s",
                                               predicate=f" AND e.p = {number}") + ")"
            for number in numbers)
        own = columns.format(inverse=0, near="s", far="o", predicate="")
        if not incoming:
            return own
        stated = f"(SELECT count(*) FROM (SELECT 1 FROM edge WHERE s = {node} LIMIT ?2))"
        return (f"SELECT * FROM (SELECT * FROM ({incoming}) LIMIT max(0, ?2 - {stated})) "
                f"UNION ALL SELECT * FROM ({own})")

    def property_labels(self) -> list[tuple[str, str, str | None, str | None]]:
        """(property, label, language, inverse) of every property the store labels."""
        return self._db().execute(
            "SELECT property, label, lang, inverse FROM property_label").fetchall()


def entity_labels(index: SearchIndex | None, iris: list[str], lang: str = "sv"
                  ) -> dict[str, tuple[str, str]]:
    """Label and kind of each IRI the index knows (one query for all of them)."""
    if index is None or not iris:
        return {}
    found: dict[str, tuple[str, str]] = {}
    db = index._db()
    for start in range(0, len(iris), 500):
        chunk = iris[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for iri, kind, sv, en in db.execute(
            "SELECT iri, kind, label_sv, label_en FROM entity "  # noqa: S608
            f"WHERE iri IN ({marks}) AND label_sv IS NOT NULL",  # nameless link ends: no
            chunk,
        ):
            found[iri] = ((en if lang == "en" else sv) or sv or en or iri, kind)
    return found
