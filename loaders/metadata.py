"""The metadata graph: a PROV-O and VoID record of every source graph."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pyoxigraph as ox

from tillvaxtgraf import __version__
from tillvaxtgraf.loaders.sources import Source
from tillvaxtgraf.store.names import DCTERMS, ID, METADATA_GRAPH, PROV, RDF, SOFTWARE, TG, VOID, XSD

META = ox.NamedNode(METADATA_GRAPH)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def activity_iri(graph: str) -> str:
    return ID + "load/" + hashlib.sha256(graph.encode("utf-8")).hexdigest()[:20]


def recorded_fingerprint(store: ox.Store, graph: str) -> tuple[str | None, str | None]:
    """The sha256 and loader version recorded for a graph, if any."""
    node = _n(graph)
    sha = next(store.quads_for_pattern(node, _n(TG + "sha256"), None, META), None)
    version = next(store.quads_for_pattern(node, _n(TG + "loaderVersion"), None, META), None)
    return (sha.object.value if sha else None, version.object.value if version else None)


def forget(store: ox.Store, graph: str) -> None:
    for subject in (_n(graph), _n(activity_iri(graph))):
        for quad in list(store.quads_for_pattern(subject, None, None, META)):
            store.remove(quad)


def record(
    store: ox.Store,
    source: Source,
    graph: str,
    sha256: str,
    triples: int,
    started: datetime,
    ended: datetime,
) -> None:
    forget(store, graph)
    g = _n(graph)
    activity = _n(activity_iri(graph))

    def lit(value: object, datatype: str | None = None) -> ox.Literal:
        return ox.Literal(str(value), datatype=_n(datatype)) if datatype else ox.Literal(str(value))

    def stamp(moment: datetime) -> ox.Literal:
        return lit(moment.isoformat(timespec="seconds"), XSD + "dateTime")

    quads = [
        (g, _n(RDF + "type"), _n(VOID + "Dataset")),
        (g, _n(RDF + "type"), _n(PROV + "Entity")),
        (g, _n(TG + "sourceKind"), lit(source.kind)),
        (g, _n(TG + "sourceFile"), lit(source.label)),
        (g, _n(TG + "sha256"), lit(sha256)),
        (g, _n(TG + "loaderVersion"), lit(__version__)),
        (g, _n(TG + "validated"), lit("true" if source.validate else "false", XSD + "boolean")),
        (g, _n(VOID + "triples"), lit(triples, XSD + "integer")),
        (g, _n(DCTERMS + "modified"), stamp(ended)),
        (g, _n(PROV + "wasGeneratedBy"), activity),
        (activity, _n(RDF + "type"), _n(PROV + "Activity")),
        (activity, _n(PROV + "startedAtTime"), stamp(started)),
        (activity, _n(PROV + "endedAtTime"), stamp(ended)),
        (activity, _n(PROV + "wasAssociatedWith"), _n(SOFTWARE)),
        (activity, _n(PROV + "used"), lit(source.label)),
    ]
    if source.mapping is not None:
        quads.append((g, _n(TG + "mappingFile"), lit(str(source.mapping.path))))
    if source.derived_from:
        quads.append((g, _n(PROV + "wasDerivedFrom"), _n(source.derived_from)))
    if graph == METADATA_GRAPH:
        return
    store.extend([ox.Quad(s, p, o, META) for s, p, o in quads])


def validated_graphs(store: ox.Store) -> list[str]:
    """Graphs whose records say they were SHACL-validated when loaded."""
    true = ox.Literal("true", datatype=_n(XSD + "boolean"))
    return sorted(
        q.subject.value
        for q in store.quads_for_pattern(None, _n(TG + "validated"), true, META)
    )


def now() -> datetime:
    return datetime.now(UTC)
