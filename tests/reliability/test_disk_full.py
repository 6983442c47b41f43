"""The disk fills up during a load: a clear error, and the store exactly as it was.

The store lives on a small tmpfs of its own (mounted by the test; CI runs as root). The
big load runs as the real CLI; at a chosen phase the loader is frozen (SIGSTOP), the rest
of the filesystem is filled with a ballast file, and the loader resumes into a full disk:
from the very start, during the bulk load, the optimize step, the search-index build, and
just before the publish. Where mounting is not allowed, the same moments are made by
lowering the frozen loader's file-size limit to nothing (RLIMIT_FSIZE, which fails writes
with EFBIG); one case always runs that way, so both paths stay tested and none skips.

Each case: exit status 1, one error line naming the problem and no traceback, the store
holding exactly the state before (all quads, the search index's answers), nothing left
behind, and the next loads — a small one, then the big one in the end — succeed. From the
optimize step on, what is left to write may fit in space the store already holds (RocksDB
preallocates its logs; the search index is built beside the bulk load and may be done):
there the load may also finish, and then it must have published the whole new state.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_support import (
    BIG_GRAPH,
    WatchedLoad,
    observe,
    unpublished,
    write_big,
    write_small,
)

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source

pytestmark = pytest.mark.slow

PROJECTS = 12_000  # 60 000 triples: the load goes through every phase, optimize included
DISK_BYTES = 64 << 20  # the load fits with room to spare, until the ballast fills it


def ignore_sigxfsz() -> None:
    """In the loader: a write past the file-size limit fails (EFBIG) instead of killing."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@dataclass
class SmallDisk:
    """A filesystem for the store that a test can fill up at any moment."""

    root: Path
    mounted: bool

    def fill(self, load: WatchedLoad) -> None:
        """Leave no room for the loader's next write (the loader is frozen meanwhile)."""
        if not self.mounted:
            resource.prlimit(load.proc.pid, resource.RLIMIT_FSIZE, (0, 0))
            return
        fd = os.open(self.root / "ballast", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (1 << 20, 4096, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * size)
        finally:
            os.close(fd)
        assert os.statvfs(self.root).f_bavail == 0

    def drain(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / "ballast").unlink()

    @property
    def problem(self) -> str:
        return ("no space left on the device that holds the store" if self.mounted
                else "grow past the file size limit")


def mount_tmpfs(folder: Path) -> bool:
    """Mount a small tmpfs at ``folder``; False where this machine does not allow it."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs",
                           str(folder)], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(params=["tmpfs", "file-size limit"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmallDisk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = request.param == "tmpfs" and mount_tmpfs(folder)
    try:
        yield SmallDisk(folder, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("disk-full-data") / "fault-big.nt"
    write_big(path, PROJECTS)
    return path


# The phase at whose start the disk fills up ("search index": the index's own build, beside
# the main line); where the disk must make the load fail, and where it may not.
PHASES = ["start", "bulk load", "optimize", "search index", "publish"]
MUST_FAIL = {"start", "bulk load", "search index"}


def test_disk_full_during_a_load(small_disk: SmallDisk, base_template: Path, big_file: Path,
                                 tmp_path: Path) -> None:
    store = Path(shutil.copytree(base_template, small_disk.root / "store"))
    # Under the file-size limit one moment is enough to test that path; on tmpfs, all.
    phases = PHASES if small_disk.mounted else ["bulk load"]
    failed, finished = [], []
    for number, phase in enumerate(phases):
        before = observe(store)
        load = WatchedLoad(store, (big_file,), ("--graph", BIG_GRAPH, "--force"),
                           preexec=ignore_sigxfsz)
        if phase != "start":
            load.wait_for(phase)
        assert load.freeze(), f"the load ended before {phase}:\n{load.log()}"
        small_disk.fill(load)
        load.resume()
        code = load.finish()
        small_disk.drain()

        output = load.log()
        errors = [line for line in output.splitlines() if line.startswith("error: ")]
        if code == 0 and phase not in MUST_FAIL:  # nothing left that needed new space
            now = observe(store)
            assert now.current == load.next_snapshot.name, output
            assert dict(now.search)["snabbväxt 120"], output
            assert unpublished(store) == set(), output
            finished.append(phase)
            # The big graph is in the store now, and old snapshots holding it wait to be
            # pruned: the next phase starts from the small store the others start from,
            # or its load may run out of room before the ballast is in.
            shutil.rmtree(store)
            shutil.copytree(base_template, store)
            continue
        assert code == 1, f"{phase}: exit status {code}\n{output}"
        assert "Traceback" not in output, output
        assert len(errors) == 1 and small_disk.problem in errors[0], output
        assert "the store is as it was" in errors[0] and str(store) in errors[0]
        assert observe(store) == before, f"{phase}: the store changed"
        assert unpublished(store) == set(), f"{phase}: the failed load left files"
        failed.append(phase)

        # Loadable afterwards.
        report = load_sources(store, [rdf_source(write_small(tmp_path / f"s{number}.nt",
                                                             f"disk{number}"))],
                              progress=False)
        assert report.snapshot == f"{int(before.current or 0) + 1:06d}"
        assert dict(observe(store).search)["mellanlast"]

    final = WatchedLoad(store, (big_file,), ("--graph", BIG_GRAPH, "--force"))
    assert final.finish() == 0, final.log()
    assert dict(observe(store).search)["snabbväxt 120"]
    print(f"disk full ({'tmpfs' if small_disk.mounted else 'RLIMIT_FSIZE'}) survived at: "
          f"{', '.join(failed)}; finished in the space held at: {', '.join(finished) or '-'}")
    assert sorted(failed + finished) == sorted(phases)
    assert MUST_FAIL & set(phases) <= set(failed)
