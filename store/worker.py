"""A worker process: runs queries and writes on the embedded store for the service.

Why a process: a running pyoxigraph query cannot be cancelled from Python. The service
hands each query to a worker and kills the worker when the time limit passes, which
really stops the work and frees the CPU. Run as ``python -m tillvaxtgraf.store.worker``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
from typing import BinaryIO

import pyoxigraph as ox

from tillvaxtgraf.errors import StoreBusy
from tillvaxtgraf.loaders.formats import format_by_name
from tillvaxtgraf.store import frames
from tillvaxtgraf.store.snapshots import SnapshotDir

RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
STACK_BYTES = 1 << 30
_POSITION = re.compile(r"(?:error at |line )(\d+)[:, ](?:between columns )?(\d+)")


class RequestError(Exception):
    def __init__(self, kind: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.payload = {"error": kind, "message": message, **extra}


def _term(data: dict) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    if data["type"] == "uri":
        return ox.NamedNode(data["value"])
    if data["type"] == "bnode":
        return ox.BlankNode(data["value"])
    if "xml:lang" in data:
        return ox.Literal(data["value"], language=data["xml:lang"])
    if "datatype" in data:
        return ox.Literal(data["value"], datatype=ox.NamedNode(data["datatype"]))
    return ox.Literal(data["value"])


def _graph(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name is None else ox.NamedNode(name)


def located_syntax_error(exc: SyntaxError, request: dict, key: str) -> RequestError:
    """The syntax error as it shows in the client's text, when the service rewrote it.

    Rewrites (a row limit, USING clauses) move lines and columns; the client's own text
    has the same fault, so parsing it (on an empty scratch store) finds the true place.
    """
    original = request.get("original")
    if original and original != request[key]:
        scratch = ox.Store()
        run = scratch.update if key == "update" else scratch.query
        try:
            run(original, base_iri=request.get("base_iri"))
        except SyntaxError as first:
            return syntax_error(first)
        except Exception:  # noqa: BLE001 - only the position is wanted here
            pass
    return syntax_error(exc)


def syntax_error(exc: SyntaxError) -> RequestError:
    message = str(exc.args[0]) if exc.args else str(exc)
    match = _POSITION.search(message)
    extra = {}
    if exc.lineno:
        extra = {"line": exc.lineno, "column": exc.offset}
    elif match:
        extra = {"line": int(match.group(1)), "column": int(match.group(2))}
    return RequestError("syntax", message, **extra)


class Worker:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.snapshot_path: str | None = None
        self.store: ox.Store | None = None

    def reader(self, snapshot_path: str) -> ox.Store:
        if snapshot_path != self.snapshot_path:
            self.store = None
            self.store = ox.Store.read_only(snapshot_path)
            self.snapshot_path = snapshot_path
        assert self.store is not None
        return self.store

    def query(self, request: dict) -> None:
        store = self.reader(request["snapshot"])
        kwargs: dict = {}
        if request.get("default_graphs") is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in request["default_graphs"]]
            # A protocol dataset without named-graph-uri has no named graphs.
            kwargs["named_graphs"] = []
        elif not request.get("has_dataset_clause"):
            kwargs["use_default_graph_as_union"] = True
        if request.get("named_graphs") is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
            if request.get("default_graphs") is None:
                kwargs.pop("use_default_graph_as_union", None)
                kwargs["default_graph"] = []
        if request.get("substitutions"):
            kwargs["substitutions"] = {
                ox.Variable(name): _term(value) for name, value in request["substitutions"].items()
            }
        if request.get("base_iri"):
            kwargs["base_iri"] = request["base_iri"]
        try:
            result = store.query(request["query"], **kwargs)
        except SyntaxError as exc:
            raise located_syntax_error(exc, request, "query") from None
        except RuntimeError as exc:
            raise RequestError("query", str(exc)) from None
        wanted = request["format"]
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
            if wanted not in RESULTS:
                raise RequestError("format", f"a {kind} answer cannot be given as {wanted}")
            fmt = RESULTS[wanted]
        else:
            kind = "graph"
            if wanted in RESULTS:
                raise RequestError("format", f"a graph answer cannot be given as {wanted}")
            fmt = format_by_name(wanted)
        frames.write_json(self.out, frames.HEADER, {"kind": kind, "format": wanted})
        self.out.flush()
        sink = frames.ChunkWriter(self.out)
        result.serialize(sink, fmt)
        sink.flush()

    def graph_exists(self, request: dict) -> None:
        store = self.reader(request["snapshot"])
        graph = _graph(request.get("graph"))
        found = next(store.quads_for_pattern(None, None, None, graph), None) is not None
        frames.write_json(self.out, frames.HEADER, {"exists": found})

    def get_graph(self, request: dict) -> None:
        store = self.reader(request["snapshot"])
        frames.write_json(self.out, frames.HEADER, {"kind": "graph", "format": request["format"]})
        sink = frames.ChunkWriter(self.out)
        store.dump(sink, format_by_name(request["format"]), from_graph=_graph(request.get("graph")))
        sink.flush()

    def write(self, request: dict) -> None:
        """Updates and graph-store writes: a private snapshot, published when whole."""
        root = SnapshotDir(request["root"])
        with root.lock(wait_seconds=request.get("lock_wait", 60.0)):
            snapshot = root.begin()
            try:
                result = self._write_into(str(snapshot.path), request)
                root.publish(snapshot)
            except BaseException:
                root.discard(snapshot)
                raise
        frames.write_json(self.out, frames.HEADER, result)

    def _write_into(self, path: str, request: dict) -> dict:
        """Apply the write to the private copy; the copy is closed on return."""
        store = ox.Store(path)
        result = self._apply_write(store, request)
        store.flush()
        return result

    def _apply_write(self, store: ox.Store, request: dict) -> dict:
        op = request["op"]
        if op == "update":
            try:
                store.update(request["update"], base_iri=request.get("base_iri"))
            except SyntaxError as exc:
                raise located_syntax_error(exc, request, "update") from None
            except (RuntimeError, OSError) as exc:
                raise RequestError("update", str(exc)) from None
            return {}
        graph = _graph(request.get("graph"))
        existed = next(store.quads_for_pattern(None, None, None, graph), None) is not None
        if op == "delete_graph":
            if isinstance(graph, ox.DefaultGraph):
                store.clear_graph(graph)
            elif store.contains_named_graph(graph):
                store.remove_graph(graph)
            return {"existed": existed}
        if op == "write_graph":
            if request["replace"]:
                if isinstance(graph, ox.DefaultGraph):
                    store.clear_graph(graph)
                elif store.contains_named_graph(graph):
                    store.clear_graph(graph)
            rdf_format = format_by_name(request["format"])
            if rdf_format == ox.RdfFormat.JSON_LD:
                # JSON-LD may name graphs, which bulk_load would write beside the target.
                try:
                    named = next((q.graph_name for q in ox.parse(path=request["data"],
                                                                 format=rdf_format)
                                  if not isinstance(q.graph_name, ox.DefaultGraph)), None)
                except SyntaxError as exc:  # e.g. a remote @context: never fetched
                    raise syntax_error(exc) from None
                if named is not None:
                    raise RequestError("data", f"a graph store upload holds one graph; this "
                                       f"JSON-LD names the graph {named} too")
            elif rdf_format.supports_datasets:
                raise RequestError("format", "a graph store upload must be a graph format")
            try:
                store.bulk_load(path=request["data"], format=rdf_format, to_graph=graph,
                                base_iri=request.get("base_iri"))
            except SyntaxError as exc:
                raise syntax_error(exc) from None
            except ValueError as exc:
                raise RequestError("data", str(exc)) from None
            if isinstance(graph, ox.NamedNode) and not store.contains_named_graph(graph):
                store.add_graph(graph)
            return {"existed": existed, "created": not existed}
        raise RequestError("protocol", f"unknown write operation {op!r}")

    def handle(self, request: dict) -> None:
        op = request["op"]
        try:
            if op == "query":
                self.query(request)
            elif op == "graph_exists":
                self.graph_exists(request)
            elif op == "get_graph":
                self.get_graph(request)
            elif op in ("update", "write_graph", "delete_graph"):
                self.write(request)
            elif op == "ping":
                frames.write_json(self.out, frames.HEADER, {"pong": True})
            else:
                raise RequestError("protocol", f"unknown operation {op!r}")
        except RequestError as exc:
            frames.write_json(self.out, frames.ERROR, exc.payload)
        except StoreBusy as exc:
            frames.write_json(self.out, frames.ERROR, {"error": "busy", "message": exc.message})
        except OSError as exc:
            frames.write_json(self.out, frames.ERROR, {"error": "store", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - reported to the service, never lost
            traceback.print_exc(file=sys.stderr)
            frames.write_json(self.out, frames.ERROR,
                              {"error": "internal", "message": f"{type(exc).__name__}: {exc}"})
        frames.write_frame(self.out, frames.END)
        self.out.flush()


def main() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frame stream
    if "--no-network" in sys.argv[1:]:
        from tillvaxtgraf.store.sandbox import deny_network

        if not deny_network():
            print("tillvaxtgraf worker: this system cannot take network access away from "
                  "the query worker; SERVICE and LOAD are refused by the query check alone",
                  file=sys.stderr)
    reader = frames.FrameReader(sys.stdin.buffer.fileno())
    worker = Worker(out)
    # Long chains in a query (thousands of UNIONs, BINDs or '+') recurse deep in the
    # engine: on the main thread's 8 MiB stack they crashed the worker. On a big stack
    # (only the pages touched are used) they run into the time limit instead. The thread
    # starts after the network is taken away, so it inherits that.
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=_serve, args=(reader, worker), name="worker")
    thread.start()
    thread.join()


def _serve(reader: frames.FrameReader, worker: Worker) -> None:
    while True:
        try:
            kind, payload = reader.read(None)
        except frames.PeerGone:
            return
        if kind != frames.HEADER:
            continue
        worker.handle(json.loads(payload))


if __name__ == "__main__":
    main()
