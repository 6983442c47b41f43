"""CORS for the read endpoints, so browser apps elsewhere can query."""

from __future__ import annotations

from flask import Response, current_app

ALLOWED_HEADERS = "Accept, Content-Type, Authorization, If-None-Match"


def add_cors(response: Response, methods: str = "GET, HEAD, POST, OPTIONS") -> Response:
    origin = current_app.config["SETTINGS"].cors_origins
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Location, Link"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def preflight(methods: str = "GET, HEAD, POST, OPTIONS") -> Response:
    response = Response(status=204)
    response.headers["Allow"] = methods
    return add_cors(response, methods)
