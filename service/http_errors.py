"""One error shape for the web: a status, a message naming the problem, JSON or text."""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from tillvaxtgraf.errors import (
    LoadError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    RemoteTimeout,
    RemoteUnavailable,
    StoreBusy,
    StoreUnavailable,
    TillvaxtgrafError,
)
from tillvaxtgraf.queries.catalog import ParameterError, UnknownQuery
from tillvaxtgraf.service.negotiation import prefers_json
from tillvaxtgraf.store.embedded_backend import BadData, FormatMismatch, UpdateFailed

log = logging.getLogger(__name__)


class HttpError(TillvaxtgrafError):
    """An error raised by a view with the status it must have."""

    def __init__(self, status: int, message: str, *, hint: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.headers = headers or {}


STATUS = [
    (HttpError, None),
    (ParameterError, 400),
    (UnknownQuery, 404),
    (QuerySyntaxError, 400),
    (BadData, 400),
    (UpdateFailed, 400),
    (LoadError, 400),
    (FormatMismatch, 406),
    (QueryRefused, 403),
    (RemoteTimeout, 504),  # before their parents: the first match wins
    (RemoteUnavailable, 502),
    (QueryTimeout, 503),
    (StoreBusy, 503),
    (StoreUnavailable, 503),
]


def status_of(error: TillvaxtgrafError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return error.status if status is None else status  # type: ignore[attr-defined]
    return 500


def error_response(status: int, body: dict[str, object],
                   headers: dict[str, str] | None = None) -> Response:
    if prefers_json(request.headers.get("Accept")):
        response = Response(json.dumps(body, ensure_ascii=False) + "\n", status,
                            mimetype="application/json")
    else:
        lines = [f"{status} {body.get('title', '')}".rstrip(), "", str(body["message"])]
        for key in ("line", "column"):
            if key in body:
                lines.append(f"{key}: {body[key]}")
        if body.get("hint"):
            lines.append(f"hint: {body['hint']}")
        response = Response("\n".join(lines) + "\n", status, mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def _titles(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# An absolute filesystem path (not the path of a URL: no word, ':' or '/' just before it),
# and the user:password@ of a URL.
_PATH_CHARS = r"""[^\s'"<>(),;:]"""
_PATH = re.compile(r"(?<![\w:/.])/" + _PATH_CHARS + "+")
_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


def public_message(text: str) -> str:
    """A server-side failure's message, fit for the public: no file paths, no credentials.

    >>> public_message("IO error: While opening: /srv/store/snapshots/000001/CURRENT: gone")
    'IO error: While opening: [path]: gone'
    >>> public_message("could not reach http://u:pw@store.example/sparql")
    'could not reach http://store.example/sparql'
    """
    text = _USERINFO.sub("", _PATH.sub("[path]", text))
    store = str(current_app.config["SETTINGS"].store) if current_app else ""
    if store:  # the store folder may be relative: "tillvaxtgraf-store/snapshots/..."
        text = re.sub(re.escape(store) + _PATH_CHARS + "*", "[path]", text)
    return text


def project_error(error: TillvaxtgrafError) -> Response:
    status = status_of(error)
    body = {"status": status, "title": _titles(status), **error.to_dict()}
    headers = dict(getattr(error, "headers", {}) or {})
    if isinstance(error, StoreBusy | QueryTimeout):
        headers.setdefault("Retry-After", "5")
    if status >= 500:
        # The detail (with the store folder as source) goes to the log, not to the client.
        log.warning("%s %s -> %d: %s", request.method, request.path, status, error)
        body.pop("source", None)
        for key in ("message", "hint"):
            if isinstance(body.get(key), str):
                body[key] = public_message(body[key])  # type: ignore[arg-type]
    return error_response(status, body, headers)


def http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    message = error.description or _titles(status)
    if status == 413:
        message = "the request body is larger than this endpoint accepts"
    elif status == 405:
        allowed = ", ".join(getattr(error, "valid_methods", None) or [])
        message = f"{request.method} is not allowed on {request.path}" + (
            f"; use {allowed}" if allowed else "")
    response = error_response(status, {"status": status, "title": _titles(status),
                                       "error": type(error).__name__, "message": message})
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers.setdefault(name, value)
    return response


def unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, {"status": 500, "title": "Internal Server Error",
                                "error": "InternalError",
                                "message": "the server failed to answer this request; "
                                "the failure is logged"})


def register(app: Flask) -> None:
    app.register_error_handler(TillvaxtgrafError, project_error)
    app.register_error_handler(HTTPException, http_exception)
    app.register_error_handler(Exception, unexpected)
