"""The kinds people search for, and which ontology classes belong to each."""

from __future__ import annotations

TG = "https://w3id.org/tillvaxtgraf/ontology#"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

# Checked in order: the first root a class descends from gives its kind.
KIND_ROOTS: list[tuple[str, str]] = [
    (TG + "CollaborationArena", "arena"),
    (TG + "Region", "region"),
    (TG + "Municipality", "municipality"),
    (TG + "County", "place"),
    (TG + "Project", "project"),
    (TG + "Actor", "actor"),
    (TG + "ActorGroup", "actor"),
    (ORG + "Organization", "actor"),
    (TG + "Strategy", "strategy"),
    (TG + "Priority", "priority"),
    (TG + "SubPriority", "priority"),
    (TG + "Regulation", "regulation"),
    (ELI + "LegalResource", "regulation"),
    (TG + "FundingSource", "funding"),
    (TG + "FundingProgramme", "funding"),
    (TG + "MainTask", "task"),
    (TG + "Assignment", "assignment"),
    (TG + "Dialogue", "assignment"),
    (TG + "SourceSection", "source"),
]

KIND_LABELS: dict[str, dict[str, str]] = {
    "actor": {"sv": "Aktörer", "en": "Actors"},
    "region": {"sv": "Regioner", "en": "Regions"},
    "municipality": {"sv": "Kommuner", "en": "Municipalities"},
    "place": {"sv": "Län", "en": "Counties"},
    "arena": {"sv": "Samverkansarenor", "en": "Collaboration arenas"},
    "strategy": {"sv": "Strategier", "en": "Strategies"},
    "priority": {"sv": "Prioriteringar", "en": "Priorities"},
    "regulation": {"sv": "Författningar", "en": "Regulations"},
    "funding": {"sv": "Finansiering", "en": "Funding"},
    "task": {"sv": "Uppgifter", "en": "Tasks"},
    "assignment": {"sv": "Uppdrag och dialoger", "en": "Assignments and dialogues"},
    "project": {"sv": "Projekt", "en": "Projects"},
    "source": {"sv": "Källor", "en": "Sources"},
    "other": {"sv": "Övrigt", "en": "Other"},
}

# Importance a kind lends its members before any links are counted.
KIND_WEIGHT: dict[str, float] = {
    "actor": 3.0, "arena": 3.0, "regulation": 3.0, "funding": 3.0, "strategy": 2.5,
    "priority": 2.5, "region": 2.5, "place": 2.0, "task": 2.0, "assignment": 2.0,
    "municipality": 1.5, "source": 1.0, "project": 0.5, "other": 0.5,
}


def kind_of(types: set[str], supers: dict[str, set[str]]) -> str:
    """The kind of an entity with these rdf:types, given each class's superclasses."""
    ancestry = set(types)
    for rdf_type in types:
        ancestry |= supers.get(rdf_type, set())
    for root, kind in KIND_ROOTS:
        if root in ancestry:
            return kind
    return "other"
