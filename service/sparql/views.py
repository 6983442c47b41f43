"""``/sparql``: the SPARQL 1.1 Protocol endpoint, its service description and form."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from tillvaxtgraf.errors import QueryRefused
from tillvaxtgraf.queries.catalog import load_catalog
from tillvaxtgraf.service import response_cache as kept
from tillvaxtgraf.service.auth import require_write_token
from tillvaxtgraf.service.cors import add_cors, preflight
from tillvaxtgraf.service.extension import get_store
from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.service.negotiation import (
    FORMAT_NAMES,
    GRAPH_TYPES,
    RESULT_TYPES,
    choose,
    choose_format,
)
from tillvaxtgraf.service.sparql import editor
from tillvaxtgraf.service.sparql.description import GRAPH_SERIALIZATIONS, describe_service
from tillvaxtgraf.service.sparql.protocol import Operation, parse_operation
from tillvaxtgraf.service.streaming import etag_for, not_modified, stream_answer
from tillvaxtgraf.store.base import GRAPH_FORMATS, RESULT_FORMATS, QueryRequest
from tillvaxtgraf.store.sparql_text import (
    DatasetConflict,
    SparqlShape,
    inspect,
    refused_targets,
    with_row_limit,
    with_using,
)

blueprint = Blueprint("sparql", __name__)
METHODS = "GET, HEAD, POST, OPTIONS"
TERMS = editor.TermCatalog()


# Deeper nesting than any real query needs; thousands of levels overflow the engine's
# stack (a crashed query worker), so such texts are refused before they reach it.
MAX_NESTING = 256


def _refuse_deep(shape: SparqlShape) -> None:
    if shape.depth > MAX_NESTING:
        raise HttpError(400, f"the query nests brackets, parentheses or groups {shape.depth} "
                        f"levels deep; at most {MAX_NESTING} are accepted")


def _refuse_remote(shape: SparqlShape) -> None:
    refused = refused_targets(shape, current_app.config["SETTINGS"].service_allow)
    if refused:
        kind = "SERVICE" if shape.services else "LOAD"
        raise QueryRefused(
            f"{kind} <{refused[0]}> is not allowed: this endpoint does not reach other "
            "servers unless the operator's allow-list (TILLVAXTGRAF_SERVICE_ALLOW) names them"
        )


# Accept header and answer kind -> format: negotiation with q-values is pure and costs
# more than the rest of a small query's view code.
_NEGOTIATED: dict[tuple[str | None, bool], str | None] = {}
_UNSEEN = object()


def _result_format(shape: SparqlShape) -> str:
    """The format for this query's answer, from ?format= or the Accept header."""
    graph_answer = shape.form in ("CONSTRUCT", "DESCRIBE")
    types = GRAPH_TYPES if graph_answer else RESULT_TYPES
    allowed = GRAPH_FORMATS if graph_answer else RESULT_FORMATS
    asked = request.args.get("format")
    if not asked and request.method == "POST" and request.mimetype.endswith("urlencoded"):
        asked = request.form.get("format")
    if asked:
        name = FORMAT_NAMES.get(asked.lower()) or types.get(asked.lower())
        if name is None or name not in allowed:
            raise HttpError(406, f"format={asked!r} cannot be given for a "
                            f"{shape.form or 'query'} answer; available: "
                            f"{', '.join(allowed)}")
        return name
    accept = request.headers.get("Accept")
    chosen = _NEGOTIATED.get((accept, graph_answer), _UNSEEN)
    if chosen is _UNSEEN:
        chosen = choose_format(accept, types, "turtle" if graph_answer else "json")
        if len(_NEGOTIATED) >= 1024:  # clients send few distinct headers; stay bounded
            _NEGOTIATED.clear()
        _NEGOTIATED[(accept, graph_answer)] = chosen
    if chosen is None:
        raise HttpError(406, "none of the media types in the Accept header can be given "
                        f"for a {shape.form or 'query'} answer; available: "
                        f"{', '.join(dict.fromkeys(types))}")
    return chosen


def _run_query(operation: Operation, key: kept.Key | None) -> Response:
    shape = inspect(operation.text)
    if shape.is_update:
        raise HttpError(400, "this is a SPARQL update, sent as a query: send it in the "
                        "'update' form field or as application/sparql-update")
    _refuse_deep(shape)
    _refuse_remote(shape)
    result_format = _result_format(shape)
    store = get_store()
    etag = None
    if request.method in ("GET", "HEAD"):
        etag = etag_for(store.version(), request.full_path, result_format)
        if not_modified(etag):
            response = Response(status=304)
            response.set_etag(etag)
            return add_cors(response, METHODS)
    limit = current_app.config["SETTINGS"].result_limit
    text = with_row_limit(operation.text, shape, limit)
    answer = store.query(
        QueryRequest(text, operation.default_graphs, operation.named_graphs,
                     base_iri=_base_iri(), original=operation.text,
                     dataset_clause=shape.has_dataset_clause),
        result_format,
    )
    headers = {"Vary": "Accept"}
    if text is not operation.text:
        headers["X-Row-Limit"] = str(limit)
    response = stream_answer(answer, headers)
    if etag:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    else:
        response.headers["Cache-Control"] = "no-store"
    response = add_cors(response, METHODS)
    if key is not None:
        kept.keep_when_whole(kept.cache_of(current_app), key, response)
    return response


def _run_update(operation: Operation) -> Response:
    require_write_token()
    shape = inspect(operation.text)
    if shape.form is not None and not shape.is_update:
        raise HttpError(400, "this is a SPARQL query, sent as an update: send it in the "
                        "'query' parameter or as application/sparql-query")
    _refuse_deep(shape)
    _refuse_remote(shape)
    text = operation.text
    if operation.using_graphs or operation.using_named_graphs:
        try:
            text = with_using(text, operation.using_graphs, operation.using_named_graphs)
        except DatasetConflict as exc:
            raise HttpError(400, str(exc)) from None
    get_store().update(text, base_iri=_base_iri(), original=operation.text)
    return Response(status=204)


def _base_iri() -> str:
    """Relative IRIs in queries and updates resolve against the endpoint's own URL
    (what ``url_for("sparql.endpoint", _external=True)`` gives, at a fifth of its cost)."""
    return request.url_root + "sparql"


def _description() -> Response:
    settings = current_app.config["SETTINGS"]
    offered = ["text/turtle", "application/ld+json", "application/rdf+xml",
               "application/n-triples", "text/html"]
    media = choose(request.headers.get("Accept"), offered) or "text/turtle"
    if request.args.get("format"):
        name = FORMAT_NAMES.get(request.args["format"].lower())
        if name not in GRAPH_SERIALIZATIONS:
            raise HttpError(406, "the service description is available as turtle, jsonld, "
                            "rdfxml or ntriples")
        media = GRAPH_FORMATS[name]
    if media == "text/html":
        return _editor_page()
    endpoint = url_for("sparql.endpoint", _external=True)
    graph = describe_service(endpoint, settings, get_store().named_graphs(),
                             void_url=url_for("resources.void", _external=True) + "#dataset")
    name = next(k for k, v in GRAPH_FORMATS.items() if v == media)
    body = graph.serialize(format=GRAPH_SERIALIZATIONS[name])
    response = Response(body, content_type=media + "; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return add_cors(response, METHODS)


def _editor_page(query: str | None = None) -> Response:
    """The query editor for browsers: YASGUI over this endpoint, or a plain form."""
    known = editor.prefixes(current_app.config["SETTINGS"].base_iri)
    config = {
        "endpoint": url_for("sparql.endpoint"),
        "termsUrl": url_for("sparql.terms"),
        "prefixes": known,
        "starter": editor.starter_query(known),
        "query": query,
        "examples": editor.examples(load_catalog()),
    }
    page = render_template("sparql/editor.html", config=config,
                           query=query or config["starter"],
                           endpoint=config["endpoint"], examples=config["examples"])
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


@blueprint.route("/sparql/terms")
def terms() -> Response:
    """Classes and properties for the editor's autocompletion, as JSON."""
    lang = request.args.get("lang", "en")
    if lang not in ("sv", "en"):
        raise HttpError(400, "parameter 'lang': give sv or en")
    store = get_store()
    etag = etag_for(store.version(), request.full_path, "json")
    if not_modified(etag):
        response = Response(status=304)
    else:
        known = editor.prefixes(current_app.config["SETTINGS"].base_iri)
        response = jsonify(TERMS.terms(store, lang, known))
        response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    response.set_etag(etag)
    return add_cors(response, "GET, HEAD")


@blueprint.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS"])
def endpoint() -> Response:
    if request.method == "OPTIONS":
        return preflight(METHODS)
    # A kept answer goes out before any parsing: the key is the raw request.
    key, answer = kept.look_up()
    if answer is not None:
        return answer
    operation = parse_operation(request)
    if operation.kind == "query" and request.args.get("format") == "html":
        return _editor_page(operation.text)  # "open in the editor" links
    if operation.kind == "query":
        return _run_query(operation, key)
    if operation.kind == "update":
        return _run_update(operation)
    return _description()
