"""SHACL validation of the graphs that promise to conform (curated data, mapped tables)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate

from tillvaxtgraf.errors import ValidationError
from tillvaxtgraf.loaders.sources import Source
from tillvaxtgraf.store.names import ONTOLOGY_GRAPH, SHAPES_GRAPH

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
MAX_REPORTED = 10


def _graph_from_store(store: ox.Store, graphs: Iterable[str]) -> rdflib.Graph:
    result = rdflib.Graph()
    for name in graphs:
        buffer = io.BytesIO()
        store.dump(buffer, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
        result.parse(data=buffer.getvalue().decode("utf-8"), format="nt")
    return result


def _line_of(source: Source, focus: str) -> int | None:
    if focus in source.subject_lines:
        return source.subject_lines[focus]
    local = re.split(r"[/#]", focus)[-1]
    if not local:
        return None
    try:
        with open(source.path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if focus in line or re.search(r"[:/]" + re.escape(local) + r"\b", line):
                    return number
    except OSError:
        return None
    return None


def _targeting(shapes: rdflib.Graph, ontology: rdflib.Graph, data: rdflib.Graph,
               focus: list[str]) -> rdflib.Graph:
    """The shapes with each sh:targetClass replaced by the focus nodes of that class.

    pyshacl's own ``focus_nodes`` option also filters the value nodes of nested shapes,
    which breaks sh:qualifiedValueShape (pyshacl 0.40); explicit sh:targetNode does not.
    """
    superclasses: dict[rdflib.term.Node, set[rdflib.term.Node]] = {}
    focused = rdflib.Graph()
    for triple in shapes:
        if triple[1] != SH.targetClass:
            focused.add(triple)
    for name in focus:
        node = rdflib.URIRef(name)
        classes: set[rdflib.term.Node] = set()
        for rdf_type in data.objects(node, rdflib.RDF.type):
            if rdf_type not in superclasses:
                superclasses[rdf_type] = set(ontology.transitive_objects(rdf_type,
                                                                         rdflib.RDFS.subClassOf))
            classes |= superclasses[rdf_type]
        for shape in {s for c in classes for s in shapes.subjects(SH.targetClass, c)}:
            focused.add((shape, SH.targetNode, node))
    return focused


def validate_graphs(store: ox.Store, data_graphs: list[str], sources: list[Source],
                    focus: list[str] | None = None, extra: str = "") -> None:
    """Raise ValidationError naming file, line and reason for the first violations.

    ``focus``: check only these nodes (the other data is there for sh:class and the like).
    ``extra``: N-Triples to check with the graphs, without writing them to the store.
    """
    shapes = _graph_from_store(store, [SHAPES_GRAPH])
    if len(shapes) == 0:
        raise ValidationError("the SHACL shapes graph is empty: load the bundled data first")
    ontology = _graph_from_store(store, [ONTOLOGY_GRAPH])
    data = _graph_from_store(store, data_graphs)
    if extra:
        data.parse(data=extra, format="nt")
    if focus is not None:
        shapes = _targeting(shapes, ontology, data, focus)
    conforms, report, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return
    problems = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        if severity != SH.Violation:
            continue
        focus = str(report.value(result, SH.focusNode))
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        problems.append((focus, path, message))
    if not problems:
        return
    problems.sort(key=lambda p: (p[0], str(p[1])))
    owner = _source_holding(store, sources, problems[0][0])
    details = []
    for focus, path, message in problems[:MAX_REPORTED]:
        where = f" (property {path.n3()})" if path is not None else ""
        details.append(f"<{focus}>{where}: {message}")
    more = len(problems) - MAX_REPORTED
    if more > 0:
        details.append(f"... and {more} more violations")
    raise ValidationError(
        "the data violates the SHACL shapes: " + "; ".join(details),
        source=owner.label if owner else None,
        line=_line_of(owner, problems[0][0]) if owner else None,
    )


def _source_holding(store: ox.Store, sources: list[Source], focus: str) -> Source | None:
    node = ox.NamedNode(focus) if "://" in focus or focus.startswith("urn:") else None
    for source in sources:
        if node is None:
            return source
        graph = ox.NamedNode(source.graph)
        if next(store.quads_for_pattern(node, None, None, graph), None) is not None:
            return source
        if next(store.quads_for_pattern(None, None, node, graph), None) is not None:
            return source
    return sources[0] if sources else None
