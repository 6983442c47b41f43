"""SPARQL the storage layer runs itself, kept as .rq files beside this module."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sparql(name: str) -> str:
    """The text of ``<name>.rq`` from this folder."""
    return resources.files(__name__).joinpath(f"{name}.rq").read_text(encoding="utf-8")
