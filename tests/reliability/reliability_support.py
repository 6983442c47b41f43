"""Helpers for the fault tests: generated data, a store's whole observable state, and a
``tillvaxtgraf load`` subprocess watched phase by phase.

The state of a store, for "nothing was lost and nothing half-done is visible", is what a
reader can observe: the published snapshot's name, every quad of every graph (sorted
N-Quads, via ``service_support.store_state``) and the answers of its search index.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from service_support import cli_command, store_state

from tillvaxtgraf.search.builder import INDEX_FILE
from tillvaxtgraf.search.index import SearchIndex
from tillvaxtgraf.store.derived import DERIVED_SUFFIX
from tillvaxtgraf.store.names import GRAPH, ID, RDF, SKOS, TG, XSD
from tillvaxtgraf.store.snapshots import SnapshotDir

BASE_GRAPH = GRAPH + "file/fault-base"
BIG_GRAPH = GRAPH + "file/fault-big"
# Words the search index must answer for: the base's actors, the old and the new
# version of the big graph (absent before the big load), and the small loads' names.
SEARCHES = ("aktör", "aktör 17 göteborg", "gammalt projekt", "snabbväxt", "snabbväxt 120",
            "mellanlast")


def write_base(path: Path, actors: int = 300) -> Path:
    """The state before the big load: named actors with Swedish labels (searchable)."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(actors):
            s = f"<{ID}actor/fault-{i}>"
            town = ("Göteborg", "Malmö", "Umeå", "Östersund")[i % 4]
            out.write(f"{s} <{RDF}type> <{TG}Actor> .\n"
                      f'{s} <{SKOS}prefLabel> "Aktör {i} {town}"@sv .\n'
                      f"{s} <{TG}partner> <{ID}actor/fault-{(i * 7) % actors}> .\n")
    return path


def write_old_big(path: Path, projects: int = 200) -> Path:
    """The big graph's old version: the big load must replace it, all or nothing."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(projects):
            s = f"<{ID}project/fault-old-{i}>"
            out.write(f"{s} <{RDF}type> <{TG}Project> .\n"
                      f'{s} <{SKOS}prefLabel> "Gammalt projekt {i}"@sv .\n')
    return path


def write_big(path: Path, projects: int) -> int:
    """The big load's file: five triples a project, one in ten named and typed (so the
    search index has work to do, but not most of the load's time); returns triples."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(projects):
            s = f"<{ID}project/fault-{i}>"
            if i % 10 == 0:
                out.write(f"{s} <{RDF}type> <{TG}Project> .\n"
                          f'{s} <{SKOS}prefLabel> "Snabbväxt {i}"@sv .\n')
            else:
                out.write(f'{s} <{TG}startYear> "{2014 + i % 12}"^^<{XSD}gYear> .\n'
                          f'{s} <http://purl.org/dc/terms/identifier> "F-{i}" .\n')
            out.write(f'{s} <{TG}amount> "{i * 7919 % 100_000}.5"^^<{XSD}decimal> .\n'
                      f"{s} <{TG}inCounty> <{ID}county/{i % 21 + 1:02d}> .\n"
                      f"{s} <{TG}partner> <{ID}project/fault-{i * 31 % projects}> .\n")
    return projects * 5


def write_small(path: Path, tag: str) -> Path:
    """A small load of its own graph (``…/graph/file/<stem>``), with a searchable name."""
    path.write_text(f'<{ID}actor/{tag}> <{RDF}type> <{TG}Actor> .\n'
                    f'<{ID}actor/{tag}> <{SKOS}prefLabel> "Mellanlast {tag}"@sv .\n',
                    encoding="utf-8")
    return path


@dataclass(frozen=True)
class State:
    """What readers of a store folder can observe."""

    current: str | None
    quads: bytes
    search: tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...]

    def without_metadata(self) -> bytes:
        """The quads outside the metadata graph (load times differ from run to run)."""
        return b"\n".join(q for q in self.quads.split(b"\n")
                          if not q.endswith(f"<{GRAPH}metadata> .".encode()))


def search_answers(store: Path) -> tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...]:
    current = SnapshotDir(store).current()
    if current is None:
        return ()
    index = SearchIndex(current.derived(DERIVED_SUFFIX) / INDEX_FILE)
    try:
        return tuple((q, tuple((h.iri, h.label, h.score) for h in index.search(q, limit=10)))
                     for q in SEARCHES)
    finally:
        index.close()


def observe(store: Path) -> State:
    """The store's whole observable state (opening the snapshot read-only proves it opens)."""
    current, quads = store_state(store)
    return State(current, quads, search_answers(store))


def unpublished(store: Path) -> set[str]:
    """Snapshot folders and files newer than the published one: what a dead writer left."""
    root = SnapshotDir(store)
    number = int(root.current_name() or 0)
    if not root.snapshots.is_dir():
        return set()
    return {p.name for p in root.snapshots.iterdir()
            if p.name.split(".", 1)[0].isdigit() and int(p.name.split(".", 1)[0]) > number}


# -- a load subprocess, watched ---------------------------------------------------------

# Log lines of ``tillvaxtgraf -v load`` that start each phase, in order.
PHASE_LINES = (
    ("optimize", "optimizing the store after loading"),
    ("metadata", "tillvaxtgraf.loaders.load: loaded "),
    ("waiting for the index", "waiting for search in"),
    ("publish", "publishing snapshot"),
    # The search index is built beside the main line, from the file it bulk-loads: its
    # build starts once the file is read and ends with its summary line.
    ("search index", "search index: read "),
    ("search index done", " entities, "),
)
INDEX_PHASES = ("search index", "search index done")


RUNNING: list[WatchedLoad] = []  # killed at each test's end if still there (conftest)


@dataclass
class WatchedLoad:
    """``tillvaxtgraf -v load`` in its own process, with the moments each phase began.

    Phases: "start" (interpreter, imports, lock), "bulk load" (from the moment the new
    snapshot's folder appears: checkpoint, parse and bulk load), then those of
    PHASE_LINES, read from its log as it writes it.
    """

    store: Path
    files: tuple[Path, ...]
    extra_args: tuple[str, ...] = ()
    preexec: object = None
    proc: subprocess.Popen = field(init=False)
    started: float = field(init=False)
    phases: dict[str, float] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.next_snapshot = SnapshotDir(self.store).snapshots / \
            f"{int(SnapshotDir(self.store).current_name() or 0) + 1:06d}"
        self.started = time.monotonic()
        self.phases["start"] = 0.0
        self.proc = subprocess.Popen(
            [*cli_command(), "-v", "--store", str(self.store), "load", "--no-progress",
             *self.extra_args, *map(str, self.files)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=self.preexec,  # type: ignore[arg-type]
        )
        RUNNING.append(self)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            now = time.monotonic() - self.started
            self.output.append(line)
            for phase, words in PHASE_LINES:
                if phase not in self.phases and words in line:
                    self.phases[phase] = now
                    break
        self.proc.stderr.close()

    def poll_phases(self) -> None:
        if "bulk load" not in self.phases and self.next_snapshot.is_dir():
            self.phases["bulk load"] = time.monotonic() - self.started

    def phase(self) -> str:
        """Where the load is: building the search index while that runs (beside the
        main line), else the main line's latest phase."""
        self.poll_phases()
        if "search index" in self.phases and "search index done" not in self.phases \
                and "publish" not in self.phases:
            return "search index"
        return max((p for p in self.phases if p not in INDEX_PHASES),
                   key=lambda p: self.phases[p])

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait_for(self, phase: str, limit: float = 120.0) -> float:
        """Wait until ``phase`` has begun (or the load ended); returns its start time."""
        deadline = time.monotonic() + limit
        while phase not in self.phases:
            self.poll_phases()
            if self.proc.poll() is not None:
                self._reader.join(timeout=10)
                if phase in self.phases:
                    break
                raise AssertionError(f"the load ended before {phase!r}:\n{self.log()}")
            assert time.monotonic() < deadline, f"{phase!r} never came:\n{self.log()}"
            time.sleep(0.002)
        return self.phases[phase]

    def wait_for_commit(self, limit: float = 120.0) -> None:
        """Wait until the loader is swapping CURRENT: its temporary file is there, or
        the swap is done (whichever is seen first)."""
        root = SnapshotDir(self.store)
        pointer_tmp = root.root / "CURRENT.tmp"
        deadline = time.monotonic() + limit
        while not pointer_tmp.exists() and root.current_name() != self.next_snapshot.name:
            assert self.proc.poll() is None, f"the load ended unseen:\n{self.log()}"
            assert time.monotonic() < deadline, f"no commit came:\n{self.log()}"
            time.sleep(0.0002)

    def wait_until(self, seconds: float, unless: str | None = None) -> None:
        """Wait until ``seconds`` after the start, or until phase ``unless`` begins."""
        while self.elapsed() < seconds and self.proc.poll() is None:
            self.poll_phases()
            if unless is not None and unless in self.phases:
                return
            time.sleep(0.002)

    def freeze(self) -> bool:
        """SIGSTOP: the loader stands still where it is. False if it had already ended."""
        if self.proc.poll() is not None:
            return False
        os.kill(self.proc.pid, signal.SIGSTOP)
        return True

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def finish(self, limit: float = 300.0) -> int:
        code = self.proc.wait(timeout=limit)
        self._reader.join(timeout=10)
        return code

    def log(self) -> str:
        return "".join(self.output)
