"""Progress for long reads: a file wrapper that advances a progress bar by bytes read."""

from __future__ import annotations

import sys
from typing import BinaryIO

from tqdm import tqdm

SHOW_ABOVE_BYTES = 8 * 1024 * 1024


class ProgressReader:
    """Wraps a binary file; the parser reads through it, the bar follows."""

    def __init__(self, raw: BinaryIO, total: int, label: str, enabled: bool | None = None):
        self._raw = raw
        if enabled is None:
            enabled = total >= SHOW_ABOVE_BYTES
        self._bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            disable=not enabled,
            file=sys.stderr,
            mininterval=0.5,
        )

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data

    def readinto(self, buffer) -> int:  # noqa: ANN001 - buffer protocol object
        count = self._raw.readinto(buffer)
        self._bar.update(count or 0)
        return count

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> ProgressReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
