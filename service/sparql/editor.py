"""What the query editor at ``/sparql`` needs: prefixes, ready examples, vocabulary terms.

The browser editor (YASGUI) gets all of it from this service, never from the network:
prefixes are preloaded, the named queries of the catalog are its examples, and the
autocompletion of classes and properties is fed by ``/sparql/terms``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from tillvaxtgraf.queries.catalog import NamedQuery, Parameter
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.names import TG
from tillvaxtgraf.store.sparql import sparql

# The prefixes the editor declares in a new query, in this order.
PREFIXES: dict[str, str] = {
    "tg": TG,
    "tgid": "",  # the base IRI of minted identifiers + "id/": filled from the settings
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "owl": "http://www.w3.org/2002/07/owl#",
}

STARTER_BODY = """\
SELECT ?actor ?label WHERE {
  ?actor a/rdfs:subClassOf* tg:Actor ;
         skos:prefLabel ?label .
  FILTER(LANG(?label) = "sv")
}
ORDER BY ?label
LIMIT 100
"""


def prefixes(base_iri: str) -> dict[str, str]:
    return {name: (iri or base_iri + "id/") for name, iri in PREFIXES.items()}


def prologue(known: dict[str, str]) -> str:
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in known.items())


def starter_query(known: dict[str, str]) -> str:
    """The query a new editor tab shows: every project prefix, then a first question."""
    return prologue(known) + "\n" + STARTER_BODY


def _term_text(param: Parameter, value: str) -> str:
    """A parameter value written as SPARQL (checked the way the API checks it)."""
    return param.to_term(value).to_ntriples()


def example_text(query: NamedQuery) -> str:
    """The named query ready to run: its example (or default) values written in place.

    The API binds values as RDF terms; an editor example is text the analyst reads and
    changes, so the values stand where the parameters stood. Parameters without a value
    stay variables (optional ones are then simply unbound).
    """
    text = query.sparql
    for param in query.parameters:
        value = query.example.get(param.name, param.default)
        if value is None:
            continue
        written = _term_text(param, value)
        pattern = re.compile(r"[?$]" + re.escape(param.variable) + r"(?![A-Za-z0-9_])")
        text = pattern.sub(lambda _match: written, text)  # noqa: B023 - used at once
    return text


def examples(catalog: dict[str, NamedQuery]) -> list[dict[str, Any]]:
    return [
        {"name": q.name, "summary": q.summary or q.name, "tags": q.tags,
         "query": example_text(q)}
        for q in catalog.values()
    ]


def _curie(iri: str, known: dict[str, str]) -> str | None:
    """The prefixed name of ``iri`` (the longest matching namespace), if it has one."""
    for name, namespace in sorted(known.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace):]
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", local):
            return f"{name}:{local}"
    return None


class TermCatalog:
    """The vocabulary terms for autocompletion, computed once per state of the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple[str, str], dict[str, Any]] = {}

    def terms(self, store: Store, lang: str, known: dict[str, str]) -> dict[str, Any]:
        key = (store.version(), lang)
        with self._lock:
            found = self._cached.get(key)
        if found is None:
            found = _collect(store, lang, known)
            with self._lock:
                self._cached = {k: v for k, v in self._cached.items() if k[0] == key[0]}
                self._cached[key] = found
        return found


def _collect(store: Store, lang: str, known: dict[str, str]) -> dict[str, Any]:
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    _, rows = store.select(sparql("editor_terms"))
    for row in rows:
        iri, kind = row["term"].value, row["kind"].value
        entry = entries.setdefault((kind, iri), {
            "iri": iri, "curie": _curie(iri, known), "declared": True,
            "label": None, "definition": None,
        })
        for field in ("label", "definition"):  # this language first, then any
            term = row.get(field)
            if term is not None and (entry[field] is None or term.lang == lang):
                entry[field] = term.value
    _, rows = store.select(sparql("editor_used_terms"))
    for row in rows:
        iri, kind = row["term"].value, row["kind"].value
        entries.setdefault((kind, iri), {"iri": iri, "curie": _curie(iri, known),
                                         "declared": False, "label": None,
                                         "definition": None})
    answer: dict[str, Any] = {"lang": lang, "prefixes": known, "classes": [],
                              "properties": []}
    for (kind, _), entry in sorted(entries.items(), key=lambda e: (e[0][0], e[0][1])):
        answer["classes" if kind == "class" else "properties"].append(entry)
    return answer
