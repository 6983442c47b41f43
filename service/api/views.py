"""``/api``: the named questions as an API, the OpenAPI document and its docs page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from tillvaxtgraf.queries.catalog import (
    NamedQuery,
    ParameterError,
    get_query,
    load_catalog,
    run_named,
)
from tillvaxtgraf.service.api.openapi import openapi_document, schema_type
from tillvaxtgraf.service.api.results import ANSWER_TYPES, csv_text, rows_json, sparql_json
from tillvaxtgraf.service.cors import add_cors, preflight
from tillvaxtgraf.service.extension import get_store
from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.service.negotiation import choose

blueprint = Blueprint("api", __name__)
FORMATS = {"json": "json", "sparql-json": "sparql-json", "srj": "sparql-json", "csv": "csv",
           "html": "html"}


def _listing() -> list[dict[str, Any]]:
    return [
        {**q.describe(), "url": url_for("api.run_query", name=q.name, _external=True),
         "page": url_for("api.query_page", name=q.name, _external=True)}
        for q in load_catalog().values()
    ]


@blueprint.route("/api/queries", methods=["GET", "HEAD", "OPTIONS"])
def list_queries() -> Response | str:
    if request.method == "OPTIONS":
        return preflight("GET, HEAD, OPTIONS")
    if choose(request.headers.get("Accept"), ["application/json", "text/html"]) == "text/html":
        return render_template("api/catalog.html", queries=load_catalog().values())
    return add_cors(jsonify({"queries": _listing()}), "GET, HEAD, OPTIONS")


@blueprint.route("/queries")
def catalog_page() -> str:
    return render_template("api/catalog.html", queries=load_catalog().values())


def _values() -> dict[str, Any]:
    """Parameter values from the query string, a JSON body or a form."""
    values: dict[str, Any] = {k: v if len(v) > 1 else v[0]
                              for k, v in request.args.lists()}
    if request.method == "POST":
        if request.mimetype == "application/json":
            try:
                body = json.loads(request.get_data(as_text=True) or "{}")
            except json.JSONDecodeError as exc:
                raise HttpError(400, f"the JSON body is not valid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise HttpError(400, "the JSON body must be an object of parameter values")
            values.update(_json_values(body))
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values.update({k: v if len(v) > 1 else v[0] for k, v in request.form.lists()})
        elif request.content_length:
            raise HttpError(415, "send parameters as application/json, a form, or in the URL")
    return values


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "boolean": (bool,), "string": (str,),
}


def _json_values(body: dict[str, Any]) -> dict[str, Any]:
    """JSON values must have the type the OpenAPI document gives their parameter."""
    query = get_query(request.view_args["name"]) if request.view_args else None
    checked = {}
    for key, value in body.items():
        param = query.parameter(key) if query else None
        expected = "string"
        if param is not None:
            expected = schema_type(param)
        allowed = JSON_TYPES[expected]
        wrong_bool = isinstance(value, bool) and bool not in allowed
        if not isinstance(value, allowed) or wrong_bool:
            raise ParameterError(key, f"expected a JSON {expected}, got {json.dumps(value)}")
        checked[key] = value
    return checked


def _answer_format(values: dict[str, Any]) -> str:
    asked = values.pop("format", None)
    if asked is not None:
        if not isinstance(asked, str) or asked.lower() not in FORMATS:
            raise HttpError(400, f"parameter 'format': {asked!r} is not one of: "
                            f"{', '.join(FORMATS)}")
        return FORMATS[asked.lower()]
    media = choose(request.headers.get("Accept"), list(ANSWER_TYPES))
    if media is None:
        raise HttpError(406, "none of the media types in the Accept header can be given; "
                        f"available: {', '.join(ANSWER_TYPES)}")
    return ANSWER_TYPES[media]


def _run(query: NamedQuery, values: dict[str, Any]):
    settings = current_app.config["SETTINGS"]
    return run_named(get_store(), query, values, max_rows=settings.max_returned_rows)


def _editor_link(query: NamedQuery) -> str:
    return url_for("sparql.endpoint") + "?" + urlencode({"query": query.sparql, "format": "html"})


def _page(query: NamedQuery, values: dict[str, Any], run: bool) -> tuple[str, int]:
    """The query's page: its form, and its answer or the error that stopped it."""
    answer, error, status = None, None, 200
    if run:
        try:
            answer = _run(query, dict(values))
        except ParameterError as exc:
            error, status = str(exc), 400
    page = render_template("api/query.html", query=query, values=values, answer=answer,
                           error=error, editor_link=_editor_link(query),
                           api_url=url_for("api.run_query", name=query.name))
    return page, status


@blueprint.route("/queries/<name>")
def query_page(name: str) -> tuple[str, int]:
    query = get_query(name)
    values = {k: v for k, v in _values().items() if v != "" and k != "format"}
    run = bool(values) or not any(p.required and p.default is None for p in query.parameters)
    return _page(query, values, run)


@blueprint.route("/api/queries/<name>", methods=["GET", "HEAD", "POST", "OPTIONS"])
def run_query(name: str) -> Response | tuple[str, int]:
    if request.method == "OPTIONS":
        return preflight("GET, HEAD, POST, OPTIONS")
    query = get_query(name)
    values = _values()
    fmt = _answer_format(values)
    if fmt == "html":
        return _page(query, values, True)
    answer = _run(query, values)
    if fmt == "sparql-json":
        response = Response(sparql_json(answer), mimetype="application/sparql-results+json")
    elif fmt == "csv":
        response = Response(csv_text(answer), content_type="text/csv; charset=utf-8")
    else:
        response = jsonify(rows_json(name, values, answer))
    response.headers["Vary"] = "Accept"
    return add_cors(response, "GET, HEAD, POST, OPTIONS")


@blueprint.route("/openapi.json")
def openapi() -> Response:
    document = openapi_document(request.url_root.rstrip("/"), load_catalog())
    return add_cors(jsonify(document), "GET, HEAD")


@blueprint.route("/api/docs")
def api_docs() -> str:
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
