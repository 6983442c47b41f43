"""Query the search index: ranked, diacritic- and case-insensitive, forgiving one typo."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from tillvaxtgraf.search.build import BULK_KINDS, SCHEMA_VERSION
from tillvaxtgraf.search.kinds import KIND_LABELS
from tillvaxtgraf.search.text import deletions, normalize, tokens, within_one_edit

CANDIDATES = 400
BULK_CANDIDATES = 200
MAX_QUERY_CHARS = 200
MAX_TOKENS = 8


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
        return asdict(self)


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

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                 check_same_thread=False)
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

    def _candidates(self, table: str, match: str, limit: int) -> list[tuple]:
        """Matching names with their entity. The core table is ranked by bm25; the bulk
        table (many similar names) just gives its first matches, ranked in Python."""
        columns = ("SELECT e.iri, e.kind, e.label_sv, e.label_en, e.description_sv, "
                   "e.description_en, e.importance, n.text, n.weight, n.plain, ")
        if table == "names":  # rank first, then read the few best rows (not all matches)
            sql = (columns + "top.score FROM (SELECT rowid AS r, bm25(names) AS score "
                   "FROM names WHERE names MATCH ? ORDER BY score LIMIT ?) AS top "
                   "JOIN names n ON n.rowid = top.r JOIN entity e ON e.id = n.entity "
                   "ORDER BY top.score")
        else:
            sql = (columns + "0 FROM names_bulk n JOIN entity e ON e.id = n.entity "
                   "WHERE names_bulk MATCH ? LIMIT ?")
        return self._db().execute(sql, (match, limit)).fetchall()

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
        clauses = []
        typo_words: set[str] = set()
        for position, word in enumerate(words):
            options = [f'"{word}"*' if position == len(words) - 1 else f'"{word}"']
            for alternative in self._typo_alternatives(word):
                options.append(f'"{alternative}"')
                typo_words.add(alternative)
            clauses.append("(" + " OR ".join(options) + ")")
        match = " AND ".join(clauses)
        rows = []
        if not kinds or kinds - BULK_KINDS:
            rows = self._candidates("names", match, CANDIDATES)
        enough = len({r[0] for r in rows}) >= limit
        if not enough or (kinds and kinds & BULK_KINDS):
            rows += self._candidates("names_bulk", match, BULK_CANDIDATES)
        wanted = normalize(" ".join(words))
        # Score every candidate name; an entity keeps its best name (the first on a tie).
        best: dict[str, tuple[float, tuple]] = {}
        last = len(words) - 1
        for row in rows:
            iri, kind, _, _, _, _, importance, _, weight, plain, rank = row
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
            score = round(match_score + weight + 2.0 * importance - 0.01 * len(plain)
                          - 0.1 * rank, 3)
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
            iri, kind, sv, en, dsv, den, _, name, _, _, _ = row
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
