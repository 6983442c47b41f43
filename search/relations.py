"""An entity's relations in plain words, grouped: "is a member of: Reglab".

Each link of the entity (the path finder's links: the search index's adjacency table, or
the store's neighbour query without a current index) is read from the entity's side: a
property it states reads as the property's phrase ("is a member of"), a property another
entity states about it reads as the inverse phrase where the ontology has one, else as
"… <phrase> <entity>". Assignments are told as what the entity has to do, to whom it
reports and by when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tillvaxtgraf.search.connections import PathFinder, _local_name
from tillvaxtgraf.search.index import entity_labels
from tillvaxtgraf.search.kinds import KIND_LABELS
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

TG = "https://w3id.org/tillvaxtgraf/ontology#"
ASSIGNED_TO = TG + "assignedTo"
MAX_ITEMS = 12
MONTHS = {
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
WORDS = {
    "sv": {"assigned": "har i uppdrag att", "report": "redovisas till", "due": "senast",
           "more": "och {n} till"},
    "en": {"assigned": "is assigned to", "report": "reported to", "due": "due",
           "more": "and {n} more"},
}


@dataclass
class RelationGroup:
    phrase: str  # the words before the items ("is a member of") or around them
    direction: str  # "out", "in" (read through an inverse phrase) or "in-passive"
    predicate: str
    items: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0  # items left out beyond MAX_ITEMS

    def to_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "direction": self.direction,
                "predicate": self.predicate, "items": self.items, "more": self.more}


def long_date(value: str, lang: str) -> str:
    """'2019-10-01' → '1 October 2019' (or '1 oktober 2019'); other text unchanged."""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def _pick(terms: list[Term], lang: str) -> str | None:
    for wanted in (lang, "sv", "en", None):
        for term in terms:
            if term.lang == wanted or wanted is None:
                return term.value
    return None


def assignments(finder: PathFinder, iri: str) -> list[dict[str, Any]]:
    """The entity's assignments as items with a sentence each."""
    lang = finder.lang if finder.lang in WORDS else "en"
    _, rows = finder.store.select(sparql("assignments_of"), {"node": Term.iri(iri)})
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(row["assignment"].value,
                                 {"tasks": [], "report": set(), "deadline": None})
        if "task" in row:
            entry["tasks"].append(row["task"])
        if "reportTo" in row and row["reportTo"].is_iri:
            entry["report"].add(row["reportTo"].value)
        if "deadline" in row:
            entry["deadline"] = row["deadline"].value
    labels = entity_labels(finder.index, list(found) + [r for e in found.values()
                                                        for r in e["report"]], lang)
    words = WORDS[lang]
    items = []
    for assignment, entry in sorted(found.items()):
        task = _pick(entry["tasks"], lang) or labels.get(assignment, (assignment, ""))[0]
        text = task
        report = sorted(labels.get(r, (_local_name(r), ""))[0] for r in entry["report"])
        if report:
            text += f", {words['report']} {' & '.join(report)}"
        if entry["deadline"]:
            text += f", {words['due']} {long_date(entry['deadline'], lang)}"
        label, kind = labels.get(assignment, (_local_name(assignment), "assignment"))
        items.append({"iri": assignment, "label": label, "kind": kind, "text": text})
    return items


def relation_groups(finder: PathFinder, iri: str) -> list[RelationGroup]:
    """The entity's links grouped by how they read from its side, best known first."""
    lang = finder.lang if finder.lang in WORDS else "en"
    links = finder.neighbours(iri)
    phrases, inverse = finder.property_phrases(), finder.inverse_phrases()
    labels = entity_labels(finder.index, [iri] + [o for _, o, _ in links], lang)
    name = labels.get(iri, (_local_name(iri), ""))[0]
    groups: dict[tuple[str, str], RelationGroup] = {}
    told = set()  # (phrase, other): a link stated from both ends is told once
    has_assignments = False
    for predicate, other, incoming in links:
        if incoming and predicate == ASSIGNED_TO:
            has_assignments = True
            continue
        phrase = phrases.get(predicate) or _local_name(predicate)
        if not incoming:
            key, direction = ("out", phrase), "out"
        elif predicate in inverse:
            phrase, direction = inverse[predicate], "in"
            key = ("out", phrase)  # reads like a link the entity states itself
        else:
            key, direction = ("in", phrase), "in-passive"
            phrase = f"… {phrase} {name}"
        if (key, other) in told:
            continue
        told.add((key, other))
        group = groups.setdefault(key, RelationGroup(phrase, direction, predicate))
        label, kind = labels.get(other, (_local_name(other), "other"))
        group.items.append({"iri": other, "label": label, "kind": kind,
                            "kind_label": KIND_LABELS.get(kind, KIND_LABELS["other"])[lang]})
    ordered = sorted(groups.values(),
                     key=lambda g: (g.direction == "in-passive", -len(g.items), g.phrase))
    if has_assignments:
        items = assignments(finder, iri)
        if items:
            ordered.insert(0, RelationGroup(WORDS[lang]["assigned"], "out", ASSIGNED_TO,
                                            items))
    for group in ordered:
        group.items.sort(key=lambda item: item["label"].casefold())
        if len(group.items) > MAX_ITEMS:
            group.more = len(group.items) - MAX_ITEMS
            group.items = group.items[:MAX_ITEMS]
    return ordered
