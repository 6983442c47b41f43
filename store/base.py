"""The Store interface: everything the service may ask of storage.

The service depends on this interface only, so every surface works on the embedded
pyoxigraph store and on a remote SPARQL 1.1 store alike. Answers are bytes in a
requested format (streamed) or rows of backend-neutral terms.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tillvaxtgraf.store.sparql_text import inspect
from tillvaxtgraf.store.terms import Row, Term

RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
DATASET_FORMATS = {"nquads", "trig"}


@dataclass
class QueryRequest:
    """A query and the dataset it runs over.

    Without dataset lists, the default graph is the union of all graphs (as Fuseki's
    union default graph); a query's own FROM/FROM NAMED clauses are honoured.
    """

    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    substitutions: dict[str, Term] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against it
    # The text the client sent, when ``query`` is the service's rewrite of it: syntax
    # errors are reported at their line and column in this text.
    original: str | None = None
    # Whether the text has FROM/FROM NAMED, when the caller already looked (saves a lex).
    dataset_clause: bool | None = None

    def has_dataset_clause(self) -> bool:
        if self.dataset_clause is None:
            self.dataset_clause = inspect(self.query).has_dataset_clause
        return self.dataset_clause


@dataclass
class Answer:
    """A query answer as bytes: ``kind`` is 'solutions', 'boolean' or 'graph'."""

    kind: str
    format: str
    chunks: Iterator[bytes]

    @property
    def media_type(self) -> str:
        return RESULT_FORMATS.get(self.format) or GRAPH_FORMATS[self.format]

    def read(self) -> bytes:
        return b"".join(self.chunks)

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close:
            close()


@dataclass
class WriteResult:
    created: bool = False
    existed: bool = False
    triples: int = 0


class Store(ABC):
    """Storage as the service sees it."""

    @abstractmethod
    def query(self, request: QueryRequest, result_format: str,
              timeout: float | None = None) -> Answer:
        """Run a query; the answer's first chunk is ready (errors are raised here)."""

    @abstractmethod
    def update(self, update: str, timeout: float | None = None,
               base_iri: str | None = None, original: str | None = None) -> None:
        """Run a SPARQL update atomically: all of it is visible at once, or none.

        Relative IRIs in the update resolve against ``base_iri`` when it is given;
        ``original`` is the client's text when ``update`` is a rewrite of it.
        """

    @abstractmethod
    def graph_exists(self, graph: str | None) -> bool:
        """Whether a named graph (None: the default graph) holds any triple."""

    @abstractmethod
    def get_graph(self, graph: str | None, rdf_format: str,
                  timeout: float | None = None) -> Answer:
        """One graph's triples (None: the store's own default graph)."""

    @abstractmethod
    def write_graph(self, graph: str | None, data: Path, rdf_format: str, *,
                    replace: bool) -> WriteResult:
        """Replace (PUT) or add to (POST) one graph with an RDF file, atomically."""

    @abstractmethod
    def delete_graph(self, graph: str | None) -> WriteResult:
        """Remove one graph (None: empty the default graph)."""

    @abstractmethod
    def version(self) -> str:
        """Changes whenever the data changes: for ETags and index freshness."""

    def snapshot_id(self) -> str | None:
        """A name for data that can never change under it (an immutable snapshot), or None.

        Answers may be kept and given again under this name (the ``/sparql`` result
        cache); a backend whose data can change without a new name returns None.
        """
        return None

    @abstractmethod
    def health(self) -> dict[str, object]:
        """A small report: is the store reachable, what does it hold."""

    def close(self) -> None:  # noqa: B027 - optional for backends
        """Release processes and connections."""

    # Conveniences built on query(): the same for every backend.

    def select(self, query: str, bindings: dict[str, Term] | None = None, *,
               timeout: float | None = None, default_graphs: list[str] | None = None,
               ) -> tuple[list[str], list[Row]]:
        request = QueryRequest(query, default_graphs=default_graphs,
                               substitutions=dict(bindings or {}))
        data = json.loads(self.query(request, "json", timeout).read())
        variables = data["head"].get("vars", [])
        # Answers repeat their terms (a county's IRI and label on every row of it), and a
        # Term is immutable: each distinct term is built once per answer.
        terms: dict[tuple, Term] = {}

        def term(value: dict) -> Term:
            key = (value["type"], value["value"], value.get("xml:lang"), value.get("datatype"))
            found = terms.get(key)
            if found is None:
                found = terms[key] = Term.from_json(value)
            return found

        rows = [
            {name: term(value) for name, value in binding.items()}
            for binding in data.get("results", {}).get("bindings", [])
        ]
        return variables, rows

    def ask(self, query: str, bindings: dict[str, Term] | None = None, *,
            timeout: float | None = None) -> bool:
        request = QueryRequest(query, substitutions=dict(bindings or {}))
        return bool(json.loads(self.query(request, "json", timeout).read())["boolean"])

    def named_graphs(self) -> list[str]:
        """The names of the store's named graphs, sorted."""
        from tillvaxtgraf.store.sparql import sparql

        # Some stores (Virtuoso) answer a row without ?g for an empty pattern.
        return [row["g"].value for row in self.select(sparql("named_graphs"))[1] if "g" in row]

    def statements(self, graph: str | None) -> Iterator:
        """Every statement of one graph (``None``: the default graph) as pyoxigraph
        triples, read as they arrive: for builders that read whole graphs (the search
        index). Backends with a faster way to read their own graphs override it."""
        import pyoxigraph as ox

        answer = self.get_graph(graph, "ntriples")
        return ox.parse(input=_ChunksFile(answer.chunks), format=ox.RdfFormat.N_TRIPLES)

    def construct(self, query: str, bindings: dict[str, Term] | None = None, *,
                  timeout: float | None = None, rdf_format: str = "ntriples") -> bytes:
        request = QueryRequest(query, substitutions=dict(bindings or {}))
        return self.query(request, rdf_format, timeout).read()


class _ChunksFile(io.RawIOBase):
    """An answer's chunks as a readable file, so a parser reads them as they come."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            chunk = next(self.chunks, b"")
            if not chunk:
                return 0
            self.pending = memoryview(chunk)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size
