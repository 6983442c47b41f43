"""The response cache: small whole answers, given again for the same request.

Why: a one-resource lookup on ``/sparql`` or a search costs far more in our layers (the
request, the hop to a query worker, the framework) than in the engine or the index, and
clients repeat such requests (linked-data clients their lookups, people the popular
searches and the prefixes they type). Exact, because a published snapshot is never
written, and its search index neither: the key holds the store's snapshot id and every
part of the request that shapes the answer's bytes or headers (method class, the path,
the raw query string, the body and its type, ``Accept``, ``Accept-Language``, and the scheme,
host and script root that relative IRIs resolve against). Settings (row limit, CORS) are
fixed per app, and the cache belongs to one app. Only answers that arrive whole and
small are kept: a streamed body is collected while it streams and dropped as soon as it
grows past the entry limit, and an answer cut off by an error, a time limit or a client
that went away is never kept. Errors are raised before an answer exists, so they are
never kept either.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Request, Response, current_app, request

from tillvaxtgraf.service.extension import get_store

MAX_ENTRY_BYTES = 64 * 1024
# What an entry costs beyond its body and key text: the tuple, the headers, the dict slot.
ENTRY_OVERHEAD = 512
EXTENSION = "tillvaxtgraf.result_cache"

Key = tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    size: int


class ResultCache:
    """Entries by key, least recently used dropped first, at most ``max_bytes`` in all."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self.max_entry = min(MAX_ENTRY_BYTES, self.max_bytes)
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Key) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        size = len(body) + sum(map(len, key)) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        entry = Entry(status, headers, body, size)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def stats(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        with self._lock:
            return len(self._entries), self._bytes


def register(app: Flask) -> None:
    app.extensions[EXTENSION] = ResultCache(app.config["SETTINGS"].result_cache_bytes)


def request_key(cache: ResultCache, request: Request, snapshot: str | None) -> Key | None:
    """The request's key, or None when its answer is not to be looked up or kept.

    Conditional requests go the whole way (their 304 comes from the ETag); a POST is
    keyed by its body only when the body is small and its length is declared.
    """
    if snapshot is None or not cache.enabled:
        return None
    environ = request.environ
    if "HTTP_IF_NONE_MATCH" in environ:
        return None
    method = environ["REQUEST_METHOD"]
    body = b""
    if method == "POST":
        length = request.content_length
        limit = min(cache.max_entry, request.max_content_length or cache.max_entry)
        if length is None or length > limit:
            return None
        body = request.get_data(cache=True)  # form parsing reads the cached bytes later
    elif method != "GET" and method != "HEAD":  # HEAD gets GET's headers, so GET's entry
        return None
    return (
        snapshot,
        "POST" if method == "POST" else "GET",
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("CONTENT_TYPE", ""),
        body.decode("latin-1"),
        environ.get("HTTP_ACCEPT", ""),
        environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
        environ.get("SERVER_PORT", ""),
        environ.get("SCRIPT_NAME", ""),
    )


def cached_response(entry: Entry) -> Response:
    """The kept answer with the headers its first response had (no Content-Length was
    sent then, so none now: the body goes out as an iterable, as the stream did)."""
    return Response(iter((entry.body,)), status=entry.status, headers=entry.headers,
                    direct_passthrough=True)


class _KeepWhenWhole:
    """The answer's chunks passed on unchanged; kept when they end, whole and small."""

    def __init__(self, chunks: Iterable[bytes], limit: int,
                 keep: Callable[[bytes], None]) -> None:
        self.chunks = chunks
        self.limit = limit
        self.keep = keep

    def __iter__(self) -> Iterator[bytes]:
        parts: list[bytes] | None = []
        size = 0
        for chunk in self.chunks:
            if parts is not None:
                size += len(chunk)
                if size > self.limit:
                    parts = None  # too big to keep: stream on in constant memory
                else:
                    parts.append(chunk)
            yield chunk
        if parts is not None:
            self.keep(b"".join(parts))

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


def keep_when_whole(cache: ResultCache, key: Key, response: Response) -> Response:
    """Arrange for ``response`` (a streamed 200 answer) to be kept once fully sent."""
    headers = list(response.headers.items())
    status = response.status_code

    def keep(body: bytes) -> None:
        cache.put(key, status, headers, body)

    response.response = _KeepWhenWhole(response.response, cache.max_entry, keep)
    return response


def cache_of(app: Flask) -> ResultCache:
    return app.extensions[EXTENSION]


def look_up() -> tuple[Key | None, Response | None]:
    """The current request's key (None: not to be kept) and its kept answer, if any."""
    cache = cache_of(current_app)
    if not cache.enabled:
        return None, None
    key = request_key(cache, request, get_store().snapshot_id())
    entry = cache.get(key) if key is not None else None
    return key, None if entry is None else cached_response(entry)


def kept_while_unchanged(fresh: Callable[[], bool]) -> Callable[[Callable[..., Response]],
                                                                Callable[..., Response]]:
    """Keep a view's small whole 200 answers per snapshot and request.

    ``fresh()`` says, after the view ran, whether its answer mirrors the snapshot the
    key names (a search answered from an older index, marked stale, is not kept: the
    index of this snapshot may appear later under the same name).
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*args: object, **kwargs: object) -> Response:
            key, kept = look_up()
            if kept is not None:
                return kept
            response = view(*args, **kwargs)
            if key is not None and response.status_code == 200 \
                    and not response.is_streamed and fresh():
                body = response.get_data()
                cache = cache_of(current_app)
                if len(body) <= cache.max_entry:
                    cache.put(key, 200, list(response.headers.items()), body)
            return response

        return wrapper

    return decorate
