"""Read access to the embedded store's current snapshot."""

from __future__ import annotations

import os

import pyoxigraph as ox

from tillvaxtgraf.errors import StoreUnavailable
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


def existing_snapshot(store_dir: str | os.PathLike[str]) -> Snapshot:
    """The current snapshot of a store that must exist: for reading commands, a mistyped
    store folder is an error, not a new empty store left behind."""
    snapshot = SnapshotDir(store_dir).current()
    if snapshot is None:
        raise StoreUnavailable(
            "no store here: load data first ('tillvaxtgraf load') or point --store / "
            "TILLVAXTGRAF_STORE at an existing store folder", source=str(store_dir))
    return snapshot


def open_read_only(store_dir: str | os.PathLike[str]) -> tuple[Snapshot, ox.Store]:
    snapshot = existing_snapshot(store_dir)
    return snapshot, ox.Store.read_only(str(snapshot.path))

