"""How are A and B connected? Shortest paths between two entities, told as sentences.

A bidirectional breadth-first search over the links between entities. They are read from
the search index's adjacency table, which the loader builds from the store through the
Store interface with the index (so it runs on any backend, and a request does not ask the
store once per expanded entity); without a current index, one neighbour query per
expanded entity goes to the store. Hubs are capped: an entity with more links than the
fan-out cap contributes only the first ones, and the answer says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import islice

from tillvaxtgraf.search.build import NOT_NODES
from tillvaxtgraf.search.index import SearchIndex, entity_labels
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.bindings import bind_table
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

FANOUT_CAP = 200
NEIGHBOUR_LIMIT = 201  # as store/sparql/neighbours.rq
# The telling relations of a search hit: what it states, and these links others state
# about it (store/sparql/relations_batch.rq without an index).
TELLING_INVERSES = ("http://www.w3.org/ns/org#hasMember", "http://www.w3.org/ns/org#hasUnit",
                    "http://purl.org/dc/terms/hasPart",
                    "http://www.w3.org/2004/02/skos/core#narrower")
RELATIONS_LIMIT = 200


class _LruCache:
    """Neighbours by (store version, entity), shared by the requests of one process:
    a snapshot never changes, so its entries stay true until the version moves on."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, str], list[tuple[str, str, bool]]] = \
            OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> list[tuple[str, str, bool]] | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: list[tuple[str, str, bool]]) -> None:
        with self.lock:
            self.entries[key] = value
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)


_NEIGHBOURS = _LruCache(20_000)
# Property phrases by (store version, language): the ontology changes only with the data.
_PHRASE_CACHE: dict[tuple[str, str], tuple[dict[str, str], dict[str, str]]] = {}
MAX_EXPANSIONS = 400
TIME_BUDGET = 3.0
MAX_PATHS_CONSIDERED = 200

# Reused vocabularies' properties, as phrases ("S <phrase> O") in each language.
PHRASES: dict[str, dict[str, str]] = {
    "http://www.w3.org/ns/org#hasMember": {"sv": "har som medlem", "en": "has as a member"},
    "http://www.w3.org/ns/org#memberOf": {"sv": "är medlem i", "en": "is a member of"},
    "http://www.w3.org/ns/org#unitOf": {"sv": "är en enhet inom", "en": "is a unit of"},
    "http://www.w3.org/ns/org#hasUnit": {"sv": "har enheten", "en": "has the unit"},
    "http://www.w3.org/ns/org#subOrganizationOf": {"sv": "är underorganisation till",
                                                   "en": "is a sub-organisation of"},
    "http://purl.org/dc/terms/isPartOf": {"sv": "är en del av", "en": "is part of"},
    "http://purl.org/dc/terms/hasPart": {"sv": "har som del", "en": "has as a part"},
    "http://purl.org/dc/terms/publisher": {"sv": "ges ut av", "en": "is published by"},
    "http://purl.org/dc/terms/creator": {"sv": "är skapad av", "en": "is created by"},
    "http://purl.org/dc/terms/subject": {"sv": "handlar om", "en": "is about"},
    "http://data.europa.eu/eli/ontology#passed_by": {"sv": "är beslutad av",
                                                     "en": "is passed by"},
    "http://www.w3.org/2004/02/skos/core#broader": {"sv": "ingår i", "en": "falls under"},
    "http://www.w3.org/2004/02/skos/core#narrower": {"sv": "omfattar", "en": "includes"},
    "http://www.w3.org/ns/prov#wasAttributedTo": {"sv": "tillskrivs", "en": "is attributed to"},
    "http://www.w3.org/2002/07/owl#sameAs": {"sv": "är samma som", "en": "is the same as"},
}
# Pairs of reused properties that state one link from either end.
INVERSES: dict[str, str] = {
    "http://www.w3.org/ns/org#hasMember": "http://www.w3.org/ns/org#memberOf",
    "http://www.w3.org/ns/org#memberOf": "http://www.w3.org/ns/org#hasMember",
    "http://www.w3.org/ns/org#unitOf": "http://www.w3.org/ns/org#hasUnit",
    "http://www.w3.org/ns/org#hasUnit": "http://www.w3.org/ns/org#unitOf",
    "http://purl.org/dc/terms/isPartOf": "http://purl.org/dc/terms/hasPart",
    "http://purl.org/dc/terms/hasPart": "http://purl.org/dc/terms/isPartOf",
    "http://www.w3.org/2004/02/skos/core#broader": "http://www.w3.org/2004/02/skos/core#narrower",
    "http://www.w3.org/2004/02/skos/core#narrower": "http://www.w3.org/2004/02/skos/core#broader",
}
# "A and B both <plural> M": when two people share a middle node by the same relation.
SHARED: dict[str, dict[str, str]] = {
    "http://www.w3.org/ns/org#hasMember": {"sv": "är båda medlemmar i",
                                           "en": "are both members of"},
    "http://www.w3.org/ns/org#memberOf": {"sv": "är båda medlemmar i",
                                          "en": "are both members of"},
}


@dataclass
class Edge:
    subject: str
    predicate: str
    object: str


@dataclass
class Path:
    nodes: list[str]
    edges: list[Edge]
    score: float = 0.0
    sentence: str = ""


@dataclass
class Connections:
    source: str
    target: str
    paths: list[Path] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)
    exhausted: bool = False  # the search stopped at its budget before finishing
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)


class _Side:
    def __init__(self, start: str) -> None:
        self.distance = {start: 0}
        self.parents: dict[str, list[tuple[str, Edge]]] = {start: []}
        self.frontier = [start]
        self.depth = 0


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


class PathFinder:
    def __init__(self, store: Store, index: SearchIndex | None, *, fanout: int = FANOUT_CAP,
                 lang: str = "sv", index_is_current: bool = True) -> None:
        self.store = store
        self.index = index
        # Links and phrases come from the index only when it mirrors the store's data now.
        self.linked = index if index_is_current else None
        self.fanout = fanout
        self.lang = lang
        self.cache: dict[str, list[tuple[str, str, bool]]] = {}
        self.capped: set[str] = set()
        self.expansions = 0

    def neighbours(self, node: str) -> list[tuple[str, str, bool]]:
        if node not in self.cache:
            key = (self._state(), node)
            found = _NEIGHBOURS.get(key)
            if found is None:
                if self.linked is not None and not node.startswith(NOT_NODES):
                    found = self.linked.links(node, max(NEIGHBOUR_LIMIT, self.fanout + 1))
                else:
                    _, rows = self.store.select(sparql("neighbours"),
                                                {"node": Term.iri(node)})
                    found = [(r["p"].value, r["other"].value, r["inverse"].value == "true")
                             for r in rows if "other" in r]
                _NEIGHBOURS.put(key, found)
            if len(found) > self.fanout:
                self.capped.add(node)
                found = found[: self.fanout]
            self.cache[node] = found
            self.expansions += 1
        return self.cache[node]

    def _state(self) -> str:
        """What the links and phrases are read from: the index file, or the store's
        version (each names one state of the data that never changes)."""
        return str(self.linked.path) if self.linked is not None else self.store.version()

    def _expand(self, side: _Side) -> None:
        side.depth += 1
        following = []
        for node in side.frontier:
            for predicate, other, inverse in self.neighbours(node):
                edge = Edge(other, predicate, node) if inverse else Edge(node, predicate, other)
                known = side.distance.get(other)
                if known is None:
                    side.distance[other] = side.depth
                    side.parents[other] = [(node, edge)]
                    following.append(other)
                elif known == side.depth:
                    side.parents[other].append((node, edge))
            if self.expansions >= MAX_EXPANSIONS:
                break
        side.frontier = following

    def _walks(self, side: _Side, node: str) -> list[list[tuple[str, Edge]]]:
        """Every shortest walk from the side's start to ``node``, as (node, edge) steps."""
        if not side.parents[node]:
            return [[]]
        walks = []
        for previous, edge in side.parents[node]:
            for walk in self._walks(side, previous):
                walks.append([*walk, (node, edge)])
                if len(walks) >= MAX_PATHS_CONSIDERED:
                    return walks
        return walks

    def connect(self, source: str, target: str, *, max_length: int = 4,
                max_paths: int = 5) -> Connections:
        answer = Connections(source, target)
        if source == target:
            return answer
        a, b = _Side(source), _Side(target)
        deadline = time.monotonic() + TIME_BUDGET
        meeting: set[str] = set()
        while a.depth + b.depth < max_length and (a.frontier or b.frontier):
            if self.expansions >= MAX_EXPANSIONS or time.monotonic() > deadline:
                answer.exhausted = True
                break
            side = a if (a.frontier and (len(a.frontier) <= len(b.frontier) or
                                         not b.frontier)) else b
            self._expand(side)
            meeting = set(a.distance) & set(b.distance)
            if meeting:
                break
        if meeting:
            shortest = min(a.distance[m] + b.distance[m] for m in meeting)
            paths = []
            for middle in sorted(m for m in meeting
                                 if a.distance[m] + b.distance[m] == shortest):
                for left in islice(self._walks(a, middle), MAX_PATHS_CONSIDERED):
                    for right in islice(self._walks(b, middle), MAX_PATHS_CONSIDERED):
                        nodes = [source] + [n for n, _ in left]
                        nodes += [n for n, _ in reversed(right[:-1])] + [target] \
                            if right else []
                        edges = [e for _, e in left] + [e for _, e in reversed(right)]
                        if len(set(nodes)) == len(nodes):
                            paths.append(Path(nodes, edges))
                if len(paths) >= MAX_PATHS_CONSIDERED:
                    break
            for path in paths:
                path.score = sum(math.log1p(len(self.cache.get(n, ())))
                                 for n in path.nodes[1:-1])
            paths.sort(key=lambda p: (p.score, [e.predicate for e in p.edges], p.nodes))
            distinct: dict[tuple[str, ...], Path] = {}
            for path in paths:  # a link stated both ways (inverse properties) counts once
                distinct.setdefault(tuple(path.nodes), path)
            answer.paths = list(distinct.values())[:max_paths]
        answer.capped = sorted(self.capped)
        every = sorted({n for p in answer.paths for n in p.nodes} | {source, target})
        answer.labels = entity_labels(self.index, every, self.lang)
        phrases = self.property_phrases()
        for path in answer.paths:
            path.sentence = self.sentence(path, answer.labels, phrases)
        return answer

    def property_phrases(self) -> dict[str, str]:
        phrases, _ = self._phrases()
        return phrases

    def inverse_phrases(self) -> dict[str, str]:
        """For a property, the phrase read from its object's side ("is a member of")."""
        _, inverse = self._phrases()
        return inverse

    def relations_of(self, nodes: list[str]) -> dict[str, list[tuple[str, str, bool]]]:
        """A few links of each node, in one query (no hub's in-links: they can be millions)."""
        found: dict[str, list[tuple[str, str, bool]]] = {n: [] for n in nodes}
        if not nodes:
            return found
        if self.linked is not None:
            for node in nodes:
                found[node] = self.linked.links(node, RELATIONS_LIMIT, TELLING_INVERSES)
            return found
        text = bind_table(sparql("relations_batch"), "node",
                          [Term.iri(n).to_ntriples() for n in nodes])
        _, rows = self.store.select(text)
        for row in rows:
            if "other" in row and row["node"].value in found:
                found[row["node"].value].append(
                    (row["p"].value, row["other"].value, row["inverse"].value == "true"))
        return found

    def _phrases(self) -> tuple[dict[str, str], dict[str, str]]:
        key = (self._state(), self.lang)
        if key in _PHRASE_CACHE:
            return _PHRASE_CACHE[key]
        phrases = {iri: p[self.lang] for iri, p in PHRASES.items()}
        inverse_of: dict[str, str] = dict(INVERSES)
        if self.linked is not None:
            labelled = self.linked.property_labels()
        else:
            _, rows = self.store.select(sparql("property_labels"))
            labelled = [(r["property"].value, r["label"].value, r["label"].lang,
                         r["inverse"].value if "inverse" in r else None) for r in rows]
        for prop, label, lang, inverse in labelled:
            if lang == self.lang:
                phrases.setdefault(prop, label.lower())
            if inverse:
                inverse_of[prop] = inverse
                inverse_of.setdefault(inverse, prop)
        inverse = {p: phrases[q] for p, q in inverse_of.items() if q in phrases}
        if len(_PHRASE_CACHE) > 16:
            _PHRASE_CACHE.clear()
        _PHRASE_CACHE[key] = (phrases, inverse)
        return phrases, inverse

    def sentence(self, path: Path, labels: dict[str, tuple[str, str]],
                 phrases: dict[str, str]) -> str:
        def name(iri: str) -> str:
            return labels.get(iri, (_local_name(iri), ""))[0]

        def phrase(predicate: str) -> str:
            return phrases.get(predicate) or _local_name(predicate)

        edges = path.edges
        if len(edges) == 2 and edges[0].predicate == edges[1].predicate:
            first, second = edges
            shared = SHARED.get(first.predicate, {}).get(self.lang)
            middle = path.nodes[1]
            if shared and first.subject == second.subject == middle:
                return f"{name(path.nodes[0])} {_and(self.lang)} {name(path.nodes[2])} " \
                       f"{shared} {name(middle)}."
            if first.object == second.object == middle:
                same = "har samma" if self.lang == "sv" else "have the same"
                return f"{name(path.nodes[0])} {_and(self.lang)} {name(path.nodes[2])} " \
                       f"{same} {phrase(first.predicate)}: {name(middle)}."
        parts = [f"{name(e.subject)} {phrase(e.predicate)} {name(e.object)}" for e in edges]
        return "; ".join(parts) + "."


def _and(lang: str) -> str:
    return "och" if lang == "sv" else "and"
