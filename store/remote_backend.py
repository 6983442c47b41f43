"""The remote backend: any SPARQL 1.1 store over HTTP, behind the same Store interface.

Queries and updates go through SPARQLWrapper (the SPARQL 1.1 Protocol, POSTed as a form,
our own Accept header); graphs are read and written with the Graph Store HTTP Protocol
when the store has one, and with SPARQL Update otherwise. Answers are streamed: the HTTP
body is handed on in chunks as it arrives, never read whole (an answer up to 64 KiB is
checked whole before the service sends its status, so a malformed one is a clean 502).

Failure rules, the same for every surface:

- the store cannot be reached (refused, reset, DNS) → retried with exponential back-off
  while the time limit allows (connection errors only: never an answer the store gave,
  and a reset only for reads), then ``RemoteUnavailable`` (HTTP 502);
- no answer within the time limit → ``RemoteTimeout`` (HTTP 504); the socket timeout is
  the time left, and stores that take a per-request limit are sent it too;
- an answer that is not what was asked for (wrong media type, malformed, cut off) →
  ``BadAnswer`` (HTTP 502) naming what came back;
- the store's own errors keep their meaning: its 400 is our 400 with its message.

The remote store must show the union of its named graphs as the default graph, as the
embedded store does; see ``DIALECTS`` and docs/deployment/ for how each store does it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
from SPARQLWrapper import POST, SPARQLWrapper

from tillvaxtgraf import __version__
from tillvaxtgraf.errors import (
    BadAnswer,
    LoadError,
    QuerySyntaxError,
    RemoteTimeout,
    RemoteUnavailable,
    TillvaxtgrafError,
)
from tillvaxtgraf.loaders.formats import format_by_name
from tillvaxtgraf.store.base import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Answer,
    QueryRequest,
    Store,
    WriteResult,
)
from tillvaxtgraf.store.bindings import bind_values
from tillvaxtgraf.store.embedded_backend import (
    TIMEOUT_HINT,
    BadData,
    FormatMismatch,
    UpdateFailed,
)
from tillvaxtgraf.store.names import METADATA_GRAPH, TG
from tillvaxtgraf.store.sparql_text import clear_silently, inspect
from tillvaxtgraf.store.terms import Term

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
ERROR_BODY_BYTES = 2000
USER_AGENT = f"tillvaxtgraf/{__version__}"
DATA_VERSION = TG + "dataVersion"
STAGING = "urn:tillvaxtgraf:staging:"

# What each of our format names may come back as (the media type without parameters).
ANSWER_TYPES: dict[str, set[str]] = {
    "json": {"application/sparql-results+json", "application/json"},
    "xml": {"application/sparql-results+xml", "application/xml", "text/xml"},
    "csv": {"text/csv"},
    "tsv": {"text/tab-separated-values"},
    "turtle": {"text/turtle", "application/x-turtle"},
    "ntriples": {"application/n-triples", "text/plain"},
    "nquads": {"application/n-quads"},
    "trig": {"application/trig"},
    "rdfxml": {"application/rdf+xml", "application/xml"},
    "jsonld": {"application/ld+json", "application/json"},
}
# A graph answer in a format the store cannot write: ask for another one. N-Triples is
# N-Quads without graph names and Turtle is TriG without graph blocks, so those bytes are
# handed on as they are; anything else is converted here with pyoxigraph.
SUBSTITUTES = {"nquads": "ntriples", "trig": "turtle", "jsonld": "ntriples",
               "rdfxml": "ntriples", "turtle": "ntriples"}
SAME_BYTES = {("nquads", "ntriples"), ("trig", "turtle")}
_POSITION = re.compile(r"(?:at |line )(\d+)(?::(\d+))?")


@dataclass(frozen=True)
class Dialect:
    """What one kind of store needs besides the standard protocols."""

    name: str
    # A parameter that makes the default graph the union of all graphs for one query;
    # sent when the query names no dataset itself. None: the store is set up that way.
    union_param: str | None = None
    # A per-request time limit the store honours, and its unit per second.
    timeout_param: str | None = None
    timeout_scale: float = 1.0
    # Graph formats the store serialises itself (the rest: see SUBSTITUTES).
    graph_formats: frozenset[str] = frozenset(GRAPH_FORMATS)
    # Whether a Graph Store PUT replaces a graph in one transaction.
    atomic_put: bool = False
    # The largest single SPARQL Update we send (a graph up to this size is replaced in
    # one update request, atomically on stores that run a request as one transaction).
    max_update_bytes: int = 8 * 1024 * 1024


DIALECTS: dict[str, Dialect] = {
    "generic": Dialect("generic"),
    # `oxigraph serve`: PUT clears the graph and then loads it (two steps); one update
    # request is one transaction, and its body limit is 128 MiB.
    "oxigraph": Dialect("oxigraph", union_param="union-default-graph",
                        max_update_bytes=96 * 1024 * 1024),
    # Fuseki runs every request (PUT included) in one TDB2 transaction.
    "fuseki": Dialect("fuseki", timeout_param="timeout", atomic_put=True),
    # Virtuoso writes no N-Quads, TriG, and drops language tags in JSON-LD; its SPARQL
    # compiler runs out of memory on an INSERT DATA of a few thousand triples, so bigger
    # graphs go through its graph store (which loads them like its bulk loader).
    "virtuoso": Dialect("virtuoso", graph_formats=frozenset({"turtle", "ntriples", "rdfxml"}),
                        max_update_bytes=200 * 1024),
    # GraphDB (RDF4J) runs every request in one transaction; `timeout` is in seconds.
    "graphdb": Dialect("graphdb", timeout_param="timeout", atomic_put=True),
    # Neptune: each HTTP request is one transaction.
    "neptune": Dialect("neptune", atomic_put=True),
}


def _local_syntax_error(text: str, what: str) -> QuerySyntaxError | None:
    """The error pyoxigraph finds in the client's own text (the embedded store's message,
    line and column), when the remote store refused it as malformed.

    Only for texts without SERVICE or LOAD: pyoxigraph would run a text it can parse.
    """
    shape = inspect(text)
    if shape.services or shape.loads:
        return None
    scratch = ox.Store()
    try:
        if what == "update":
            scratch.update(text)
        else:
            scratch.query(text)
    except SyntaxError as exc:
        from tillvaxtgraf.store.worker import syntax_error

        payload = syntax_error(exc).payload
        return QuerySyntaxError(payload["message"], line=payload.get("line"),
                                column=payload.get("column"))
    except Exception:  # noqa: BLE001 - parsed: the remote store's own message stands
        return None
    return None


def _is_timeout(reason: object) -> bool:
    return isinstance(reason, TimeoutError | socket.timeout)


def _retryable(reason: object, idempotent: bool) -> bool:
    """Connection errors only: nothing reached the store, or (for reads) no answer came."""
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return True
    if idempotent:
        return isinstance(reason, ConnectionResetError | ConnectionAbortedError
                          | BrokenPipeError | http.client.RemoteDisconnected)
    return False


def _media_type(response: http.client.HTTPResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _set_socket_timeout(response: http.client.HTTPResponse, seconds: float) -> None:
    """Shrink the socket's timeout to the time left (best effort: http.client internals)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(0.001, seconds))


class _Wrapper(SPARQLWrapper):
    """SPARQLWrapper with our lexer's idea of the operation and our own HTTP opener.

    SPARQLWrapper guesses the query form with a regular expression (and warns when it
    cannot); our lexer already knows. It also installs a process-wide opener for digest
    authentication; we keep one opener per store instead, and a fractional timeout.
    """

    def __init__(self, store: RemoteStore, operation: str, timeout: float) -> None:
        self._operation = operation  # needed by _parseQueryType during __init__
        self._store = store
        super().__init__(store.query_url, updateEndpoint=store.update_url or store.query_url,
                         agent=USER_AGENT)
        self.setMethod(POST)  # a form body: no URL length limits, every store takes it
        self.setOnlyConneg(True)  # only the Accept header, no format= parameters
        self.timeout = timeout  # type: ignore[assignment] - SPARQLWrapper wants int seconds
        if store.user and store.auth == "basic":
            self.setCredentials(store.user, store.password)

    def _parseQueryType(self, query: str) -> str | None:  # noqa: N802 - SPARQLWrapper's name
        return self._operation

    def _query(self):  # noqa: ANN202 - SPARQLWrapper's signature
        request = self._createRequest()
        request.idempotent = not self.isSparqlUpdateRequest()  # type: ignore[attr-defined]
        return self._store._open(request, self.timeout), self.returnFormat


class _Body:
    """The remote answer's bytes as an iterator of chunks, closed at the end or on error."""

    def __init__(self, store: RemoteStore, response: http.client.HTTPResponse,
                 deadline: float, limit: float) -> None:
        self.store = store
        self.response: http.client.HTTPResponse | None = response
        self.deadline = deadline
        self.limit = limit
        self.buffered: list[bytes] = []
        self.ended = False

    def fill(self, size: int) -> bytes:
        """Read ahead until ``size`` bytes or the end; return what was read."""
        total = 0
        while total < size and not self.ended:
            chunk = self._read()
            if chunk:
                self.buffered.append(chunk)
                total += len(chunk)
        return b"".join(self.buffered)

    def _read(self) -> bytes:
        response = self.response
        if response is None:
            self.ended = True
            return b""
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError()
            _set_socket_timeout(response, remaining)
            chunk = response.read1(CHUNK)
        except TimeoutError:
            self.close()
            raise RemoteTimeout(
                f"the SPARQL store stopped sending its answer before the time limit "
                f"({self.limit:g} s) ran out", hint=TIMEOUT_HINT) from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise RemoteUnavailable(
                f"the SPARQL store's answer broke off: {type(exc).__name__}: {exc}") from None
        if not chunk:
            missing = response.length  # bytes promised by Content-Length and not sent
            self.close()
            self.ended = True
            if missing:
                raise BadAnswer(f"the SPARQL store's answer was cut off ({missing} bytes "
                                "short of its Content-Length)")
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.buffered:
            return self.buffered.pop(0)
        while not self.ended:
            chunk = self._read()
            if chunk:
                return chunk
        raise StopIteration

    def close(self) -> None:
        response, self.response = self.response, None
        if response is not None:
            response.close()


class _Chunks:
    """Chunks from a generator that also closes the body it reads from."""

    def __init__(self, chunks: Iterator[bytes], body: _Body) -> None:
        self.chunks = chunks
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self.chunks)

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close:
            close()
        self.body.close()


@dataclass
class RemoteStore(Store):
    """A SPARQL 1.1 store reached over HTTP (query, update and graph-store endpoints)."""

    query_url: str
    update_url: str = ""
    gsp_url: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    auth: str = "basic"
    dialect: Dialect = DIALECTS["generic"]
    default_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.1
    version_ttl: float = 2.0
    local_dir: Path | None = None
    _version: tuple[str, float] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.query_url:
            raise RemoteUnavailable("the remote backend needs TILLVAXTGRAF_QUERY_URL")
        if self.auth not in ("basic", "digest"):
            raise RemoteUnavailable(f"unknown HTTP authentication {self.auth!r}: "
                                    "use 'basic' or 'digest'")
        handlers: list[urllib.request.BaseHandler] = []
        if self.user and self.auth == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (self.query_url, self.update_url, self.gsp_url):
                if url:
                    passwords.add_password(None, url, self.user, self.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def from_settings(cls, settings: object) -> RemoteStore:
        """The remote store the ``TILLVAXTGRAF_*`` settings describe."""
        name = getattr(settings, "remote_dialect", "generic") or "generic"
        if name not in DIALECTS:
            raise RemoteUnavailable(f"unknown TILLVAXTGRAF_REMOTE_DIALECT {name!r}; known: "
                                    f"{', '.join(DIALECTS)}")
        return cls(
            query_url=settings.query_url,  # type: ignore[attr-defined]
            update_url=settings.update_url,  # type: ignore[attr-defined]
            gsp_url=settings.gsp_url,  # type: ignore[attr-defined]
            user=settings.remote_user,  # type: ignore[attr-defined]
            password=settings.remote_password,  # type: ignore[attr-defined]
            auth=getattr(settings, "remote_auth", "basic") or "basic",
            dialect=DIALECTS[name],
            default_timeout=settings.query_time_limit,  # type: ignore[attr-defined]
            local_dir=Path(settings.store),  # type: ignore[attr-defined]
        )

    # -- HTTP ----------------------------------------------------------------------------

    def _limit(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None else timeout

    def _open(self, request: urllib.request.Request, timeout: float
              ) -> http.client.HTTPResponse:
        """One HTTP exchange, with back-off retries on connection errors.

        ``timeout`` is the time left; HTTP error statuses are raised as HTTPError for
        the caller, who knows what they mean for its operation.
        """
        deadline = time.monotonic() + timeout
        idempotent = request.get_method() in ("GET", "HEAD") or bool(
            getattr(request, "idempotent", False))
        attempt = 0
        if self.user and self.auth == "basic" and not request.has_header("Authorization"):
            token = b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        request.add_header("User-Agent", USER_AGENT)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout(request, timeout)
            try:
                return self._opener.open(request, timeout=remaining)
            except urllib.error.HTTPError:
                raise
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if _is_timeout(reason):
                    raise self._timeout(request, timeout) from None
                pause = self.backoff * (2 ** attempt)
                if (attempt >= self.retries or not _retryable(reason, idempotent)
                        or time.monotonic() + pause >= deadline):
                    raise RemoteUnavailable(
                        f"the SPARQL store at {self._where(request)} cannot be reached: "
                        f"{reason}", hint="check that the store is running; "
                        "/healthz reports when it is back") from None
                log.info("the SPARQL store at %s: %s; retry %d in %.2f s",
                         self._where(request), reason, attempt + 1, pause)
                time.sleep(pause)
                attempt += 1
                rewind = getattr(request, "rewind", None)
                if rewind:
                    rewind()

    @staticmethod
    def _where(request: urllib.request.Request) -> str:
        """The URL without credentials or query string, for messages."""
        parts = urllib.parse.urlsplit(request.full_url)
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"

    def _timeout(self, request: urllib.request.Request, limit: float) -> RemoteTimeout:
        return RemoteTimeout(f"the SPARQL store at {self._where(request)} did not answer "
                             f"within the time limit ({limit:g} s)", hint=TIMEOUT_HINT)

    def _http_error(self, exc: urllib.error.HTTPError, what: str,
                    request_text: str | None = None) -> TillvaxtgrafError:
        """The store's error status as one of ours; the error's body is read and closed."""
        try:
            body = exc.read(ERROR_BODY_BYTES).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            body = ""
        finally:
            exc.close()
        message = re.sub(r"<[^>]+>", " ", body) if "<html" in body.lower() else body
        message = " ".join(message.split())[:500] or exc.reason
        status = exc.code
        if status == 400 and request_text is not None:
            local = _local_syntax_error(request_text, what)
            if local is not None:
                return local
            line = column = None
            match = _POSITION.search(message)
            if match:
                line = int(match.group(1))
                column = int(match.group(2)) if match.group(2) else None
            return QuerySyntaxError(f"the SPARQL store refused the {what}: {message}",
                                    line=line, column=column)
        if status == 500 and what == "update" and message:
            # The store evaluated the update and refused it (e.g. DROP of a graph that is
            # absent): the client's request is at fault, as on the embedded store.
            return UpdateFailed(f"the SPARQL store refused the update: {message}")
        if status in (408, 504):
            return RemoteTimeout(f"the SPARQL store gave up on the {what} (HTTP {status}): "
                                 f"{message}", hint=TIMEOUT_HINT)
        if status == 400:
            return BadData(f"the SPARQL store refused the {what}: {message}")
        if status in (401, 403):
            return RemoteUnavailable(f"the SPARQL store refused our credentials for the "
                                     f"{what} (HTTP {status}): {message}",
                                     hint="check TILLVAXTGRAF_REMOTE_USER and _PASSWORD")
        return RemoteUnavailable(f"the SPARQL store failed on the {what} "
                                 f"(HTTP {status}): {message}")

    def _wrapper(self, operation: str, text: str, accept: str, timeout: float,
                 params: list[tuple[str, str]]) -> _Wrapper:
        wrapper = _Wrapper(self, operation, timeout)
        wrapper.setQuery(text)
        wrapper.addCustomHttpHeader("Accept", accept)
        for name, value in params:
            wrapper.addParameter(name, value)
        return wrapper

    # -- queries -------------------------------------------------------------------------

    def _kind(self, form: str | None, result_format: str) -> str:
        graph_answer = form in ("CONSTRUCT", "DESCRIBE")
        if form is not None:
            if graph_answer and result_format in RESULT_FORMATS:
                raise FormatMismatch(f"a graph answer cannot be given as {result_format}")
            if not graph_answer and result_format in GRAPH_FORMATS:
                kind = "boolean" if form == "ASK" else "solutions"
                raise FormatMismatch(f"a {kind} answer cannot be given as {result_format}")
        if graph_answer or (form is None and result_format in GRAPH_FORMATS):
            return "graph"
        return "boolean" if form == "ASK" else "solutions"

    def _wire_format(self, result_format: str) -> str:
        if result_format in GRAPH_FORMATS and result_format not in self.dialect.graph_formats:
            return SUBSTITUTES[result_format]
        return result_format

    def query(self, request: QueryRequest, result_format: str,
              timeout: float | None = None) -> Answer:
        limit = self._limit(timeout)
        deadline = time.monotonic() + limit
        shape = inspect(request.query)
        kind = self._kind(shape.form, result_format)
        text = request.query
        if request.substitutions:
            text = bind_values(text, {name: term.to_ntriples()
                                      for name, term in request.substitutions.items()})
        base_iri = getattr(request, "base_iri", None)
        if base_iri:
            text = f"BASE {Term.iri(base_iri).to_ntriples()} {text}"
        params: list[tuple[str, str]] = []
        for graph in request.default_graphs or []:
            params.append(("default-graph-uri", graph))
        for graph in request.named_graphs or []:
            params.append(("named-graph-uri", graph))
        if request.named_graphs is not None and request.default_graphs is None:
            pass  # the protocol's dataset: named graphs only, an empty default graph
        elif (self.dialect.union_param and request.default_graphs is None
              and not shape.has_dataset_clause):
            params.append((self.dialect.union_param, ""))
        if self.dialect.timeout_param:
            params.append((self.dialect.timeout_param,
                           f"{limit * self.dialect.timeout_scale:g}"))
        wire = self._wire_format(result_format)
        accept = ", ".join(sorted(ANSWER_TYPES[wire] - {"application/json", "text/plain",
                                                         "application/xml", "text/xml"}))
        wrapper = self._wrapper(shape.form or "SELECT", text, accept, limit, params)
        try:
            result = wrapper.query()
        except urllib.error.HTTPError as exc:
            client_text = getattr(request, "original", None) or request.query
            raise self._http_error(exc, "query", client_text) from None
        body = _Body(self, result.response, deadline, limit)
        return Answer(kind, result_format, self._answer_chunks(body, wire, result_format, kind))

    def _answer_chunks(self, body: _Body, wire: str, wanted: str, kind: str) -> _Chunks:
        """Check the answer's type and (when it is small) its syntax; convert if needed."""
        try:
            media = _media_type(body.response) if body.response else ""
            if media not in ANSWER_TYPES[wire]:
                head = body.fill(200)[:200].decode("utf-8", "replace")
                raise BadAnswer(f"the SPARQL store answered with {media or 'no media type'} "
                                f"where {', '.join(sorted(ANSWER_TYPES[wire]))} was asked "
                                f"for: {' '.join(head.split())[:120]!r}")
            first = body.fill(CHUNK)
            self._check_syntax(wire, first, complete=body.ended, kind=kind)
        except BaseException:
            body.close()
            raise
        if wire != wanted and (wanted, wire) not in SAME_BYTES:
            return _Chunks(self._convert(body, wire, wanted), body)
        return _Chunks(iter(body), body)

    @staticmethod
    def _check_syntax(wire: str, data: bytes, *, complete: bool, kind: str) -> None:
        text = data.lstrip()
        problem = None
        if wire == "json":
            if complete:
                try:
                    parsed = json.loads(data)
                    if not isinstance(parsed, dict) or (
                            "boolean" not in parsed and "results" not in parsed):
                        problem = "it has neither 'results' nor 'boolean'"
                except ValueError as exc:
                    problem = f"it is not JSON ({exc})"
            elif not text.startswith(b"{"):
                problem = "it does not start with '{'"
        elif wire == "xml":
            if complete:
                try:
                    ElementTree.fromstring(data)
                except ElementTree.ParseError as exc:
                    problem = f"it is not XML ({exc})"
            elif not text.startswith(b"<"):
                problem = "it does not start with '<'"
        elif complete and wire in GRAPH_FORMATS and data:
            try:
                for _ in ox.parse(data, format_by_name(wire)):
                    pass
            except (SyntaxError, ValueError) as exc:
                problem = f"it is not valid {wire} ({exc})"
        if problem is None and complete and not data and wire in ("json", "xml"):
            problem = "it is empty"
        if problem:
            shown = " ".join(data[:120].decode("utf-8", "replace").split())
            raise BadAnswer(f"the SPARQL store's {kind} answer is malformed: {problem}: "
                            f"{shown!r}")

    def _convert(self, body: _Body, wire: str, wanted: str) -> Iterator[bytes]:
        """Re-serialise a graph answer with pyoxigraph (spooled to disk, then streamed)."""
        with tempfile.TemporaryFile() as raw, tempfile.TemporaryFile() as out:
            for chunk in body:
                raw.write(chunk)
            raw.seek(0)
            try:
                triples = ox.parse(raw, format_by_name(wire))
                ox.serialize(triples, out, format_by_name(wanted))
            except (SyntaxError, ValueError) as exc:
                raise BadAnswer(f"the SPARQL store's graph answer is malformed: {exc}"
                                ) from None
            out.seek(0)
            while chunk := out.read(CHUNK):
                yield chunk

    # -- updates and graphs --------------------------------------------------------------

    def _update(self, text: str, timeout: float | None = None, *,
                original: str | None = None) -> None:
        if not (self.update_url or self.query_url):
            raise RemoteUnavailable("the remote backend needs TILLVAXTGRAF_UPDATE_URL to write")
        limit = self._limit(timeout)
        wrapper = self._wrapper("INSERT", text, "*/*", limit, [])
        try:
            result = wrapper.query()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, "update", original or text) from None
        with contextlib.closing(result.response) as response:
            with contextlib.suppress(OSError, http.client.HTTPException):
                response.read()

    def update(self, update: str, timeout: float | None = None,
               base_iri: str | None = None, original: str | None = None) -> None:
        # pyoxigraph-like: clearing a graph that is absent is a no-op, not an error.
        text = clear_silently(update)
        if base_iri:
            text = f"BASE {Term.iri(base_iri).to_ntriples()} {text}"
        self._update(text, timeout, original=original or update)
        self.touch()

    def touch(self) -> str:
        """Write a new data version into the metadata graph (what ``version()`` reads)."""
        stamp = uuid.uuid4().hex
        meta = Term.iri(METADATA_GRAPH).to_ntriples()
        self._update(
            f"DELETE WHERE {{ GRAPH {meta} {{ {meta} <{DATA_VERSION}> ?v }} }} ;\n"
            f"INSERT DATA {{ GRAPH {meta} {{ {meta} <{DATA_VERSION}> \"{stamp}\" }} }}")
        with self._lock:
            self._version = (stamp, time.monotonic())
        return stamp

    def version(self) -> str:
        """The data version stamp, asked for at most once per ``version_ttl`` seconds.

        Every write through tillvaxtgraf (loads, updates, graph-store writes) stores a new
        stamp in the metadata graph; a replica sees another replica's write within the TTL.
        """
        with self._lock:
            cached = self._version
        if cached and time.monotonic() - cached[1] < self.version_ttl:
            return cached[0]
        meta = Term.iri(METADATA_GRAPH).to_ntriples()
        _, rows = self.select(
            f"SELECT ?v WHERE {{ GRAPH {meta} {{ {meta} <{DATA_VERSION}> ?v }} }}",
            timeout=min(5.0, self.default_timeout))
        stamp = rows[0]["v"].value if rows else "unstamped"
        with self._lock:
            self._version = (stamp, time.monotonic())
        return stamp

    def _gsp_request(self, method: str, graph: str | None, *, accept: str | None = None,
                     body: Path | None = None, media_type: str | None = None
                     ) -> urllib.request.Request:
        query = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
        separator = "&" if "?" in self.gsp_url else "?"
        request = urllib.request.Request(f"{self.gsp_url}{separator}{query}", method=method)
        if accept:
            request.add_header("Accept", accept)
        if body is not None:
            handle = open(body, "rb")  # noqa: SIM115 - closed by the caller's finally
            request.data = handle
            request.add_header("Content-Length", str(os.path.getsize(body)))
            request.add_header("Content-Type", media_type or "application/n-triples")
            request.rewind = lambda: handle.seek(0)  # type: ignore[attr-defined]
            request.handle = handle  # type: ignore[attr-defined]
        return request

    def _gsp(self, request: urllib.request.Request, what: str,
             timeout: float | None = None) -> int:
        """Send a Graph Store request whose answer has no body we need; return the status."""
        try:
            try:
                response = self._open(request, self._limit(timeout))
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    exc.close()
                    return 404
                raise self._http_error(exc, what) from None
            with contextlib.closing(response):
                with contextlib.suppress(OSError, http.client.HTTPException):
                    response.read()
                return response.status
        finally:
            handle = getattr(request, "handle", None)
            if handle is not None:
                handle.close()

    def graph_exists(self, graph: str | None) -> bool:
        if graph is None:
            if self.gsp_url:
                answer = self.get_graph(None, "ntriples", timeout=None)
                try:
                    return bool(next(iter(answer.chunks), b"").strip())
                finally:
                    answer.close()
            return self.ask("ASK { ?s ?p ?o }")
        name = Term.iri(graph).to_ntriples()
        return self.ask(f"ASK {{ GRAPH {name} {{ ?s ?p ?o }} }}")

    def get_graph(self, graph: str | None, rdf_format: str,
                  timeout: float | None = None) -> Answer:
        if not self.gsp_url:
            where = "?s ?p ?o" if graph is None else \
                f"GRAPH {Term.iri(graph).to_ntriples()} {{ ?s ?p ?o }}"
            request = QueryRequest(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
                                   default_graphs=None)
            return self.query(request, rdf_format, timeout)
        limit = self._limit(timeout)
        deadline = time.monotonic() + limit
        wire = self._wire_format(rdf_format)
        request = self._gsp_request("GET", graph, accept=GRAPH_FORMATS[wire])
        try:
            response = self._open(request, limit)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                exc.close()
                return Answer("graph", rdf_format, iter(()))
            raise self._http_error(exc, "graph read") from None
        body = _Body(self, response, deadline, limit)
        return Answer("graph", rdf_format, self._answer_chunks(body, wire, rdf_format, "graph"))

    def _to_ntriples(self, data: Path, rdf_format: str, base_iri: str | None,
                     workdir: Path) -> tuple[Path, bool]:
        """Parse an upload here (errors with line and column), as N-Triples; has bnodes?"""
        fmt = format_by_name(rdf_format)
        out = workdir / "upload.nt"

        def triples() -> Iterator[ox.Triple]:
            for quad in ox.parse(path=str(data), format=fmt, base_iri=base_iri):
                if not isinstance(quad.graph_name, ox.DefaultGraph):
                    raise FormatMismatch("a graph store upload must be one graph: this one "
                                         f"names the graph {quad.graph_name}")
                yield quad.triple

        try:
            with open(out, "wb") as sink:
                ox.serialize(triples(), sink, ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:
            raise BadData(str(exc.args[0]) if exc.args else str(exc), line=exc.lineno,
                          column=exc.offset) from None
        except ValueError as exc:
            raise BadData(str(exc)) from None
        with open(out, "rb") as fh:
            has_bnodes = any(b"_:" in line for line in fh)
        return out, has_bnodes

    def _graph_ref(self, graph: str | None) -> str:
        return "DEFAULT" if graph is None else f"GRAPH {Term.iri(graph).to_ntriples()}"

    def _insert_data(self, graph: str | None, triples: bytes) -> str:
        """N-Triples as an update that adds them (N-Triples is SPARQL triple syntax).

        With blank nodes: ``INSERT {…} WHERE {}``, which makes the same fresh blank nodes
        as ``INSERT DATA`` (Virtuoso refuses blank nodes in ``INSERT DATA``).
        """
        text = triples.decode("utf-8")
        if graph is not None:
            text = f"GRAPH {Term.iri(graph).to_ntriples()} {{\n{text}\n}}"
        if b"_:" in triples:
            return f"INSERT {{\n{text}\n}} WHERE {{}}"
        return f"INSERT DATA {{\n{text}\n}}"

    def _chunks_of(self, path: Path, size: int) -> Iterator[bytes]:
        with open(path, "rb") as fh:
            pending: list[bytes] = []
            total = 0
            for line in fh:
                pending.append(line)
                total += len(line)
                if total >= size:
                    yield b"".join(pending)
                    pending, total = [], 0
            if pending:
                yield b"".join(pending)

    def replace_graph(self, graph: str | None, ntriples: Path, *, has_bnodes: bool = True
                      ) -> str:
        """Replace one graph with an N-Triples file; return how ("put", "update", "staged").

        The most atomic way the store offers: a Graph Store PUT where the store runs it as
        one transaction; else one update request ``DROP; INSERT DATA`` when the file fits
        in one; else a PUT (clear, then load: readers may see the graph empty meanwhile);
        without a graph-store endpoint, a staging graph filled in chunks and then MOVEd
        onto the graph in one request (the staging graph is visible in the union default
        graph while it fills).
        """
        size = os.path.getsize(ntriples)
        if self.gsp_url and self.dialect.atomic_put:
            self._gsp(self._gsp_request("PUT", graph, body=ntriples), "graph write")
            return "put"
        if size <= self.dialect.max_update_bytes:
            drop = "DROP SILENT DEFAULT" if graph is None else \
                f"DROP SILENT {self._graph_ref(graph)}"
            self._update(f"{drop} ;\n{self._insert_data(graph, ntriples.read_bytes())}")
            return "update"
        if self.gsp_url:
            self._gsp(self._gsp_request("PUT", graph, body=ntriples), "graph write")
            return "put"
        if has_bnodes:
            raise LoadError(
                f"the graph is {size:,} bytes, more than one update request may carry "
                f"({self.dialect.max_update_bytes:,}), and it has blank nodes, which "
                "cannot be split across requests: set TILLVAXTGRAF_GSP_URL")
        staging = STAGING + uuid.uuid4().hex
        staged = f"GRAPH <{staging}>"
        try:
            self._update(f"DROP SILENT {staged}")
            for chunk in self._chunks_of(ntriples, self.dialect.max_update_bytes):
                self._update(self._insert_data(staging, chunk))
            target = "DEFAULT" if graph is None else self._graph_ref(graph)
            self._update(f"MOVE SILENT {staged} TO {target}")
        except BaseException:
            with contextlib.suppress(TillvaxtgrafError):
                self._update(f"DROP SILENT {staged}")
            raise
        return "staged"

    def add_to_graph(self, graph: str | None, ntriples: Path) -> None:
        size = os.path.getsize(ntriples)
        if size <= self.dialect.max_update_bytes or not self.gsp_url:
            if size > self.dialect.max_update_bytes:
                raise LoadError(f"an upload of {size:,} bytes needs TILLVAXTGRAF_GSP_URL")
            self._update(self._insert_data(graph, ntriples.read_bytes()))
            return
        self._gsp(self._gsp_request("POST", graph, body=ntriples), "graph write")

    def write_graph(self, graph: str | None, data: Path, rdf_format: str, *,
                    replace: bool) -> WriteResult:
        existed = self.graph_exists(graph)
        with tempfile.TemporaryDirectory(prefix="tillvaxtgraf-upload-") as tmp:
            ntriples, has_bnodes = self._to_ntriples(Path(data), rdf_format, graph, Path(tmp))
            if replace:
                self.replace_graph(graph, ntriples, has_bnodes=has_bnodes)
            else:
                self.add_to_graph(graph, ntriples)
        self.touch()
        return WriteResult(created=not existed, existed=existed)

    def delete_graph(self, graph: str | None) -> WriteResult:
        existed = self.graph_exists(graph)
        if graph is None:
            self._update("CLEAR SILENT DEFAULT")
        else:
            self._update(f"DROP SILENT {self._graph_ref(graph)}")
        self.touch()
        return WriteResult(existed=existed)

    def fetch_graph(self, graph: str, into: ox.Store, workdir: Path) -> int:
        """Copy one remote graph into a local pyoxigraph store (same graph name)."""
        path = workdir / f"fetch-{uuid.uuid4().hex}.nt"
        answer = self.get_graph(graph, "ntriples")
        try:
            with open(path, "wb") as fh:
                for chunk in answer.chunks:
                    fh.write(chunk)
        finally:
            answer.close()
        into.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES,
                       to_graph=ox.NamedNode(graph))
        size = os.path.getsize(path)
        path.unlink()
        return size

    # -- the rest ------------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        return {
            "backend": "sparql",
            "dialect": self.dialect.name,
            "query_url": self.query_url,
            "update_url": self.update_url or None,
            "gsp_url": self.gsp_url or None,
        }

    def derived_dir(self) -> Path | None:
        """Where files derived from the store (search index …) are kept on this machine."""
        return None if self.local_dir is None else self.local_dir / "derived"

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""


def open_remote(query_url: str, **kwargs: object) -> RemoteStore:
    """A remote store by URL (tests, scripts): ``dialect`` may be given by name."""
    dialect = kwargs.pop("dialect", "generic")
    if isinstance(dialect, str):
        kwargs["dialect"] = DIALECTS[dialect]
    else:
        kwargs["dialect"] = dialect
    return RemoteStore(query_url, **kwargs)  # type: ignore[arg-type]
