"""``/graph-store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from tillvaxtgraf.loaders.formats import check_input, format_by_name
from tillvaxtgraf.service.auth import require_write_token
from tillvaxtgraf.service.cors import add_cors, preflight
from tillvaxtgraf.service.extension import get_store
from tillvaxtgraf.service.http_errors import HttpError
from tillvaxtgraf.service.negotiation import GRAPH_TYPES, choose_format
from tillvaxtgraf.service.streaming import etag_for, not_modified, stream_answer
from tillvaxtgraf.store.terms import is_valid_iri

blueprint = Blueprint("graph_store", __name__)
METHODS = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
UPLOAD_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
COPY_CHUNK = 1 << 16
NEW_GRAPH = ""  # a POST to the graph store itself: a new graph, named by the service


def _target() -> str | None:
    """The graph a request names: ?graph=IRI, or ?default for the default graph.

    A POST that names neither asks the graph store to create a new graph.
    """
    has_default = "default" in request.args
    graphs = request.args.getlist("graph")
    if has_default and graphs:
        raise HttpError(400, "name either ?default or ?graph=IRI, not both")
    if not has_default and not graphs:
        if request.method == "POST":
            return NEW_GRAPH
        raise HttpError(400, "name the graph: ?graph=IRI, or ?default for the default graph")
    if has_default:
        return None
    if len(graphs) > 1:
        raise HttpError(400, "give ?graph= once")
    if not is_valid_iri(graphs[0]):
        raise HttpError(400, f"?graph={graphs[0]!r} is not an absolute IRI")
    return graphs[0]


def _label(graph: str | None) -> str:
    return "the default graph" if graph is None else f"graph <{graph}>"


def _read_graph(graph: str | None) -> Response:
    fmt = choose_format(request.headers.get("Accept"), GRAPH_TYPES, "turtle")
    if fmt is None:
        raise HttpError(406, "none of the media types in the Accept header can be given; "
                        f"available: {', '.join(dict.fromkeys(GRAPH_TYPES))}")
    store = get_store()
    etag = etag_for(store.version(), "gsp", graph or "", fmt)
    if not_modified(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return add_cors(response, METHODS)
    if graph is not None and not store.graph_exists(graph):
        raise HttpError(404, f"there is no {_label(graph)} in this store")
    response = stream_answer(store.get_graph(graph, fmt), {"Vary": "Accept"})
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    return add_cors(response, METHODS)


def _spool_body() -> str:
    """Stream the body to a temporary file, within the upload limit."""
    limit = current_app.config["SETTINGS"].max_upload_bytes
    request.max_content_length = limit
    mimetype = request.mimetype
    if mimetype not in UPLOAD_TYPES:
        raise HttpError(415, f"Content-Type {mimetype or 'none'} is not an RDF graph format "
                        f"accepted here; use one of {', '.join(UPLOAD_TYPES)}")
    fd, path = tempfile.mkstemp(prefix="tillvaxtgraf-upload-")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := request.stream.read(COPY_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise HttpError(413, f"the upload is larger than {limit} bytes")
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _merge_parts(graph: str | None) -> str:
    """A multipart/form-data POST: the RDF merge of its parts, as one N-Triples file.

    Each part is parsed on its own, so blank nodes of different parts stay different.
    pyoxigraph parses them, as every other upload: it never fetches a JSON-LD document's
    remote ``@context`` (rdflib would, from the service's own address).
    """
    request.max_content_length = current_app.config["SETTINGS"].max_upload_bytes
    parts = list(request.files.items(multi=True))
    if not parts:
        raise HttpError(400, "a multipart/form-data upload needs at least one file part "
                        "holding RDF")
    fd, path = tempfile.mkstemp(prefix="tillvaxtgraf-upload-", suffix=".nt")
    try:
        with os.fdopen(fd, "wb") as out:
            for name, part in parts:
                out.write(_part_as_ntriples(name, part.mimetype, part.read(), graph))
    except BaseException:
        os.unlink(path)
        raise
    return path


def _part_as_ntriples(name: str, mimetype: str, data: bytes, graph: str | None) -> bytes:
    rdf_format = UPLOAD_TYPES.get(mimetype)
    if rdf_format is None:
        raise HttpError(415, f"part {name!r} has Content-Type {mimetype or 'none'}, "
                        f"not an RDF graph format; use one of {', '.join(UPLOAD_TYPES)}")
    fresh: dict[str, ox.BlankNode] = {}

    def own(term):  # noqa: ANN001, ANN202 - any RDF term
        if isinstance(term, ox.BlankNode):  # this part's blank nodes, apart from the others'
            return fresh.setdefault(term.value, ox.BlankNode())
        return term

    check_input(data, format_by_name(rdf_format))
    try:
        triples = []
        for quad in ox.parse(data, format=format_by_name(rdf_format), base_iri=graph or None):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                raise HttpError(400, f"part {name!r} names the graph {quad.graph_name}; a "
                                "graph store upload holds one graph")
            triples.append(ox.Triple(own(quad.subject), quad.predicate, own(quad.object)))
    except SyntaxError as exc:
        raise HttpError(400, f"part {name!r} is not valid {rdf_format}: {exc}") from None
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _write_graph(graph: str | None, replace: bool) -> Response:
    require_write_token()
    created_here = graph == NEW_GRAPH
    if created_here:
        settings = current_app.config["SETTINGS"]
        graph = f"{settings.base_iri}graph/posted/{uuid.uuid4().hex}"
    if request.method == "POST" and request.mimetype == "multipart/form-data":
        path, rdf_format = _merge_parts(graph), "ntriples"
    else:
        path = _spool_body()
        rdf_format = UPLOAD_TYPES[request.mimetype]
        try:
            check_input(Path(path), format_by_name(rdf_format))
        except BaseException:
            os.unlink(path)
            raise
    try:
        result = get_store().write_graph(graph, path, rdf_format, replace=replace)
    finally:
        os.unlink(path)
    response = Response(status=201 if result.created and graph is not None else 204)
    if created_here:
        response.headers["Location"] = graph
    return response


@blueprint.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"])
def graph_store() -> Response:
    if request.method == "OPTIONS":
        return preflight(METHODS)
    graph = _target()
    if request.method in ("GET", "HEAD"):
        return _read_graph(graph)
    if request.method == "PUT":
        return _write_graph(graph, replace=True)
    if request.method == "POST":
        return _write_graph(graph, replace=False)
    require_write_token()
    store = get_store()
    if graph is not None and not store.graph_exists(graph):
        raise HttpError(404, f"there is no {_label(graph)} in this store")
    store.delete_graph(graph)
    return Response(status=204)
