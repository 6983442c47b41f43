"""The search page at ``/``, connections between two entities, and their JSON APIs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from tillvaxtgraf.search.connections import (
    RELATIONS_LIMIT,
    TELLING_INVERSES,
    Connections,
    PathFinder,
)
from tillvaxtgraf.search.index import entity_labels
from tillvaxtgraf.search.kinds import KIND_LABELS
from tillvaxtgraf.search.relations import relation_groups
from tillvaxtgraf.service.cors import add_cors
from tillvaxtgraf.service.extension import get_search, get_store
from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.service.links import resource_url
from tillvaxtgraf.service.response_cache import kept_while_unchanged
from tillvaxtgraf.store.terms import is_valid_iri

blueprint = Blueprint("search", __name__)
MAX_LIMIT = 100
RELATIONS_FOR = 10


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in ("sv", "en"):
        return asked
    if asked:
        raise HttpError(400, "parameter 'lang': give sv or en")
    best = request.accept_languages.best_match(["sv", "en"])
    return best or "sv"


def _limit(default: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise HttpError(400, f"parameter 'limit': give a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _kinds() -> set[str] | None:
    kinds = set(request.args.getlist("kind"))
    unknown = kinds - set(KIND_LABELS)
    if unknown:
        raise HttpError(400, f"parameter 'kind': unknown kind(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(KIND_LABELS)}")
    return kinds or None


def _answer(found: dict[str, Any] | None) -> Response:
    """The JSON answer; its language may come from Accept-Language, so caches must ask."""
    response = jsonify(found)
    response.vary.add("Accept-Language")
    return add_cors(response, "GET, HEAD")


def _index_is_current() -> bool:
    """Whether answers now come from the index of the snapshot the store serves."""
    located = get_search().locate()
    return located.index is not None and not located.stale


def _finder(lang: str, **options: int) -> PathFinder:
    """A path finder over the current index's links (the store's, if it has none yet)."""
    located = get_search().locate()
    return PathFinder(get_store(), located.index, lang=lang,
                      index_is_current=not located.stale, **options)


def _relations(hits: list[dict[str, Any]], lang: str) -> None:
    """Add a few telling relations to the first results (one query for all of them)."""
    if not hits:
        return
    finder = _finder(lang, fanout=40)
    phrases, inverse_phrases = finder.property_phrases(), finder.inverse_phrases()
    if finder.linked is not None:  # the usual case: a few links each, labels with them
        for hit in hits[:RELATIONS_FOR]:
            shown, seen = [], set()
            for predicate, other, inverse, sv, en in finder.linked.labelled_links(
                    hit["iri"], RELATIONS_LIMIT, TELLING_INVERSES):
                phrase = (inverse_phrases if inverse else phrases).get(predicate)
                if sv is None or not phrase or (phrase, other) in seen:
                    continue
                seen.add((phrase, other))
                label = (en if lang == "en" else sv) or sv or en or other
                shown.append({"phrase": phrase, "iri": other, "label": label})
                if len(shown) == 3:
                    break
            hit["relations"] = shown
        return
    links_of = finder.relations_of([hit["iri"] for hit in hits[:RELATIONS_FOR]])
    every = sorted({other for links in links_of.values() for _, other, _ in links})
    labels = entity_labels(finder.index, every, lang)
    for hit in hits[:RELATIONS_FOR]:
        links = links_of[hit["iri"]]
        shown, seen = [], set()
        # Links stated by other entities about this one first: memberships, places.
        for predicate, other, inverse in sorted(links, key=lambda link: not link[2]):
            phrase = (inverse_phrases if inverse else phrases).get(predicate)
            if other not in labels or not phrase or (phrase, other) in seen:
                continue
            seen.add((phrase, other))
            shown.append({"phrase": phrase, "iri": other, "label": labels[other][0]})
            if len(shown) == 3:
                break
        hit["relations"] = shown


def run_search(text: str, lang: str, limit: int, kinds: set[str] | None) -> dict[str, Any]:
    hits, stale = get_search().search(text, limit=limit, lang=lang, kinds=kinds)
    results = [h.to_dict() for h in hits]
    _relations(results, lang)
    groups: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(result["kind"], []).append(result)
    return {"query": text, "lang": lang, "results": results, "stale_index": stale,
            "groups": [{"kind": k, "label": KIND_LABELS[k][lang], "results": v}
                       for k, v in groups.items()]}


@blueprint.route("/")
def page() -> str:
    text = request.args.get("q", "").strip()
    lang = _lang()
    found = run_search(text, lang, 40, _kinds()) if text else None
    return render_template("search/page.html", q=text, found=found, lang=lang)


@blueprint.route("/api/search")
@kept_while_unchanged(_index_is_current)
def api_search() -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise HttpError(400, "parameter 'q': give some text to search for")
    return _answer(run_search(text, _lang(), _limit(20), _kinds()))


@blueprint.route("/api/suggest")
@kept_while_unchanged(_index_is_current)
def api_suggest() -> Response:
    text = request.args.get("q", "")
    lang = _lang()
    suggestions = get_search().suggest(text, limit=_limit(8), lang=lang) if text.strip() \
        else []
    for suggestion in suggestions:
        suggestion["url"] = resource_url(str(suggestion["iri"]))
    response = _answer({"query": text, "suggestions": suggestions})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _resolve(param: str, lang: str) -> str | None:
    """An entity from an IRI, or from text (the best search hit)."""
    value = request.args.get(param, "").strip()
    if not value:
        return None
    if is_valid_iri(value):
        return value
    hits, _ = get_search().search(value, limit=1, lang=lang)
    if not hits:
        raise HttpError(404, f"parameter '{param}': nothing is called {value!r}")
    return hits[0].iri


def _kind_label(kind: str, lang: str) -> str:
    return KIND_LABELS.get(kind, KIND_LABELS["other"])[lang]


def _connections_json(answer: Connections, phrases: dict[str, str],
                      lang: str) -> dict[str, Any]:
    def node(iri: str) -> dict[str, str]:
        label, kind = answer.labels.get(iri, (iri.rsplit("/", 1)[-1], "other"))
        return {"iri": iri, "label": label, "kind": kind, "kind_label": _kind_label(kind, lang),
                "url": resource_url(iri)}

    return {
        "from": node(answer.source),
        "to": node(answer.target),
        "paths": [
            {"length": len(p.edges), "sentence": p.sentence,
             "nodes": [node(n) for n in p.nodes],
             "edges": [{"subject": e.subject, "predicate": e.predicate, "object": e.object,
                        "phrase": phrases.get(e.predicate)
                        or e.predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]}
                       for e in p.edges]}
            for p in answer.paths
        ],
        "capped": answer.capped,
        "cap_note": (f"{len(answer.capped)} highly connected entit"
                     f"{'y' if len(answer.capped) == 1 else 'ies'} had more links than the "
                     "fan-out cap; only the first were followed") if answer.capped else None,
        "exhausted": answer.exhausted,
    }


def _max_length() -> int:
    raw = request.args.get("max_length", "4")
    if not raw.isdigit() or not 1 <= int(raw) <= 4:
        raise HttpError(400, "parameter 'max_length': give 1, 2, 3 or 4")
    return int(raw)


def find_connections(lang: str) -> dict[str, Any] | None:
    source, target = _resolve("from", lang), _resolve("to", lang)
    if source is None or target is None:
        return None
    finder = _finder(lang)
    answer = finder.connect(source, target, max_length=_max_length())
    return _connections_json(answer, finder.property_phrases(), lang)


@blueprint.route("/api/connections")
@kept_while_unchanged(_index_is_current)
def api_connections() -> Response:
    if not request.args.get("from") or not request.args.get("to"):
        raise HttpError(400, "give both 'from' and 'to' (an IRI or a name)")
    return _answer(find_connections(_lang()))


@blueprint.route("/connections")
def connections_page() -> str:
    lang = _lang()
    found = find_connections(lang)
    return render_template("search/connections.html", found=found, lang=lang,
                           from_value=request.args.get("from", ""),
                           to_value=request.args.get("to", ""))


@blueprint.route("/api/neighbourhood")
def api_neighbourhood() -> Response:
    """An entity and its linked entities, as nodes and edges for a picture."""
    iri = request.args.get("iri", "")
    if not is_valid_iri(iri):
        raise HttpError(400, "parameter 'iri': give an absolute IRI")
    lang = _lang()
    finder = _finder(lang, fanout=60)
    links = finder.neighbours(iri)
    phrases = finder.property_phrases()
    labels = entity_labels(finder.index, [iri] + [o for _, o, _ in links], lang)
    groups = relation_groups(finder, iri)
    nodes = {iri: labels.get(iri, (iri.rsplit("/", 1)[-1], "other"))}
    edges = []
    for predicate, other, inverse in links:
        nodes[other] = labels.get(other, (other.rsplit("/", 1)[-1], "other"))
        subject, obj = (other, iri) if inverse else (iri, other)
        edges.append({"source": subject, "target": obj, "predicate": predicate,
                      "label": phrases.get(predicate) or predicate.rsplit("#", 1)[-1]})
    return add_cors(jsonify({
        "center": iri,
        "label": nodes[iri][0],
        "nodes": [{"iri": n, "label": lbl, "kind": kind, "kind_label": _kind_label(kind, lang),
                   "url": resource_url(n)} for n, (lbl, kind) in nodes.items()],
        "edges": edges,
        "relations": [g.to_dict() for g in groups],
        "capped": bool(finder.capped),
    }), "GET, HEAD")
