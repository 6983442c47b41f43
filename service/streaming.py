"""Streaming answers: errors found before the first bytes still get their status."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from flask import Response, request

from tillvaxtgraf.store.base import Answer

TEXT_TYPES = ("text/", "application/sparql-results+", "application/ld+json",
              "application/n-triples", "application/n-quads", "application/trig",
              "application/rdf+xml", "application/json")


def content_type(media_type: str) -> str:
    if media_type.startswith(TEXT_TYPES) and "charset" not in media_type:
        return media_type + "; charset=utf-8"
    return media_type


def stream_answer(answer: Answer, extra_headers: dict[str, str] | None = None) -> Response:
    """Pull the first chunk now (so a failure is a proper error), stream the rest."""
    chunks = answer.chunks
    first = next(chunks, b"")

    def body() -> Iterator[bytes]:
        try:
            if first:
                yield first
            yield from chunks
        finally:
            answer.close()

    response = Response(body(), mimetype=None, content_type=content_type(answer.media_type),
                        direct_passthrough=True)
    for name, value in (extra_headers or {}).items():
        response.headers[name] = value
    return response


def etag_for(version: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join((version, *parts)).encode("utf-8")).hexdigest()
    return digest[:32]


def not_modified(etag: str) -> bool:
    return request.method in ("GET", "HEAD") and etag in request.if_none_match
