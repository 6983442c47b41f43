"""Length-prefixed frames over a pipe, with deadlines: how the service talks to workers.

A frame is one type byte, a 4-byte big-endian length, and the payload. Types:
``H`` header (JSON), ``D`` data bytes, ``E`` end of answer, ``X`` error (JSON).

Answer bytes are the bulk of what crosses (a 1 M-row CSV answer is 120 MB), so they are
copied as little as Python allows: the worker hands the serializer's pieces to one
``writev`` per frame, and the service reads a frame's payload straight into the
``bytes`` it passes on, in the pieces the pipe gives (``FrameReader.piece``), never
gathering a frame first.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import time
from typing import BinaryIO

HEADER, DATA, END, ERROR = b"H", b"D", b"E", b"X"
_PREFIX = struct.Struct(">cI")
# The serializer's pieces (8 KiB from pyoxigraph) gathered into frames of about this size.
FRAME_BYTES = 256 * 1024
# A header read takes at most this much beyond the frame's prefix (a small answer whole;
# of a big one, a little that is then copied once).
SMALL_READ = 8 * 1024
# Pipes widened to this (Linux's default unprivileged maximum): fewer wake-ups per frame.
PIPE_BYTES = 1024 * 1024
_IOV_MAX = 512


class DeadlineExceeded(Exception):
    """No frame arrived before the deadline."""


class PeerGone(Exception):
    """The other side closed the pipe (it died or was killed)."""


def widen_pipe(fd: int) -> int:
    """Make the pipe hold ``PIPE_BYTES`` if the system allows; returns its size."""
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (OSError, AttributeError):  # over the user's pipe quota, or not Linux
        try:
            return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except (OSError, AttributeError):
            return 64 * 1024


def write_frame(out: BinaryIO, kind: bytes, payload: bytes = b"") -> None:
    out.write(_PREFIX.pack(kind, len(payload)))
    if payload:
        out.write(payload)


def write_json(out: BinaryIO, kind: bytes, value: object) -> None:
    write_frame(out, kind, json.dumps(value).encode("utf-8"))


def _write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    """``writev`` until every part is written (a signal may cut a write short)."""
    while parts:
        written = os.writev(fd, parts[:_IOV_MAX])
        while parts and written >= len(parts[0]):
            written -= len(parts[0])
            parts.pop(0)
        if written:
            parts[0] = memoryview(parts[0])[written:]


class FrameReader:
    """Reads frames from a file descriptor, giving up at a monotonic deadline."""

    def __init__(self, fd: int, read_size: int = PIPE_BYTES) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.read_size = read_size  # the most one read of a payload asks for

    def _wait(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded()
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                raise DeadlineExceeded()

    def _fill(self, need: int, deadline: float | None) -> None:
        while len(self.buffer) < need:
            self._wait(deadline)
            data = os.read(self.fd, max(need - len(self.buffer), SMALL_READ))
            if not data:
                raise PeerGone()
            self.buffer += data

    def header(self, deadline: float | None) -> tuple[bytes, int]:
        """The next frame's type and payload length (the payload is read next)."""
        self._fill(_PREFIX.size, deadline)
        kind, length = _PREFIX.unpack_from(self.buffer)
        del self.buffer[: _PREFIX.size]
        return kind, length

    def payload(self, length: int, deadline: float | None) -> bytes:
        """A whole payload of ``length`` bytes (for the small JSON frames)."""
        self._fill(length, deadline)
        payload = bytes(self.buffer[:length])
        del self.buffer[:length]
        return payload

    def piece(self, limit: int, deadline: float | None) -> bytes:
        """The next 1 to ``limit`` bytes of a payload: what the pipe holds, read once."""
        if self.buffer:
            data = bytes(self.buffer[:limit])
            del self.buffer[: len(data)]
            return data
        self._wait(deadline)
        data = os.read(self.fd, min(limit, self.read_size))
        if not data:
            raise PeerGone()
        return data

    def read(self, deadline: float | None) -> tuple[bytes, bytes]:
        kind, length = self.header(deadline)
        return kind, self.payload(length, deadline)


class ChunkWriter:
    """A file-like sink for serializers: their pieces go out as DATA frames of about
    ``FRAME_BYTES``, each written with one ``writev`` (the pieces are not joined)."""

    def __init__(self, out: BinaryIO, frame_bytes: int = FRAME_BYTES) -> None:
        self.out = out
        self.fd = out.fileno()
        self.frame_bytes = frame_bytes
        self.pieces: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        size = len(data)
        if size:
            self.pieces.append(bytes(data) if type(data) is not bytes else data)
            self.size += size
            if self.size >= self.frame_bytes or len(self.pieces) >= _IOV_MAX - 1:
                self.flush()
        return size

    def flush(self) -> None:
        if self.pieces:
            self.out.flush()  # what was written through ``out`` goes first
            parts: list[bytes | memoryview] = [_PREFIX.pack(DATA, self.size)]
            parts.extend(self.pieces)
            self.pieces = []
            self.size = 0
            _write_all(self.fd, parts)
