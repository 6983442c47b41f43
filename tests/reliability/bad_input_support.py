"""Shared by the bad-input tests: what every answer to bad input must be (a 4xx or a
good answer, with a message, without a traceback or a path), and "nothing changed"
(the store's CURRENT pointer and its sorted N-Quads, before and after)."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from service_support import store_state

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source

REPO = Path(__file__).resolve().parents[2]
# What a traceback or a leaked path of this machine looks like in an answer (the paths
# are concrete, so input that an error message quotes back does not count).
LEAKS = re.compile("|".join(re.escape(s) for s in (
    "Traceback (most recent call last)", 'File "/', "site-packages", str(REPO),
    sys.prefix, tempfile.gettempdir() + "/", str(Path.home()) + "/")))


def check_answer(response, allowed: frozenset[int] | None = None) -> None:  # noqa: ANN001
    """No 5xx; an error names its problem in a message, and shows no traceback or path."""
    status = response.status_code
    body = response.get_data()
    assert status < 500, f"{status}: {body[:500]!r}"
    if allowed is not None:
        assert status in allowed, f"{status} not in {sorted(allowed)}: {body[:300]!r}"
    if status < 400:
        return
    text = body.decode("utf-8", errors="replace")
    assert not LEAKS.search(text), f"an error body leaks internals: {text[:500]}"
    if response.mimetype == "application/json":
        message = json.loads(text)["message"]
    else:
        message = text
    if response.request.method != "HEAD":
        assert message.strip(), f"{status} without a message"


def unchanged(store: Path, before: tuple[str | None, bytes]) -> None:
    after = store_state(store)
    assert after[0] == before[0], f"CURRENT moved: {before[0]} -> {after[0]}"
    assert after[1] == before[1], "the store's quads changed"


def one_triple_store(root: Path) -> Path:
    """A store in ``root / "store"`` holding one small graph: the target of bad files."""
    (root / "start.nt").write_text('<http://example.org/s> <http://example.org/p> "1" .\n',
                                   encoding="utf-8")
    load_sources(root / "store", [rdf_source(root / "start.nt")], progress=False)
    return root


def load_or_refuse(store: Path, path: Path, graph: str) -> LoadError | None:
    """Load ``path`` into ``graph``; a refusal must name the file and its problem and
    leave the store exactly as it was. Returns the refusal (None: loaded)."""
    before = store_state(store)
    try:
        load_sources(store, [rdf_source(path, graph=graph)], progress=False, force=True)
    except LoadError as exc:
        unchanged(store, before)
        assert exc.source == str(path), exc
        assert exc.message.strip()
        return exc
    return None
