"""RDF serialisation formats by name, file extension and media type."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".nt": "ntriples",
    ".ntriples": "ntriples",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}

ALIASES = {"nt": "ntriples", "nq": "nquads", "ttl": "turtle", "json-ld": "jsonld", "xml": "rdfxml"}


def format_by_name(name: str) -> ox.RdfFormat:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return FORMATS[key]
    except KeyError:
        raise LoadError(
            f"unknown RDF format {name!r}; known formats: {', '.join(FORMATS)}"
        ) from None


def format_for_path(path: Path, name: str | None = None) -> ox.RdfFormat:
    """The format named explicitly, else the one the file extension says."""
    if name:
        try:
            return format_by_name(name)
        except LoadError as exc:
            exc.source = str(path)
            raise
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in {".gz"}]
    for suffix in reversed(suffixes):
        if suffix in EXTENSIONS:
            return FORMATS[EXTENSIONS[suffix]]
    raise LoadError(
        f"unknown format: cannot tell the RDF format from the extension {path.suffix!r}; "
        f"use --format with one of {', '.join(FORMATS)}",
        source=str(path),
    )
