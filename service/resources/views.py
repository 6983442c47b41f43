"""Linked data: dereferenceable IRIs, resource pages, ontology docs, dataset description.

Routes (all GET/HEAD, CORS-enabled):

- ``/id/{kind}/{key}`` answers for ``{base}id/{kind}/{key}``; ``/graph/…`` for named
  graph IRIs; ``/ontology`` for the ontology and its hash terms; ``/resource?iri=…``
  for any other IRI in the store (a minted IRI there is sent to its own path with 303).
- Each answers in the format content negotiation picks (Accept with q-values), or the one
  a file extension names (``.html .ttl .jsonld .rdf .nt``) or ``?format=``.
- ``/context.jsonld``: the JSON-LD context every JSON-LD document here refers to.
- ``/.well-known/void``: the VoID/DCAT dataset description.

Redirect semantics: the IRI itself answers 200 with the chosen representation, no 303
hop (the 2012 httpRange-14 resolution allows this for slash IRIs); ``Content-Location``
names the document of that representation (the extension URL) and ``Vary: Accept`` says
the answer was negotiated. The README explains the choice.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote, urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from tillvaxtgraf.service import extension
from tillvaxtgraf.service.cors import add_cors, preflight
from tillvaxtgraf.service.extension import get_store
from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.service.links import resource_url
from tillvaxtgraf.service.negotiation import FORMAT_NAMES, choose_format, reader_language
from tillvaxtgraf.service.resources.describe import (
    CAP,
    Description,
    describe,
    graph_sources,
    labels_for,
    more_query,
)
from tillvaxtgraf.service.resources.ontology_doc import ontology_doc, ontology_triples
from tillvaxtgraf.service.resources.pages import TEXTS, Shower, resource_page
from tillvaxtgraf.service.resources.rdf import (
    EXTENSIONS,
    FORMAT_EXTENSIONS,
    FORMAT_LABELS,
    MEDIA_TYPES,
    OFFERED,
    Unwritable,
    graph_of,
    jsonld_context,
    prefixes,
    serialize,
)
from tillvaxtgraf.service.resources.void import dataset_graph, dataset_stats
from tillvaxtgraf.service.streaming import content_type, etag_for, not_modified
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term, is_valid_iri

log = logging.getLogger(__name__)
blueprint = Blueprint("resources", __name__)
METHODS = "GET, HEAD, OPTIONS"
CACHE_KEY = "tillvaxtgraf.resources.cache"


# -- request helpers ------------------------------------------------------------------


@blueprint.before_request
def _preflight() -> Response | None:
    return preflight(METHODS) if request.method == "OPTIONS" else None


def _check_extension(ext: str | None) -> None:
    if ext is not None and ext not in EXTENSIONS:
        raise HttpError(404, f"no such format: .{ext}; give one of "
                        f"{', '.join('.' + e for e in EXTENSIONS)}")


def _base() -> str:
    return current_app.config["SETTINGS"].base_iri


def _lang() -> str:
    lang = reader_language(request.args.get("lang"), request.accept_languages)
    if lang is None:
        raise HttpError(400, "parameter 'lang': give sv or en")
    return lang


def _format(ext: str | None) -> str:
    """The format a file extension, ``?format=`` or the Accept header asks for."""
    if ext is not None:
        return EXTENSIONS[ext]
    asked = request.args.get("format")
    if asked:
        name = "html" if asked.lower() == "html" else FORMAT_NAMES.get(asked.lower())
        if name not in MEDIA_TYPES:
            raise HttpError(406, f"format={asked!r} is not available here; give one of "
                            f"{', '.join(EXTENSIONS)}")
        return name
    chosen = choose_format(request.headers.get("Accept"), OFFERED, "html")
    if chosen is None:
        raise HttpError(406, "none of the media types in the Accept header can be given; "
                        f"available: {', '.join(MEDIA_TYPES.values())}")
    return chosen


def _cached(store: Store, version: str, name: str, compute: Any) -> Any:
    """A value computed once per store version (per app: tests run several stores)."""
    cache = current_app.extensions.setdefault(CACHE_KEY, {})
    hit = cache.get(name)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = compute(store)
    cache[name] = (version, value)
    return value


def _variant(path: str, ext: str, args: dict[str, str] | None = None) -> str:
    return f"{path}.{ext}" + (f"?{urlencode(args)}" if args else "")


class Document:
    """Where a document lives (path and query), so its variants can be named: by a file
    extension, or (``by_parameter``, for well-known addresses) by ``?format=``."""

    def __init__(self, path: str, args: dict[str, str] | None = None,
                 by_parameter: bool = False) -> None:
        self.path = path
        self.args = args or {}
        self.by_parameter = by_parameter

    def variant(self, rdf_format: str) -> str:
        ext = FORMAT_EXTENSIONS[rdf_format]
        if self.by_parameter:
            return f"{self.path}?{urlencode({**self.args, 'format': ext})}"
        return _variant(self.path, ext, self.args)

    def downloads(self) -> list[dict[str, str]]:
        return [{"format": FORMAT_LABELS[name], "url": self.variant(name),
                 "media_type": MEDIA_TYPES[name]} for name in FORMAT_EXTENSIONS]


def _finish(response: Response, document: Document, rdf_format: str, negotiated: bool,
            etag: str | None = None) -> Response:
    """Headers every answer here carries: Vary, Content-Location, alternates, ETag, CORS."""
    vary = []
    if negotiated:
        vary.append("Accept")
        response.headers["Content-Location"] = document.variant(rdf_format)
    if rdf_format == "html" and "lang" not in request.args:
        vary.append("Accept-Language")
    if vary:
        response.headers["Vary"] = ", ".join(vary)
    response.headers["Link"] = ", ".join(
        f'<{d["url"]}>; rel="alternate"; type="{d["media_type"]}"'
        for d in document.downloads())
    if etag:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    return add_cors(response, METHODS)


def _machine(graph_text: str, rdf_format: str) -> Response:
    return Response(graph_text, content_type=content_type(MEDIA_TYPES[rdf_format]))


def _context_url() -> str:
    return url_for("resources.context", _external=True)


def _write(triples_graph: Any, rdf_format: str) -> str:
    try:
        return serialize(triples_graph, rdf_format, base_iri=_base(),
                         context_url=_context_url())
    except Unwritable as exc:
        raise HttpError(406, f"this description cannot be written as {rdf_format}: {exc}; "
                        "ask for Turtle, N-Triples or JSON-LD") from None


# -- resources ------------------------------------------------------------------------


def _words(iri: str) -> str:
    """What to search for when an IRI is unknown: its last segment, in words."""
    tail = unquote(iri.rstrip("/#")).replace("#", "/").rsplit("/", 1)[-1]
    return " ".join(re.split(r"[\s_+.\-]+", tail)).strip()


def suggestions(iri: str, lang: str) -> list[dict[str, Any]]:
    """Entities whose names are near the unknown IRI's last segment (search index)."""
    get_search = getattr(extension, "get_search", None)
    text = _words(iri)
    if get_search is None or len(re.sub(r"\W", "", text)) < 3:
        return []
    try:
        search = get_search()
        found = search.suggest(text, limit=5, lang=lang) if search is not None else []
    except Exception:  # noqa: BLE001 - suggestions must never turn a 404 into a 500
        log.warning("no suggestions for %r", text, exc_info=True)
        return []
    return [{**hit, "url": resource_url(hit["iri"])} for hit in found]


def _not_found(iri: str, rdf_format: str) -> Response | tuple[str, int]:
    lang = _lang()
    found = suggestions(iri, lang)
    if rdf_format == "html":
        page = render_template("resources/not_found.html", iri=iri, lang=lang,
                               texts=TEXTS[lang], suggestions=found,
                               valid=is_valid_iri(iri), words=_words(iri))
        response = Response(page, 404, content_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store", "Vary": "Accept"})
        return add_cors(response, METHODS)
    hint = None
    if found:
        hint = "did you mean " + ", ".join(f"<{s['iri']}> ({s['label']})" for s in found[:3])
    raise HttpError(404, f"nothing is known about <{iri}> here", hint=hint)


def _graph_info(store: Store, version: str, iri: str) -> dict[str, Any] | None:
    """For a named graph's page: its record and size, and where to get its triples."""
    if not store.graph_exists(iri):
        return None
    sources = _cached(store, version, "sources", graph_sources)
    source = sources.get(iri)
    if source is not None and source.triples is not None:
        size = source.triples
    else:
        _, rows = store.select(sparql("count_graph"), {"g": Term.iri(iri)})
        size = int(rows[0]["n"].value) if rows else 0
    return {"triples": size, "source": source,
            "download": url_for("graph_store.graph_store", graph=iri)}


def _resource_html(store: Store, version: str, description: Description, lang: str,
                   document: Document, graph: dict[str, Any] | None) -> str:
    sources = _cached(store, version, "sources", graph_sources)
    used = {g for s in description.outgoing + description.incoming for g in s.graphs}
    sections = [sources[g].section for g in used if g in sources and sources[g].section]
    labels = labels_for(store, [*description.linked_iris(), *used, *sections])
    shower = Shower(labels, lang, prefixes(_base()), resource_url, sources)
    page = resource_page(description, shower)
    sections_shown = {s: shower.term(Term.iri(s)) for s in sections}
    more = {}
    for direction, capped in (("out", description.more_outgoing),
                              ("in", description.more_incoming)):
        if capped:
            more[direction] = url_for("sparql.endpoint") + "?" + urlencode(  # the editor
                {"query": more_query(direction, description.iri), "format": "html"})
    base = _base()
    return render_template(
        "resources/resource.html", page=page, lang=lang, texts=TEXTS[lang],
        downloads=document.downloads(), more=more, sections=sections_shown, graph=graph,
        external=not description.iri.startswith(base), cap=CAP,
        lang_links={code: _variant(document.path, "html", {**document.args, "lang": code})
                    for code in TEXTS},
    )


def serve_resource(iri: str, document: Document, ext: str | None,
                   fallback: tuple[str, Document] | None = None) -> Response | tuple[str, int]:
    """Describe an IRI in the format asked for; ``fallback`` is tried when it is unknown."""
    rdf_format = _format(ext)
    store = get_store()
    version = store.version()
    lang = _lang() if rdf_format == "html" else ""
    description = describe(store, iri) if is_valid_iri(iri) else None
    graph = None
    if description is not None and document.path.startswith("/graph/"):
        graph = _graph_info(store, version, iri)
    if description is None or not (description.found or graph):
        if fallback is not None:
            return serve_resource(fallback[0], fallback[1], None)
        return _not_found(iri, rdf_format)
    etag = etag_for(version, "resource", iri, rdf_format, lang)
    negotiated = ext is None and "format" not in request.args
    if not_modified(etag):
        return _finish(Response(status=304), document, rdf_format, negotiated, etag)
    if rdf_format == "html":
        body = _resource_html(store, version, description, lang, document, graph)
        response = Response(body, content_type="text/html; charset=utf-8")
    else:
        response = _machine(_write(graph_of(description.triples(), _base()), rdf_format),
                            rdf_format)
    return _finish(response, document, rdf_format, negotiated, etag)


def _split_extension(rest: str) -> tuple[str, str | None]:
    stem, dot, ext = rest.rpartition(".")
    if dot and stem and ext in EXTENSIONS:
        return stem, ext
    return rest, None


def _by_path(prefix: str, rest: str) -> Response | tuple[str, int]:
    """``/{prefix}{rest}`` answers for ``{base}{prefix}{rest}``, or ``rest`` minus a
    file extension (when the IRI with the extension is not itself known)."""
    base = _base()
    stem, ext = _split_extension(rest)
    full = Document("/" + prefix + rest)
    if ext is None:
        return serve_resource(base + prefix + rest, full, None)
    return serve_resource(base + prefix + stem, Document("/" + prefix + stem), ext,
                          fallback=(base + prefix + rest, full))


@blueprint.route("/id/<path:rest>", methods=["GET", "HEAD", "OPTIONS"])
def minted(rest: str) -> Response | tuple[str, int]:
    return _by_path("id/", rest)


@blueprint.route("/graph/<path:rest>", methods=["GET", "HEAD", "OPTIONS"])
def named_graph(rest: str) -> Response | tuple[str, int]:
    return _by_path("graph/", rest)


@blueprint.route("/ontology/<path:rest>", methods=["GET", "HEAD", "OPTIONS"])
def ontology_part(rest: str) -> Response | tuple[str, int]:
    return _by_path("ontology/", rest)


@blueprint.route("/resource", methods=["GET", "HEAD", "OPTIONS"])
@blueprint.route("/resource.<ext>", methods=["GET", "HEAD", "OPTIONS"])
def resource(ext: str | None = None) -> Response | tuple[str, int]:
    _check_extension(ext)
    iri = request.args.get("iri", "").strip()
    if not iri:
        raise HttpError(400, "give the IRI to describe: /resource?iri=…")
    local = resource_url(iri)
    if is_valid_iri(iri) and not local.startswith("/resource?"):  # minted here: go home
        path, hash_, fragment = local.partition("#")
        if ext is not None:
            path = _variant(path, ext)
        response = redirect(path + hash_ + fragment, 303)
        return add_cors(response, METHODS)
    return serve_resource(iri, Document("/resource", {"iri": iri}), ext)


# -- ontology -------------------------------------------------------------------------


@blueprint.route("/ontology", methods=["GET", "HEAD", "OPTIONS"])
@blueprint.route("/ontology.<ext>", methods=["GET", "HEAD", "OPTIONS"])
def ontology(ext: str | None = None) -> Response | tuple[str, int]:
    _check_extension(ext)
    rdf_format = _format(ext)
    store = get_store()
    version = store.version()
    lang = _lang() if rdf_format == "html" else ""
    document = Document("/ontology")
    triples = _cached(store, version, "ontology", ontology_triples)
    if not triples:
        raise HttpError(404, "no ontology is loaded in this store")
    etag = etag_for(version, "ontology", rdf_format, lang)
    negotiated = ext is None and "format" not in request.args
    if not_modified(etag):
        return _finish(Response(status=304), document, rdf_format, negotiated, etag)
    if rdf_format == "html":
        doc = _cached(store, version, "ontology_doc", ontology_doc)
        labels = doc.labels
        page = render_template("resources/ontology.html", doc=doc, lang=lang,
                               texts=TEXTS[lang], downloads=document.downloads(),
                               labels=labels, prefixes=prefixes(_base()),
                               lang_links={code: f"/ontology.html?lang={code}"
                                           for code in TEXTS})
        response = Response(page, content_type="text/html; charset=utf-8")
    else:
        response = _machine(_write(graph_of(triples, _base()), rdf_format), rdf_format)
    return _finish(response, document, rdf_format, negotiated, etag)


# -- JSON-LD context and dataset description ------------------------------------------


@blueprint.route("/context.jsonld", methods=["GET", "HEAD", "OPTIONS"])
def context() -> Response:
    body = json.dumps(jsonld_context(_base()), indent=2) + "\n"
    response = Response(body, content_type="application/ld+json; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return add_cors(response, METHODS)


def void_url() -> str:
    """The dataset description's address; the dataset itself is ``#dataset`` in it."""
    return url_for("resources.void", _external=True)


@blueprint.route("/.well-known/void", methods=["GET", "HEAD", "OPTIONS"])
def void() -> Response:
    rdf_format = _format(None)
    negotiated = "format" not in request.args
    store = get_store()
    version = store.version()
    lang = _lang() if rdf_format == "html" else ""
    document = Document("/.well-known/void", by_parameter=True)
    etag = etag_for(version, "void", rdf_format, lang, request.host_url)
    if not_modified(etag):
        return _finish(Response(status=304), document, rdf_format, negotiated, etag)
    stats = _cached(store, version, "void", dataset_stats)
    urls = {"void": void_url(), "sparql": url_for("sparql.endpoint", _external=True),
            "root": request.host_url,
            "graph_store": url_for("graph_store.graph_store", _external=True)}
    if rdf_format == "html":
        sources = _cached(store, version, "sources", graph_sources)
        labels = labels_for(store, [*(iri for iri, _ in stats.classes or []),
                                    *(s.section for s in sources.values() if s.section)])
        body = render_template("resources/void.html", stats=stats, urls=urls, lang=lang,
                               texts=TEXTS[lang], labels=labels,
                               downloads=document.downloads())
        response = Response(body, content_type="text/html; charset=utf-8")
    else:
        response = _machine(_write(dataset_graph(stats, urls, _base()), rdf_format),
                            rdf_format)
    return _finish(response, document, rdf_format, negotiated, etag)
