"""Length-prefixed frames over a pipe, with deadlines: how the service talks to workers.

A frame is one type byte, a 4-byte big-endian length, and the payload. Types:
``H`` header (JSON), ``D`` data bytes, ``E`` end of answer, ``X`` error (JSON).
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import BinaryIO

HEADER, DATA, END, ERROR = b"H", b"D", b"E", b"X"
_PREFIX = struct.Struct(">cI")
CHUNK = 64 * 1024


class DeadlineExceeded(Exception):
    """No frame arrived before the deadline."""


class PeerGone(Exception):
    """The other side closed the pipe (it died or was killed)."""


def write_frame(out: BinaryIO, kind: bytes, payload: bytes = b"") -> None:
    out.write(_PREFIX.pack(kind, len(payload)))
    if payload:
        out.write(payload)


def write_json(out: BinaryIO, kind: bytes, value: object) -> None:
    write_frame(out, kind, json.dumps(value).encode("utf-8"))


class FrameReader:
    """Reads frames from a file descriptor, giving up at a monotonic deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def _fill(self, need: int, deadline: float | None) -> None:
        while len(self.buffer) < need:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded()
                ready, _, _ = select.select([self.fd], [], [], remaining)
                if not ready:
                    raise DeadlineExceeded()
            data = os.read(self.fd, max(need - len(self.buffer), CHUNK))
            if not data:
                raise PeerGone()
            self.buffer += data

    def read(self, deadline: float | None) -> tuple[bytes, bytes]:
        self._fill(_PREFIX.size, deadline)
        kind, length = _PREFIX.unpack_from(self.buffer)
        self._fill(_PREFIX.size + length, deadline)
        payload = bytes(self.buffer[_PREFIX.size : _PREFIX.size + length])
        del self.buffer[: _PREFIX.size + length]
        return kind, payload


class ChunkWriter:
    """A file-like sink for serializers: gathers small writes into DATA frames."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.pending = bytearray()

    def write(self, data: bytes) -> int:
        self.pending += data
        if len(self.pending) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.pending:
            write_frame(self.out, DATA, bytes(self.pending))
            self.pending.clear()
            self.out.flush()
