"""Immutable store snapshots on disk, published by an atomic pointer swap.

Why: pyoxigraph's bulk loader is not transactional, and opening a store read-only while
another process writes it is undefined behaviour. So nobody ever writes a published
snapshot. A writer checkpoints the current snapshot (RocksDB hard links: milliseconds),
changes the copy, and publishes it by replacing the ``CURRENT`` file atomically. Readers
see the old snapshot or the new one, never half a load; a writer killed at any point
leaves ``CURRENT`` untouched, and its unpublished copy is swept by the next writer.

Layout of a store folder::

    CURRENT              name of the published snapshot, e.g. "000007"
    snapshots/000007/    a pyoxigraph store, never written after publication
    snapshots/000007.search.sqlite   derived files published together with it
    write.lock           held by the one writer at a time
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.errors import StoreBusy, StoreUnavailable

log = logging.getLogger(__name__)

POINTER = "CURRENT"
SNAPSHOTS = "snapshots"
LOCK = "write.lock"
KEEP_SNAPSHOTS = 3
GRACE_SECONDS = 300.0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its name and folder."""

    name: str
    path: Path

    def derived(self, suffix: str) -> Path:
        """Path of a derived file that belongs to this snapshot (e.g. the search index)."""
        return self.path.parent / f"{self.name}.{suffix}"


class SnapshotDir:
    """A store folder holding snapshots; the only code that touches its layout."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._pointer_cache: tuple[tuple[int, int, int], str | None] | None = None

    @property
    def snapshots(self) -> Path:
        return self.root / SNAPSHOTS

    def current_name(self) -> str | None:
        """The published snapshot's name; re-read only when the pointer file changed
        (a publish replaces it, so its inode changes): one stat per request."""
        return self.pointer()[1]

    def pointer(self) -> tuple[tuple[int, int, int] | None, str | None]:
        """The pointer file's identity (inode, mtime, size) and the name it holds.

        The identity tells two publications apart even if a store folder is made anew
        and its snapshot numbers start again; (None, None) while nothing is published.
        """
        pointer = os.path.join(self.root, POINTER)
        try:
            stat = os.stat(pointer)
        except FileNotFoundError:
            return None, None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._pointer_cache
        if cached is not None and cached[0] == key:
            return cached
        try:
            with open(pointer, encoding="ascii") as fh:
                name = fh.read().strip() or None
        except FileNotFoundError:
            return None, None
        self._pointer_cache = (key, name)
        return key, name

    def current(self) -> Snapshot | None:
        name = self.current_name()
        if name is None:
            return None
        path = self.snapshots / name
        if not path.is_dir():
            raise StoreUnavailable(
                f"the store's CURRENT file names snapshot {name!r}, which does not exist",
                source=str(self.root),
            )
        return Snapshot(name, path)

    def exists(self) -> bool:
        return self.current_name() is not None

    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 600.0) -> Iterator[None]:
        """Hold the single-writer lock; waits for another writer, then gives up clearly."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / LOCK, "a+b")  # noqa: SIM115 - held for the block
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusy(
                            "another process is writing to this store",
                            source=str(self.root),
                            hint="wait for it to finish",
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            handle.close()

    def _next_name(self) -> str:
        self.snapshots.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name) for p in self.snapshots.iterdir() if p.is_dir() and p.name.isdigit()]
        return f"{max(numbers, default=0) + 1:06d}"

    def sweep_unpublished(self) -> None:
        """Remove copies left by writers that died before publishing (lock held)."""
        if not self.snapshots.is_dir():
            return
        current = self.current_name()
        current_no = int(current) if current else 0
        for entry in self.snapshots.iterdir():
            number = entry.name.split(".", 1)[0]
            if number.isdigit() and int(number) > current_no:
                log.info("removing unpublished snapshot left by an interrupted write: %s", entry)
                _remove(entry)

    def begin(self) -> Snapshot:
        """Make a private writable copy of the current snapshot (lock held)."""
        self.sweep_unpublished()
        name = self._next_name()
        path = self.snapshots / name
        current = self.current()
        if current is None:
            ox.Store(str(path))
        else:
            source = ox.Store.read_only(str(current.path))
            source.backup(str(path))
            del source
        return Snapshot(name, path)

    def publish(self, snapshot: Snapshot) -> None:
        """Make ``snapshot`` the current one: the one atomic step of every write."""
        for entry in [snapshot.path, *snapshot.path.parent.glob(f"{snapshot.name}.*")]:
            if entry.is_file():
                with open(entry, "rb") as fh:
                    os.fsync(fh.fileno())
        _fsync_dir(snapshot.path)
        _fsync_dir(self.snapshots)
        tmp = self.root / (POINTER + ".tmp")
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(snapshot.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)
        try:
            self._collect_old()
        except OSError as exc:  # published already; old snapshots go at the next write
            log.warning("could not remove old snapshots: %s", exc)

    def discard(self, snapshot: Snapshot) -> None:
        """Delete an unpublished snapshot; one that CURRENT already names is kept (a step
        after the pointer swap may fail, and the store must stay openable)."""
        if self.current_name() == snapshot.name:
            log.warning("not discarding snapshot %s: it is already published", snapshot.name)
            return
        for entry in [snapshot.path, *snapshot.path.parent.glob(f"{snapshot.name}.*")]:
            _remove(entry)

    def _collect_old(self) -> None:
        """Delete snapshots readers can no longer be using: keep the newest few, and
        any replaced less than GRACE_SECONDS ago (a reader may still be mid-query)."""
        names = sorted(p.name for p in self.snapshots.iterdir() if p.is_dir() and p.name.isdigit())
        now = time.time()
        for older, newer in zip(names[:-KEEP_SNAPSHOTS], names[1:-KEEP_SNAPSHOTS + 1], strict=True):
            replaced_at = (self.snapshots / newer).stat().st_mtime
            if now - replaced_at < GRACE_SECONDS:
                continue
            for entry in self.snapshots.glob(f"{older}*"):
                _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
