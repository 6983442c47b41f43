"""Snapshot folder rules that keep a store openable whatever step of a write fails."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.store.snapshots import SnapshotDir


def test_a_published_snapshot_is_never_discarded(tmp_path: Path) -> None:
    snapshots = SnapshotDir(tmp_path / "store")
    with snapshots.lock():
        first = snapshots.begin()
        ox.Store(str(first.path)).add(ox.Quad(ox.NamedNode("http://example.org/s"),
                                              ox.NamedNode("http://example.org/p"),
                                              ox.Literal("o")))
        snapshots.publish(first)
        # A failure after the pointer swap makes the loader clean up its snapshot:
        snapshots.discard(first)
    assert snapshots.current_name() == first.name
    assert len(ox.Store.read_only(str(snapshots.current().path))) == 1

    with snapshots.lock():
        second = snapshots.begin()
        snapshots.discard(second)
    assert not second.path.exists()
    assert snapshots.current_name() == first.name
