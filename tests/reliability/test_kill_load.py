"""kill -9 of ``tillvaxtgraf load`` at 20 points spread over a load's phases.

One store takes twenty attempts at the same big load (60 000 triples that replace an
older version of their graph), each killed with SIGKILL at a different point: during
start-up, at ten moments of the parse and bulk load, in the optimize step, while the
provenance is written, at four moments of the search-index build (which runs beside the
bulk load and the steps after it), just before the publish and right at the swap of
``CURRENT``. Each point is a phase's start seen in the
loader's own log (or its new snapshot folder appearing) plus a fraction of that phase's
length in the first attempt, so the points follow the phases however fast the machine is.

After every kill the store must hold exactly the state before the load (every quad of
every graph, the search index's answers, the published snapshot's name) — or, had the
kill come after the swap, exactly the whole new state — and the next load must succeed
and sweep whatever the dead writer left. In the end the big load itself runs to
completion on the store that survived the twenty kills.

tests/loaders/test_atomicity.py kills at six moments and compares the folder byte for
byte; this test covers the phases one by one and compares what readers see.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from reliability_support import (
    BIG_GRAPH,
    State,
    WatchedLoad,
    observe,
    unpublished,
    write_big,
    write_small,
)

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.store.names import GRAPH

pytestmark = pytest.mark.slow

PROJECTS = 12_000  # 60 000 triples: above the size at which the loader optimizes
# (phase, fraction of the phase's length in the first attempt); "commit" is the swap.
POINTS = [
    ("publish", 0.0),  # first: this attempt measures the phases for the others
    ("start", 0.5),
    *[("bulk load", f / 10) for f in range(10)],
    ("optimize", 0.0), ("optimize", 0.5),
    ("metadata", 0.0),
    *[("search index", f) for f in (0.0, 0.3, 0.6, 0.85)],
    ("commit", 0.0),
]
# The main line's phases in order; the search index is built beside them (from the file
# the loader bulk-loads), from its "search index" mark to its "search index done".
ORDER = ["start", "bulk load", "optimize", "metadata", "waiting for the index", "publish"]


def big_quads(path: Path) -> list[bytes]:
    """The big graph as the load must publish it, as sorted N-Quads lines."""
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(BIG_GRAPH))
    return sorted(store.dump(format=ox.RdfFormat.N_QUADS).splitlines())


def in_graph(quads: bytes, graph: str) -> bool:
    return quads.endswith(f"<{graph}> .".encode())


def whole_new_state(before: State, new_big: list[bytes]) -> bytes:
    """``before`` with the big graph replaced by the file's triples (metadata aside)."""
    kept = [q for q in before.without_metadata().split(b"\n") if q and not in_graph(q, BIG_GRAPH)]
    return b"\n".join(sorted(kept + new_big))


def kill_at(load: WatchedLoad, phase: str, fraction: float, lengths: dict[str, float]
            ) -> str | None:
    """Freeze the loader at the point (at the latest when the next phase begins), then
    kill -9 it; returns the phase it was in, None if it had finished before."""
    if phase == "commit":
        load.wait_for("publish")
        load.wait_for_commit()
    else:
        begun = load.wait_for(phase)
        if phase == "search index":
            after = "search index done"
        else:
            after = ORDER[ORDER.index(phase) + 1] if phase != ORDER[-1] else None
        load.wait_until(begun + fraction * lengths.get(phase, 0.0), unless=after)
    if not load.freeze():
        assert load.finish() == 0, load.log()
        return None
    landed = load.phase()
    load.kill()
    return landed


def test_kill_9_at_twenty_points(base_store: Path, tmp_path: Path) -> None:
    big = tmp_path / "fault-big.nt"
    triples = write_big(big, PROJECTS)
    new_big = big_quads(big)
    assert len(new_big) == triples
    began = time.monotonic()
    lengths: dict[str, float] = {}
    landed: Counter[str] = Counter()
    after_swap = 0
    before = observe(base_store)

    attempts = [(phase, fraction, 0) for phase, fraction in POINTS]
    for number, (phase, fraction, tries) in enumerate(attempts):
        load = WatchedLoad(base_store, (big,), ("--graph", BIG_GRAPH, "--force"))
        where = kill_at(load, phase, fraction, lengths)
        if where is None:  # done before the kill came (only a swap is that close to the
            assert tries < 2, f"the load kept finishing before the kill at {phase}"  # end)
            attempts.append((phase, fraction, tries + 1))
        else:
            landed[where] += 1
        point = f"attempt {number}: kill at {phase} +{fraction:.2f} (landed in {where})"
        if not lengths:  # the first attempt ran up to the publish: its phases' lengths
            starts = [load.phases[p] for p in ORDER]
            lengths = {p: b - a for p, a, b in zip(ORDER, starts, starts[1:], strict=False)}
            # (the main line may find the index done: its wait can take no time at all)
            lengths["search index"] = (load.phases["search index done"]
                                       - load.phases["search index"])
            assert all(v > 0 for p, v in lengths.items() if p != "waiting for the index"), \
                (lengths, load.log())

        now = observe(base_store)
        if now.current == before.current:
            assert now == before, f"{point}: the store changed"
        else:  # killed after the swap (or done): the load was whole, and it is all there
            after_swap += where is not None
            assert now.without_metadata() == whole_new_state(before, new_big), point
            assert any(hits for q, hits in now.search if q == "snabbväxt 120"), point
        assert unpublished(base_store) <= {load.next_snapshot.name,
                                           load.next_snapshot.name + ".derived"}, point

        # The next load succeeds, publishes, and sweeps what the dead writer left.
        small = write_small(tmp_path / f"small-{number}.nt", f"s{number}")
        report = load_sources(base_store, [rdf_source(small)], progress=False)
        assert report.snapshot == f"{int(now.current or 0) + 1:06d}", point
        assert unpublished(base_store) == set(), point
        after = observe(base_store)
        added = set(after.without_metadata().split(b"\n")) - set(now.without_metadata()
                                                                   .split(b"\n"))
        assert {q for q in added if not in_graph(q, GRAPH + f"file/small-{number}")} == set()
        assert len(added) == 2, point
        assert dict(after.search)["mellanlast"], point
        before = after

    # The big load itself succeeds on the store that survived the kills.
    final = WatchedLoad(base_store, (big,), ("--graph", BIG_GRAPH, "--force"))
    assert final.finish() == 0, final.log()
    done = observe(base_store)
    assert done.without_metadata() == whole_new_state(before, new_big)
    assert dict(done.search)["snabbväxt 120"][0][1] == "Snabbväxt 120"
    assert unpublished(base_store) == set()

    kills = sum(landed.values())
    print(f"{kills} kill -9 points survived in {time.monotonic() - began:.0f} s "
          f"({kills - after_swap} before the swap, {after_swap} after it); "
          f"phases hit: {dict(landed)}; phase lengths: "
          f"{ {p: round(v, 2) for p, v in lengths.items()} }")
    assert kills == 20
    assert kills - after_swap >= 18  # nearly all really interrupted the load
    assert {"bulk load", "optimize", "search index", "publish"} <= set(landed)
