"""Read access to the embedded store's current snapshot."""

from __future__ import annotations

import os

import pyoxigraph as ox

from tillvaxtgraf.store.snapshots import Snapshot, SnapshotDir


def ensure_snapshot(store_dir: str | os.PathLike[str]) -> Snapshot:
    """The current snapshot, creating an empty first one for a new store folder."""
    snapshots = SnapshotDir(store_dir)
    current = snapshots.current()
    if current is not None:
        return current
    with snapshots.lock():
        current = snapshots.current()
        if current is None:
            fresh = snapshots.begin()
            snapshots.publish(fresh)
            current = fresh
    return current


def open_read_only(store_dir: str | os.PathLike[str]) -> tuple[Snapshot, ox.Store]:
    snapshot = ensure_snapshot(store_dir)
    return snapshot, ox.Store.read_only(str(snapshot.path))

