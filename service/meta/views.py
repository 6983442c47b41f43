"""Introspection under ``/-/`` (and ``/healthz``): health, settings, graphs, versions."""

from __future__ import annotations

import logging
import platform
from importlib import metadata

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from tillvaxtgraf import __version__
from tillvaxtgraf.errors import TillvaxtgrafError
from tillvaxtgraf.service.cors import add_cors
from tillvaxtgraf.service.extension import get_store
from tillvaxtgraf.service.http_errors import public_message
from tillvaxtgraf.service.negotiation import choose
from tillvaxtgraf.settings import SETTINGS
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.terms import Term

blueprint = Blueprint("meta", __name__)
log = logging.getLogger(__name__)


def _wants_html() -> bool:
    return choose(request.headers.get("Accept"), ["application/json", "text/html"]) == "text/html"


@blueprint.route("/healthz")
@blueprint.route("/-/health")
def health() -> Response:
    store = get_store()
    try:
        report = store.health()
        store.ask("ASK { }", timeout=5.0)
        report["status"] = "ok"
        status = 200
    except TillvaxtgrafError as exc:
        log.warning("health: %s", exc)
        report = {"status": "unavailable", "message": public_message(exc.message)}
        status = 503
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return add_cors(response, "GET, HEAD")


@blueprint.route("/-/settings")
def settings_page() -> Response | str:
    shown = current_app.config["SETTINGS"].public()
    if _wants_html():
        return render_template("meta/settings.html", settings=SETTINGS, values=shown)
    return jsonify(shown)


@blueprint.route("/-/versions")
def versions() -> Response:
    found = {"tillvaxtgraf": __version__, "python": platform.python_version()}
    for package in ("flask", "pyoxigraph", "rdflib", "pyshacl", "gunicorn", "SPARQLWrapper"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return jsonify(found)


@blueprint.route("/-/graphs")
def graphs() -> Response | str:
    _, rows = get_store().select(sparql("graph_records"),
                                 {"meta": Term.iri(METADATA_GRAPH)})
    records = [{k: v.value for k, v in row.items() if k != "meta"} for row in rows]
    for record in records:
        record["triples"] = int(record["triples"])
    if _wants_html():
        return render_template("meta/graphs.html", graphs=records)
    return add_cors(jsonify({"graphs": records}), "GET, HEAD")
