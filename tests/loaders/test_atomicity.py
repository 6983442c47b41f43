"""A load is all or nothing, even under kill -9, and readers never see half of one.

Real processes: each load under test runs the real CLI in a subprocess, which is killed
with SIGKILL at different moments. The store folder must then hold exactly the state it
had before, open read-only, and take the next load, which sweeps the half-written copy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.store.embedded import open_read_only
from tillvaxtgraf.store.names import GRAPH, TG
from tillvaxtgraf.store.snapshots import SnapshotDir

BIG_TRIPLES = 400_000
MEDIUM_TRIPLES = 40_000
MEDIUM_GRAPH = GRAPH + "file/medium"
CLI = [sys.executable, "-c", "from tillvaxtgraf.cli import main; main()"]

pytestmark = pytest.mark.slow


def generate_projects(path: Path, projects: int) -> int:
    """Deterministic project data, four triples a project; returns the triple count."""
    project = "https://w3id.org/tillvaxtgraf/id/project/p"
    county = "https://w3id.org/tillvaxtgraf/id/county/"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    decimal = "<http://www.w3.org/2001/XMLSchema#decimal>"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(projects):
            s = f"<{project}{i}>"
            fh.write(
                f"{s} {rdf_type} <{TG}Project> .\n"
                f'{s} {label} "Tillväxtprojekt {i}"@sv .\n'
                f'{s} <{TG}amount> "{(i * 7919) % 1_000_000}.50"^^{decimal} .\n'
                f"{s} <{TG}inCounty> <{county}{i % 21 + 1:02d}> .\n"
            )
    return projects * 4


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that a load takes seconds: time to kill it at several moments."""
    path = tmp_path_factory.mktemp("big") / "big.nt"
    assert generate_projects(path, BIG_TRIPLES // 4) == BIG_TRIPLES
    return path


@pytest.fixture(scope="module")
def medium_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A load of a second or so: long enough to overlap with readers and other writers."""
    path = tmp_path_factory.mktemp("medium") / "medium.nt"
    assert generate_projects(path, MEDIUM_TRIPLES // 4) == MEDIUM_TRIPLES
    return path


def start_load(store_dir: Path, *files: Path) -> subprocess.Popen[bytes]:
    """A load in its own process; its output goes to ``<store>.log`` beside the store."""
    with open(f"{store_dir}.log", "ab") as log:
        return subprocess.Popen(
            [*CLI, "--store", str(store_dir), "load", "--no-progress", *map(str, files)],
            stdout=log, stderr=log,
        )


def output_of(store_dir: Path) -> str:
    return Path(f"{store_dir}.log").read_text(encoding="utf-8", errors="replace")


def run_load(store_dir: Path, *files: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, "--store", str(store_dir), "load", "--no-progress", *map(str, files)],
        capture_output=True, timeout=120, check=False,
    )


def snapshot_dirs(store_dir: Path) -> set[str]:
    """Numbers of the snapshots on disk (a snapshot's derived files count as the snapshot)."""
    folder = SnapshotDir(store_dir).snapshots
    return {p.name.split(".", 1)[0] for p in folder.iterdir()} if folder.is_dir() else set()


def folder_size(path: Path) -> int:
    total = 0
    for entry in path.rglob("*"):
        try:
            total += entry.stat().st_size
        except FileNotFoundError:  # RocksDB replaces files as it goes
            pass
    return total


def wait_until(proc: subprocess.Popen[bytes], condition: Callable[[], bool],
               limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert proc.poll() is None, "the load ended before the moment to kill it came"
        assert time.monotonic() < deadline, "the moment to kill the load never came"
        time.sleep(0.01)


def write_tiny(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.ttl"
    path.write_text(f'<http://example.org/{name}> <http://example.org/p> "{name}" .\n',
                    encoding="utf-8")
    return path


MOMENTS = ["0.2s", "0.5s", "1s", "snapshot-appears", "ingesting", "first-load"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill_9_leaves_the_previous_state(tmp_path: Path, big_file: Path, state, counts,
                                          moment: str) -> None:
    store_dir = tmp_path / "store"
    if moment != "first-load":
        load_sources(store_dir, [rdf_source(write_tiny(tmp_path, "before"))], progress=False)
    snapshots = SnapshotDir(store_dir)
    current = snapshots.current_name()
    before = state(store_dir) if current else {}
    before_counts = counts(store_dir) if current else {}
    next_name = f"{int(current or 0) + 1:06d}"
    unpublished = snapshots.snapshots / next_name

    proc = start_load(store_dir, big_file)
    try:
        started = time.monotonic()
        if moment.endswith("s") and moment[:-1].replace(".", "").isdigit():
            wait_until(proc, lambda: time.monotonic() - started >= float(moment[:-1]))
        elif moment in ("snapshot-appears", "first-load"):
            wait_until(proc, unpublished.is_dir)
        else:  # the bulk loader is writing its sorted files into the copy
            wait_until(proc, lambda: unpublished.is_dir() and folder_size(unpublished) > 16 << 20)
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # CURRENT is untouched and the published snapshot is byte for byte what it was.
    assert snapshots.current_name() == current
    after = state(store_dir)
    for key, digest in before.items():
        if key.startswith((f"snapshots/{current}/", f"snapshots/{current}.")) or key == "CURRENT":
            assert after.get(key) == digest, key
    leftovers = snapshot_dirs(store_dir) - {current}
    assert leftovers <= {next_name}
    if moment in ("snapshot-appears", "ingesting", "first-load"):
        assert leftovers == {next_name}  # killed with a half-written copy on disk

    # The store opens read-only and holds exactly the previous state.
    if current:
        snapshot, store = open_read_only(store_dir)
        assert snapshot.name == current
        assert counts(store_dir) == before_counts
        assert len(store) == sum(before_counts.values())
        del store

    # The next load succeeds, publishes the next number and sweeps the half-written copy.
    result = run_load(store_dir, write_tiny(tmp_path, "after"))
    assert result.returncode == 0, result.stderr.decode()
    assert snapshots.current_name() == next_name
    assert snapshot_dirs(store_dir) == {current, next_name} - {None}
    expected = dict(before_counts)
    expected[GRAPH + "file/after"] = 1
    got = counts(store_dir)
    assert got.pop(GRAPH + "metadata") > 0
    expected.pop(GRAPH + "metadata", None)
    assert got == expected


def test_a_reader_keeps_its_snapshot_while_a_load_publishes(tmp_path: Path, medium_file: Path,
                                                            counts) -> None:
    store_dir = tmp_path / "store"
    load_sources(store_dir, [rdf_source(write_tiny(tmp_path, "before"))], progress=False)
    old_snapshot, reader = open_read_only(store_dir)
    old_total = len(reader)
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

    def total() -> int:
        return int(next(iter(reader.query(query)))["n"].value)

    proc = start_load(store_dir, medium_file)
    answers = 0
    try:
        while proc.poll() is None:
            assert total() == old_total
            answers += 1
            time.sleep(0.05)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0, output_of(store_dir)
    assert answers > 5  # the reader really read while the writer wrote

    # Published: new readers see the new snapshot, the old reader still its own.
    new_snapshot, fresh = open_read_only(store_dir)
    assert new_snapshot.name != old_snapshot.name
    assert counts(store_dir)[MEDIUM_GRAPH] == MEDIUM_TRIPLES
    assert len(fresh) > old_total + MEDIUM_TRIPLES
    assert total() == old_total
    assert old_snapshot.path.is_dir()  # kept for readers still using it


def test_a_second_writer_waits_for_the_first(tmp_path: Path, medium_file: Path, counts) -> None:
    """Two loads at once: both succeed, one after the other, and neither loses the other."""
    store_dir = tmp_path / "store"
    first = start_load(store_dir, medium_file)
    try:
        wait_until(first, (SnapshotDir(store_dir).snapshots / "000001").is_dir)
        second = run_load(store_dir, write_tiny(tmp_path, "second"))
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0, output_of(store_dir)
    assert second.returncode == 0, second.stderr.decode()
    assert SnapshotDir(store_dir).current_name() == "000002"
    got = counts(store_dir)
    assert got[MEDIUM_GRAPH] == MEDIUM_TRIPLES
    assert got[GRAPH + "file/second"] == 1
