"""The tillvaxtgraf ontology (OWL) and its SHACL shapes, as Turtle files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def ontology_file() -> Path:
    return Path(str(resources.files(__name__).joinpath("tillvaxtgraf.ttl")))


def shapes_file() -> Path:
    return Path(str(resources.files(__name__).joinpath("shapes.ttl")))
