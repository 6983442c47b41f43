"""The bundled data set: ontology, shapes, reference tables and curated seed facts."""

from __future__ import annotations

from tillvaxtgraf.data import data_dir
from tillvaxtgraf.loaders.sources import Source, csv_source, curated_source, rdf_source
from tillvaxtgraf.ontology import ontology_file, shapes_file
from tillvaxtgraf.store.names import GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH


def bundled_sources() -> list[Source]:
    """Every bundled source, in an order where each one's context is already there."""
    root = data_dir()
    sources = [
        rdf_source(ontology_file(), graph=ONTOLOGY_GRAPH, kind="ontology"),
        rdf_source(shapes_file(), graph=SHAPES_GRAPH, kind="shapes"),
    ]
    tables = sorted((root / "reference").glob("*.toml"))
    sources += [csv_source(p, kind="reference") for p in tables]
    # Curated reference terms in Turtle (funding sources, programmes, statuses, ...).
    sources += [rdf_source(p, graph=GRAPH + "reference/" + p.stem, validate=True,
                           kind="reference") for p in sorted((root / "reference").glob("*.ttl"))]
    sources += [curated_source(p) for p in sorted((root / "seed").glob("*.ttl"))]
    return sources
