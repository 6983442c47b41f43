"""The bundled sources: curated seed facts and verified reference tables."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir() -> Path:
    return Path(str(resources.files(__name__)))
