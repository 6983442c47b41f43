"""Helpers shared by the W3C test encodings: read answers the way the manifests describe.

The manifests (w3c/rdf-tests, sparql/sparql11/protocol and .../graph-store-protocol) say
what kind of answer a request must get — "boolean", "tabular" or "RDF" — and for the
Graph Store tests an RDF body the answer must be isomorphic to. These helpers check
exactly that, by parsing the body in whatever format the server chose.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
import xml.etree.ElementTree as ET

from rdflib import Graph
from rdflib.compare import isomorphic

SRX = "{http://www.w3.org/2005/sparql-results#}"
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml",
                 "application/json", "application/xml", "text/xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def same_content_type(actual: str | None, expected: str) -> bool:
    """Compare media type and parameters, ignoring case and spacing."""
    def norm(value: str) -> tuple[str, frozenset[str]]:
        parts = [p.strip().lower().replace(" ", "") for p in value.split(";")]
        return parts[0], frozenset(p for p in parts[1:] if p)

    return norm(actual or "") == norm(expected)


def is_2xx_or_3xx(status: int) -> bool:
    return 200 <= status < 400


def boolean_answer(content_type: str | None, body: bytes) -> bool:
    """The boolean of a SPARQL ASK answer in JSON or XML; fails on any other shape."""
    kind = media_type(content_type)
    assert kind in BOOLEAN_TYPES, f"not a boolean result format: {content_type}"
    if "json" in kind:
        data = json.loads(body)
        assert isinstance(data.get("boolean"), bool), data
        return data["boolean"]
    root = ET.fromstring(body)
    node = root.find(f"{SRX}boolean")
    assert node is not None and node.text in ("true", "false"), body
    return node.text == "true"


def tabular_answer(content_type: str | None, body: bytes) -> tuple[list[str], list[dict]]:
    """Variables and rows (variable → lexical value) of a SELECT answer in any format."""
    kind = media_type(content_type)
    assert kind in TABULAR_TYPES, f"not a tabular result format: {content_type}"
    text = body.decode("utf-8")
    if "json" in kind:
        data = json.loads(text)
        variables = data["head"]["vars"]
        rows = [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
        return variables, rows
    if "xml" in kind:
        root = ET.fromstring(body)
        variables = [v.get("name") for v in root.iter(f"{SRX}variable")]
        rows = []
        for result in root.iter(f"{SRX}result"):
            row = {}
            for binding in result.findall(f"{SRX}binding"):
                row[binding.get("name")] = "".join(binding.itertext())
            rows.append(row)
        return variables, rows
    if kind == "text/csv":
        reader = list(csv.reader(io.StringIO(text)))
        variables = reader[0]
        return variables, [dict(zip(variables, r, strict=True)) for r in reader[1:]]
    lines = text.rstrip("\n").split("\n")
    variables = [v.lstrip("?") for v in lines[0].split("\t")]
    rows = []
    for line in lines[1:]:
        cells = [c.strip("<>").split('"')[1] if c.startswith('"') else c.strip("<>")
                 for c in line.split("\t")]
        rows.append(dict(zip(variables, cells, strict=True)))
    return variables, rows


def rdf_answer(content_type: str | None, body: bytes, base: str | None = None) -> Graph:
    """Parse an RDF answer by its Content-Type (fails for any non-RDF type)."""
    kind = media_type(content_type)
    assert kind in RDF_PARSERS, f"not an RDF format: {content_type}"
    graph = Graph()
    with warnings.catch_warnings():
        # rdflib's own N-Quads/TriG/JSON-LD parsers use its deprecated ConjunctiveGraph.
        warnings.simplefilter("ignore", DeprecationWarning)
        graph.parse(data=body, format=RDF_PARSERS[kind], publicID=base)
    return graph


def turtle_graph(text: str) -> Graph:
    graph = Graph()
    graph.parse(data=text, format="turtle")
    return graph


def assert_isomorphic(actual: Graph, expected_turtle: str) -> None:
    expected = turtle_graph(expected_turtle)
    assert isomorphic(actual, expected), (
        "graphs differ:\n--- got\n" + actual.serialize(format="nt")
        + "--- expected\n" + expected.serialize(format="nt")
    )
