"""The embedded backend: pyoxigraph snapshots on local disk, queried by worker processes."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tillvaxtgraf.errors import (
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    StoreBusy,
    StoreUnavailable,
    TillvaxtgrafError,
)
from tillvaxtgraf.store import frames
from tillvaxtgraf.store.base import Answer, QueryRequest, Store, WriteResult
from tillvaxtgraf.store.embedded import ensure_snapshot
from tillvaxtgraf.store.snapshots import SnapshotDir
from tillvaxtgraf.store.sparql_text import clear_silently

log = logging.getLogger(__name__)

TIMEOUT_HINT = "narrow the query with LIMIT or a more specific pattern"


class FormatMismatch(TillvaxtgrafError):
    """The answer cannot be given in the requested format."""


class BadData(TillvaxtgrafError):
    """Uploaded RDF could not be parsed."""


class UpdateFailed(TillvaxtgrafError):
    """A well-formed update could not be applied (e.g. DROP of a graph that is absent)."""


def error_from(payload: dict) -> TillvaxtgrafError:
    kind = payload.get("error")
    message = payload.get("message", "unknown error")
    if kind == "syntax":
        return QuerySyntaxError(message, line=payload.get("line"), column=payload.get("column"))
    if kind == "format":
        return FormatMismatch(message)
    if kind == "data":
        return BadData(message, line=payload.get("line"), column=payload.get("column"))
    if kind == "busy":
        return StoreBusy(message, hint="try again when the other write has finished")
    if kind == "update":
        return UpdateFailed(message)
    if kind == "query":
        return QueryRefused(message)
    return StoreUnavailable(message)


class WorkerProcess:
    """One child process and the pipe to it."""

    def __init__(self, network: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tillvaxtgraf.store.worker",
             *([] if network else ["--no-network"])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        answers = self.proc.stdout.fileno()
        self.reader = frames.FrameReader(answers, frames.widen_pipe(answers))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, request: dict) -> None:
        assert self.proc.stdin is not None
        frames.write_json(self.proc.stdin, frames.HEADER, request)
        self.proc.stdin.flush()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self.proc.wait()


class StopCount:
    """How many query workers the time limit has killed, counted for the whole server.

    A pool lives in one process, but a server has several (gunicorn forks its workers),
    and /healthz may be answered by any of them. ``share_stop_count()`` in the parent
    before the fork puts the count in shared memory, which the children inherit (where
    the system has no shared semaphores, each process counts its own)."""

    def __init__(self) -> None:
        try:
            self.shared = multiprocessing.Value("q", 0)
        except (OSError, ImportError):  # no POSIX semaphores here (e.g. no /dev/shm)
            self.shared = None
        self.local = 0
        self.lock = threading.Lock()

    def add(self) -> None:
        if self.shared is None:
            with self.lock:
                self.local += 1
            return
        with self.shared.get_lock():
            self.shared.value += 1

    def get(self) -> int:
        return self.local if self.shared is None else int(self.shared.value)


_stop_count = StopCount()


def share_stop_count() -> None:
    """Start a count that every process forked from now on adds to and reads."""
    global _stop_count
    _stop_count = StopCount()


class WorkerPool:
    """A fixed number of workers; a query borrows one and gives it back."""

    def __init__(self, size: int, network: bool = False) -> None:
        self.size = max(1, size)
        self.network = network
        self.idle: queue.LifoQueue[WorkerProcess | None] = queue.LifoQueue()
        for _ in range(self.size):
            self.idle.put(None)  # a slot; the process starts on first use
        self.stops = _stop_count
        self.discarded = 0  # workers killed in this process, for any reason
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def acquire(self, deadline: float) -> WorkerProcess:
        try:
            worker = self.idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise QueryTimeout("every query worker stayed busy until the time limit",
                               hint="try again in a moment") from None
        if worker is None or not worker.alive():
            try:
                worker = WorkerProcess(self.network)
            except OSError as exc:
                self.idle.put(None)
                raise StoreUnavailable(f"could not start a query worker: {exc}") from None
        return worker

    def release(self, worker: WorkerProcess) -> None:
        self.idle.put(worker)

    def discard(self, worker: WorkerProcess, *, time_limit: bool = False) -> None:
        """Kill a worker that cannot be given back; ``time_limit``: its query ran out of
        time (counted), rather than its client leaving or the worker dying."""
        worker.kill()
        with self.lock:
            self.discarded += 1
        if time_limit:
            self.stops.add()
        self.idle.put(None)

    def close(self) -> None:
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                return
            if worker is not None:
                worker.kill()


class EmbeddedStore(Store):
    """Queries on the current snapshot through workers that the time limit can kill."""

    def __init__(self, path: str | os.PathLike[str], *, workers: int = 2,
                 default_timeout: float = 30.0, network: bool = False) -> None:
        """``network``: whether queries may reach other servers (SERVICE); without it the
        workers cannot open an IPv4/IPv6 socket at all (store/sandbox.py)."""
        self.root = SnapshotDir(path)
        self.default_timeout = default_timeout
        # (pointer identity, snapshot name) -> the snapshot's folder, checked once
        self._resolved: tuple[tuple[object, str | None], str] | None = None
        ensure_snapshot(path)
        self.pool = WorkerPool(workers, network)

    # -- helpers -------------------------------------------------------------------------

    def _pool(self) -> WorkerPool:
        if self.pool.pid != os.getpid():  # forked (e.g. by gunicorn): start afresh
            self.pool = WorkerPool(self.pool.size, self.pool.network)
        return self.pool

    def _snapshot_path(self) -> str:
        """The current snapshot's folder: one stat of the pointer while it is unchanged."""
        pointer = self.root.pointer()
        resolved = self._resolved
        if resolved is not None and resolved[0] == pointer:
            return resolved[1]
        snapshot = self.root.current()
        if snapshot is None:
            snapshot = ensure_snapshot(self.root.root)
        path = str(snapshot.path)
        if pointer[1] == snapshot.name:
            self._resolved = (pointer, path)
        return path

    def _deadline(self, timeout: float | None) -> float:
        return time.monotonic() + (self.default_timeout if timeout is None else timeout)

    def _call(self, request: dict, timeout: float | None) -> tuple[dict, WorkerProcess, float]:
        """Send a request; return the header, the worker (still busy) and the deadline."""
        deadline = self._deadline(timeout)
        pool = self._pool()
        worker = pool.acquire(deadline)
        try:
            worker.send(request)
            kind, payload = worker.reader.read(deadline)
        except frames.DeadlineExceeded:
            pool.discard(worker, time_limit=True)
            limit = self.default_timeout if timeout is None else timeout
            raise QueryTimeout(f"the query was stopped after {limit:g} s, its time limit",
                               hint=TIMEOUT_HINT) from None
        except (frames.PeerGone, BrokenPipeError, OSError) as exc:
            pool.discard(worker)
            raise StoreUnavailable(f"the query worker died: {exc or 'pipe closed'}") from None
        if kind == frames.ERROR:
            self._finish(worker, deadline)
            raise error_from(json.loads(payload))
        return json.loads(payload), worker, deadline

    def _finish(self, worker: WorkerProcess, deadline: float) -> None:
        """Read to the END frame, then give the worker back."""
        pool = self._pool()
        try:
            while True:
                kind, _ = worker.reader.read(deadline)
                if kind == frames.END:
                    break
        except frames.DeadlineExceeded:
            pool.discard(worker, time_limit=True)
            return
        except (frames.PeerGone, OSError):
            pool.discard(worker)
            return
        pool.release(worker)

    def _stream(self, worker: WorkerProcess, deadline: float, limit: float) -> Iterator[bytes]:
        """The answer's bytes as they come: a DATA frame's payload is passed on in the
        pieces the pipe gives, without being gathered or copied again."""
        pool = self._pool()
        reader = worker.reader
        finished = timed_out = False

        def guarded(read, *args):  # noqa: ANN001, ANN202 - a reader method and its args
            nonlocal timed_out
            try:
                return read(*args, deadline)
            except frames.DeadlineExceeded:
                timed_out = True
                raise QueryTimeout(f"the answer was cut off after {limit:g} s, its time "
                                   "limit", hint=TIMEOUT_HINT) from None
            except (frames.PeerGone, OSError) as exc:
                raise StoreUnavailable(f"the query worker died: {exc or 'pipe closed'}"
                                       ) from None

        try:
            while True:
                kind, length = guarded(reader.header)
                if kind == frames.DATA:
                    while length:
                        piece = guarded(reader.piece, length)
                        length -= len(piece)
                        yield piece
                    continue
                payload = guarded(reader.payload, length)
                if kind == frames.ERROR:
                    self._finish(worker, deadline)
                    finished = True
                    raise error_from(json.loads(payload))
                if kind == frames.END:
                    finished = True
                    pool.release(worker)
                    return
        finally:
            if not finished:
                pool.discard(worker, time_limit=timed_out)

    # -- Store ---------------------------------------------------------------------------

    def query(self, request: QueryRequest, result_format: str,
              timeout: float | None = None) -> Answer:
        message = {
            "op": "query",
            "snapshot": self._snapshot_path(),
            "query": request.query,
            "format": result_format,
            "default_graphs": request.default_graphs,
            "named_graphs": request.named_graphs,
            "has_dataset_clause": request.has_dataset_clause(),
            "substitutions": {k: v.to_json() for k, v in request.substitutions.items()},
            "base_iri": request.base_iri,
            "original": request.original,
        }
        header, worker, deadline = self._call(message, timeout)
        limit = self.default_timeout if timeout is None else timeout
        return Answer(header["kind"], header["format"], self._stream(worker, deadline, limit))

    def _simple(self, request: dict, timeout: float | None) -> dict:
        header, worker, deadline = self._call(request, timeout)
        self._finish(worker, deadline)
        return header

    def _write(self, request: dict, timeout: float | None) -> dict:
        return self._simple({**request, "root": str(self.root.root)}, timeout)

    def update(self, update: str, timeout: float | None = None,
               base_iri: str | None = None, original: str | None = None) -> None:
        # pyoxigraph fails CLEAR on a graph it has never seen; to the service a graph
        # exists while it holds triples, so clearing an absent graph is a no-op.
        text = clear_silently(update)
        original = original or (update if text != update else None)
        self._write({"op": "update", "update": text, "base_iri": base_iri,
                     "original": original}, timeout)

    def graph_exists(self, graph: str | None) -> bool:
        header = self._simple(
            {"op": "graph_exists", "snapshot": self._snapshot_path(), "graph": graph}, None
        )
        return bool(header["exists"])

    def get_graph(self, graph: str | None, rdf_format: str,
                  timeout: float | None = None) -> Answer:
        header, worker, deadline = self._call(
            {"op": "get_graph", "snapshot": self._snapshot_path(), "graph": graph,
             "format": rdf_format},
            timeout,
        )
        limit = self.default_timeout if timeout is None else timeout
        return Answer("graph", header["format"], self._stream(worker, deadline, limit))

    def write_graph(self, graph: str | None, data: Path, rdf_format: str, *,
                    replace: bool) -> WriteResult:
        header = self._write(
            {"op": "write_graph", "graph": graph, "data": str(data), "format": rdf_format,
             "replace": replace, "base_iri": graph},
            None,
        )
        return WriteResult(created=header.get("created", False),
                           existed=header.get("existed", False))

    def delete_graph(self, graph: str | None) -> WriteResult:
        header = self._write({"op": "delete_graph", "graph": graph}, None)
        return WriteResult(existed=header.get("existed", False))

    def version(self) -> str:
        return self.root.current_name() or "empty"

    def snapshot_id(self) -> str | None:
        """The snapshot's name and its pointer's identity: published snapshots are
        never written, so this names one fixed content."""
        stamp, name = self.root.pointer()
        if stamp is None or name is None:
            return None
        return f"{name}:{stamp[0]}:{stamp[1]}:{stamp[2]}"

    def health(self) -> dict[str, object]:
        pool = self._pool()
        return {
            "backend": "embedded",
            "snapshot": self.version(),
            "workers": pool.size,
            "workers_stopped_by_time_limit": pool.stops.get(),
        }

    def close(self) -> None:
        self._pool().close()
