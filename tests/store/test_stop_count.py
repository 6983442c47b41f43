"""The server-wide count of queries stopped by the time limit (/healthz)."""

from __future__ import annotations

import multiprocessing
import os

from tillvaxtgraf.store.embedded_backend import StopCount


def test_a_count_made_before_a_fork_is_shared_with_the_children() -> None:
    count = StopCount()
    count.add()
    pid = os.fork()
    if pid == 0:  # the child adds to the parent's count, as a gunicorn worker does
        count.add()
        count.add()
        os._exit(0)
    os.waitpid(pid, 0)
    assert count.get() == 3


def test_without_shared_semaphores_each_process_counts_its_own(monkeypatch) -> None:  # noqa: ANN001
    def unavailable(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("function not implemented")

    monkeypatch.setattr(multiprocessing, "Value", unavailable)
    count = StopCount()
    count.add()
    count.add()
    assert count.shared is None and count.get() == 2
