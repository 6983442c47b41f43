"""The SPARQL 1.1 Protocol's request rules: which operation a request carries, and how."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Request

from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.store.terms import is_valid_iri

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


@dataclass
class Operation:
    kind: str  # "query", "update" or "none"
    text: str = ""
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    using_graphs: list[str] = field(default_factory=list)
    using_named_graphs: list[str] = field(default_factory=list)


def _single(values: list[str], name: str) -> str:
    if len(values) > 1:
        raise HttpError(400, f"the '{name}' parameter is given {len(values)} times; "
                        "give it once")
    return values[0]


def _iris(values: list[str], name: str) -> list[str] | None:
    for value in values:
        if not is_valid_iri(value):
            raise HttpError(400, f"the '{name}' parameter {value!r} is not an absolute IRI")
    return list(values) if values else None


def _body_text(request: Request) -> str:
    charset = request.mimetype_params.get("charset", "utf-8")
    if charset.lower().replace("-", "") != "utf8":
        raise HttpError(415, f"the request body must be UTF-8 text (the SPARQL 1.1 Protocol "
                        f"allows no other encoding); this one says charset={charset}")
    data = request.get_data(cache=True)
    refuse_cut_body(request)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "the request body is not valid UTF-8 text") from None


def refuse_cut_body(request: Request) -> None:
    """413 for a chunked body (no Content-Length) longer than the size limit.

    Werkzeug reads such a body up to the limit and stops without a word: a query or
    update cut there would run as if it had been sent so. Reading one byte more past
    the limit raises RequestEntityTooLarge.
    """
    stream = request.stream
    if request.content_length is None and getattr(stream, "is_exhausted", False):
        stream.read(1)


def parse_operation(request: Request) -> Operation:
    """Read an operation from GET or POST as the protocol allows, or raise its error."""
    args = request.args
    if request.method == "GET" or request.method == "HEAD":
        if "update" in args:
            raise HttpError(405, "a SPARQL update must be sent with POST",
                            headers={"Allow": "GET, HEAD, POST, OPTIONS"})
        if "query" not in args:
            return Operation("none")
        return Operation(
            "query",
            _single(args.getlist("query"), "query"),
            _iris(args.getlist("default-graph-uri"), "default-graph-uri"),
            _iris(args.getlist("named-graph-uri"), "named-graph-uri"),
        )
    mimetype = request.mimetype
    if mimetype == FORM:
        form = request.form
        refuse_cut_body(request)
        queries, updates = form.getlist("query"), form.getlist("update")
        if queries and updates:
            raise HttpError(400, "a request carries either 'query' or 'update', not both")
        if queries:
            return Operation(
                "query",
                _single(queries, "query"),
                _iris(form.getlist("default-graph-uri"), "default-graph-uri"),
                _iris(form.getlist("named-graph-uri"), "named-graph-uri"),
            )
        if updates:
            return Operation(
                "update",
                _single(updates, "update"),
                using_graphs=_iris(form.getlist("using-graph-uri"), "using-graph-uri") or [],
                using_named_graphs=_iris(form.getlist("using-named-graph-uri"),
                                         "using-named-graph-uri") or [],
            )
        raise HttpError(400, "the form has neither a 'query' nor an 'update' field")
    if mimetype == QUERY_BODY:
        return Operation(
            "query",
            _body_text(request),
            _iris(args.getlist("default-graph-uri"), "default-graph-uri"),
            _iris(args.getlist("named-graph-uri"), "named-graph-uri"),
        )
    if mimetype == UPDATE_BODY:
        return Operation(
            "update",
            _body_text(request),
            using_graphs=_iris(args.getlist("using-graph-uri"), "using-graph-uri") or [],
            using_named_graphs=_iris(args.getlist("using-named-graph-uri"),
                                     "using-named-graph-uri") or [],
        )
    shown = mimetype or "none"
    raise HttpError(415, f"a POST to the SPARQL endpoint must have Content-Type {FORM}, "
                    f"{QUERY_BODY} or {UPDATE_BODY}; this one has {shown}")
