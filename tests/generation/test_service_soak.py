"""Soak: one long-lived service runs many batches, some overlapping, some cancelled; threads,
file descriptors and worker processes stay bounded and every batch accounts for every shot."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from storyboard_app.generation.service import GenerationService


def open_fds() -> int:
    fd_dir = Path("/proc/self/fd")
    return len(list(fd_dir.iterdir())) if fd_dir.is_dir() else 0


@pytest.mark.slow
def test_many_batches_on_one_service_leak_nothing(make_document, fake_generator):
    doc = make_document(["a", "b", "c", "steady d"], generator=fake_generator)
    shots = doc.project.all_shots()
    with GenerationService(doc.paths.root) as service:
        first = service.start(service.plan(doc.project, shots[:1], reroll=True))
        assert first.wait(60)
        threads, fds = threading.active_count(), open_fds()
        for round_ in range(30):
            a = service.start(service.plan(doc.project, shots[:2], reroll=True), jobs=2)
            b = service.start(service.plan(doc.project, shots[2:], reroll=True), jobs=2)
            if round_ % 5 == 4:
                b.cancel()
            assert a.wait(120) and b.wait(120)
            assert [o.outcome for o in a.results] == ["generated", "generated"]
            assert len(b.results) == 2 and {o.outcome for o in b.results} <= {"generated", "cancelled"}
            workers = service._executor._workers
            assert len(workers) <= 4, "idle workers pile up"
        assert threading.active_count() <= threads + 2
        if fds:
            assert open_fds() <= fds + 8
        pids = [w.process.pid for w in service._executor._workers]
    assert pids and not any(_alive(pid) for pid in pids)
    assert not [p for p in doc.paths.root.rglob("*") if ".part" in p.name]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rpartition(")")[2].split()[:1] == ["Z"])
