"""One long-lived service per project: batches that overlap, GPU jobs across batches, a batch
thread that fails, setup errors, stale partial files, and the scheduler's portable wake-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from storyboard_app.generation import jobs as jobs_module
from storyboard_app.generation.cache import ClipCache
from storyboard_app.generation.registry import register_generator, unregister_generator
from storyboard_app.generation.service import GenerationService, generate_shots
from storyboard_app.model import TakeStatus


def partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".part" in p.name]


def wait_for(condition, timeout: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def gpu_generator():
    register_generator("fakegpu", "fake_generators:FakeGpuGenerator")
    yield "fakegpu"
    unregister_generator("fakegpu")


def test_two_batches_at_once_both_succeed_and_neither_deletes_the_others_partial(make_document, fake_generator):
    doc = make_document(["steady a", "steady b", "steady c", "steady d"], generator=fake_generator)
    shots = doc.project.all_shots()
    with GenerationService(doc.paths.root) as service:
        first = service.start(service.plan(doc.project, shots[:2]))
        wait_for(lambda: partials(doc.paths.cache))  # the first batch is writing its clips
        second = service.start(service.plan(doc.project, shots[2:]))  # a second Generate click
        assert first.wait(120) and second.wait(120)
    outcomes = {o.shot_id: (o.outcome, o.error) for o in first.results + second.results}
    assert outcomes == {s.id: ("generated", "") for s in shots}
    assert partials(doc.paths.root) == []


def test_gpu_jobs_never_overlap_across_batches_and_reuse_one_worker(make_document, gpu_generator, tmp_path):
    doc = make_document(["a", "b", "c", "d"], generator=gpu_generator)
    log = tmp_path / "gpu.log"
    doc.project.generator_settings[gpu_generator] = {"log": str(log)}
    shots = doc.project.all_shots()
    with GenerationService(doc.paths.root) as service:
        batches = [service.start(service.plan(doc.project, shots[:2]), jobs=4),
                   service.start(service.plan(doc.project, shots[2:]), jobs=4)]
        assert all(b.wait(120) for b in batches)
        assert [o.outcome for b in batches for o in b.results] == ["generated"] * 4
    runs = sorted((float(start), float(end), pid) for pid, start, end in
                  (line.split() for line in log.read_text().splitlines()))
    assert len(runs) == 4
    for (_, end, _), (start, _, _) in zip(runs, runs[1:], strict=False):
        assert start >= end, "two GPU jobs ran at once"
    assert len({pid for _, _, pid in runs}) == 1  # the loaded "model" stayed warm across batches


def test_an_exception_in_the_batch_thread_fails_the_remaining_shots_with_the_reason(make_document, fake_generator,
                                                                                   monkeypatch):
    doc = make_document(["one", "two", "three"], generator=fake_generator)

    def broken_put(self, request_hash, finished_file):  # noqa: ANN001
        raise RuntimeError("injected fault while storing a clip")

    monkeypatch.setattr(ClipCache, "put", broken_put)
    report = generate_shots(doc, jobs=1)
    assert report.generated == 0 and len(report.failed) == 3
    assert all("injected fault" in error for _, error in report.failed)
    for shot in doc.project.all_shots():
        assert shot.takes[-1].status == TakeStatus.FAILED and "injected fault" in shot.takes[-1].error
    assert partials(doc.paths.root) == []


def test_a_setup_error_is_a_failed_outcome_without_a_permanent_failed_take(make_document, fake_generator):
    doc = make_document(["fine", "nomodel"], generator=fake_generator)
    report = generate_shots(doc)
    assert report.generated == 1 and report.failed == [("2", "model 'nobody/none' is not available locally")]
    assert report.setup_failures == ["2"]
    assert doc.project.all_shots()[1].takes == []


def test_a_generator_that_cannot_start_in_its_worker_leaves_no_failed_takes(make_document):
    register_generator("fakebroken", "fake_generators:FakeBrokenInit")
    try:
        doc = make_document(["a", "b"], generator="fakebroken")
        report = generate_shots(doc)
    finally:
        unregister_generator("fakebroken")
    assert len(report.failed) == 2 and all("CUDA driver not found" in e for _, e in report.failed)
    assert all(s.takes == [] for s in doc.project.all_shots())


def test_only_partials_of_dead_processes_are_swept(tmp_path):
    cache = ClipCache(tmp_path / "clips")
    mine = cache.partial_path("ab" * 32)
    mine.write_bytes(b"x")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = mine.with_name(mine.name.replace(f"-{os.getpid()}-", f"-{dead.pid}-"))
    stale.write_bytes(b"x")
    live_other = mine.with_name(mine.name.replace(f"-{os.getpid()}-", "-1-"))  # pid 1 is alive
    live_other.write_bytes(b"x")
    old_unnamed = mine.with_name(".abab.deadbeef.part.mp4")
    old_unnamed.write_bytes(b"x")
    os.utime(old_unnamed, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    assert cache.sweep_stale_partials() == 2
    assert mine.exists() and live_other.exists() and not stale.exists() and not old_unnamed.exists()


def test_the_scheduler_wakes_up_without_raw_writes_to_a_pipe_handle(make_document, monkeypatch):
    """os.write/os.read on a Connection's fileno fail on Windows (it is a handle, not an fd)."""

    def forbidden(*args):  # noqa: ANN002
        raise AssertionError("raw os.write/os.read on a multiprocessing Connection")

    fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    fake_os.write = fake_os.read = forbidden
    monkeypatch.setattr(jobs_module, "os", fake_os)
    doc = make_document(["market at night", "alley"])
    assert generate_shots(doc, jobs=1).generated == 2


def test_an_interrupt_records_what_finished_then_stops_the_caller(make_document, fake_generator):
    doc = make_document(["quick", "slow b", "slow c"], generator=fake_generator)
    interrupted = []

    def on_event(event):  # noqa: ANN001 - Ctrl-C arrives right after the first shot finished
        if event.outcome == "generated" and not interrupted:
            interrupted.append(event.shot_id)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_shots(doc, jobs=1, on_event=on_event)
    first, *rest = doc.project.all_shots()
    assert interrupted == [first.id] and first.selected_take.status == TakeStatus.DONE
    assert all(s.takes == [] for s in rest)  # cancelled, not failed
    assert partials(doc.paths.root) == []


def test_one_batch_may_hold_a_shot_several_times_under_different_tags(make_document):
    """A style test's batch: the same shot in several styles, one outcome per (shot, tag)."""
    from dataclasses import replace as _replace

    from storyboard_app.generation.service import GenerationService as _Service

    doc = make_document(["a street", "a key"], frames=6)
    with _Service(doc.paths.root) as service:
        base = service.plan(doc.project)
        planned = [_replace(p, tag=tag) for p in base for tag in ("a", "b")]
        assert [p.key for p in planned] == [f"{p.shot_id}@{t}" for p in base for t in ("a", "b")]
        handle = service.start(planned)
        assert handle.wait(120)
    assert [(o.shot_id, o.tag) for o in handle.results] == [(p.shot_id, p.tag) for p in planned]
    assert all(o.outcome in ("generated", "cached") and o.take is not None for o in handle.results)
