"""The Ray executor (issue 19) on a local Ray instance: the same clips as worker processes, progress,
cancel without leftovers, a killed actor retried once then a failed take, a clear error for an
unreachable cluster. One Ray instance (2 CPUs) serves the whole module to keep its start-up cost
to one; the module is skipped when ray is not installed (``make test`` installs the ``ray`` extra).
"""

from __future__ import annotations

import glob
import os
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from storyboard_app.generation.executors import ExecutorChoice, executor_factory, resolve_choice  # noqa: E402
from storyboard_app.generation.jobs import LocalProcessExecutor  # noqa: E402
from storyboard_app.generation.ray_executor import (  # noqa: E402
    RayExecutor,
    RayUnavailable,
    _keeping_sigterm_handler,
)
from storyboard_app.generation.service import BatchEvent, GenerationService, generate_shots  # noqa: E402
from storyboard_app.model import Document, TakeStatus  # noqa: E402

pytestmark = pytest.mark.timeout(180)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """A local 2-CPU Ray instance whose workers import this worktree and the fake generators."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), str(HERE), saved) if p)
    # one *logical* GPU (no device needed): GPU generators get their num_gpus=1 actor pool
    with _keeping_sigterm_handler():  # the rest of the suite keeps pytest's own SIGTERM handling
        ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    yield
    ray.shutdown()
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


def ray_service(root: Path) -> GenerationService:
    return GenerationService(root, executor_factory=RayExecutor)


def partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".part" in p.name or p.name.endswith(".recv")]


def actor_temp_dirs() -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), "storyboard-ray-*"))


def test_sketch_batch_fills_the_project_exactly_as_worker_processes_do(ray_cluster, tmp_path):
    from generation_fixtures import make_project

    prompts = ["a market at night", "Ada runs", "a lantern sways", "rain on tin roofs"]
    clips = {}
    for name, factory in (("local", LocalProcessExecutor), ("ray", RayExecutor)):
        project = make_project(prompts)
        doc = Document(project, tmp_path / name / "p.sbproj")
        doc.save()
        events: list[BatchEvent] = []
        with GenerationService(doc.paths.root, executor_factory=factory) as service:
            report = generate_shots(doc, service=service, on_event=events.append)
        assert report.generated == len(prompts) and report.ok, report.summary()
        clips[name] = {s.number: (doc.paths.root / s.takes[-1].media_path).read_bytes() for s in doc.project.all_shots()}
        takes = [s.takes[-1] for s in doc.project.all_shots()]
        assert all(t.status == TakeStatus.DONE and t.frames == 12 for t in takes)
        assert {e.shot_id for e in events if e.outcome == "generated"} == {s.id for s in doc.project.all_shots()}
        assert partials(doc.paths.root) == []
        # the same cache keys: a second run through the other executor would reuse these clips
        clips[name + "-hashes"] = sorted(t.request_hash for t in takes)
    assert clips["ray"] == clips["local"]  # byte-identical clips, shot by shot
    assert clips["ray-hashes"] == clips["local-hashes"]


def test_progress_events_reach_the_caller_and_cancel_leaves_no_partial_files(ray_cluster, make_document,
                                                                              fake_generator):
    doc = make_document(["steady a", "slow b", "slow c", "slow d", "slow e"], generator=fake_generator)
    events: queue.Queue[BatchEvent] = queue.Queue()
    with ray_service(doc.paths.root) as service:
        handle = service.start(service.plan(doc.project), events.put)
        seen: list[BatchEvent] = []
        deadline = time.monotonic() + 60
        while not any(e.shot_number == "2" and e.fraction > 0.15 for e in seen):  # "slow b" is mid-job
            assert time.monotonic() < deadline, f"no progress from the running jobs: {seen}"
            seen.append(events.get(timeout=60))
        handle.cancel()
        assert handle.wait(60)
        while not events.empty():
            seen.append(events.get())
    progress = [e for e in seen if e.outcome is None and e.state.value == "running" and e.fraction > 0]
    assert len({e.fraction for e in progress}) >= 3, progress  # several distinct steps, not just start/end
    assert any(e.message.startswith("step") for e in progress)  # the generator's own progress text
    outcomes = {o.shot_number: o.outcome for o in handle.results}
    assert outcomes["2"] == "cancelled" and outcomes["5"] == "cancelled"  # running and queued
    assert set(outcomes.values()) <= {"generated", "cancelled"}
    assert partials(doc.paths.root) == []
    assert actor_temp_dirs() == []  # the actors cleaned their own temporary folders too


def test_an_actor_killed_mid_job_is_retried_once_then_the_take_fails(ray_cluster, make_document, fake_generator):
    doc = make_document(["slow a"], generator=fake_generator)
    events: queue.Queue[BatchEvent] = queue.Queue()
    with ray_service(doc.paths.root) as service:
        handle = service.start(service.plan(doc.project), events.put)
        killed: set[str] = set()
        seen: list[BatchEvent] = []
        while len(killed) < 2:
            event = events.get(timeout=60)
            seen.append(event)
            if event.outcome is None and event.fraction > 0.12:  # running, past the first steps
                actor = service._executor.actor_of(handle._job_ids["s0"])
                if actor is not None and actor._actor_id.hex() not in killed:  # a new attempt's actor
                    ray.kill(actor, no_restart=True)
                    killed.add(actor._actor_id.hex())
        assert handle.wait(60)
        while not events.empty():
            seen.append(events.get())
    assert any("retrying on another actor" in e.message for e in seen), [e.message for e in seen]
    [outcome] = handle.results
    assert outcome.outcome == "failed" and "actor died 2 times" in outcome.error, outcome.error
    assert outcome.take is not None and outcome.take.status == TakeStatus.FAILED
    assert "actor died" in outcome.take.error
    assert partials(doc.paths.root) == []


def test_a_shot_whose_actor_dies_once_is_generated_on_another_actor(ray_cluster, make_document, fake_generator):
    doc = make_document(["steady a"], generator=fake_generator)
    events: queue.Queue[BatchEvent] = queue.Queue()
    with ray_service(doc.paths.root) as service:
        handle = service.start(service.plan(doc.project), events.put)
        while True:
            event = events.get(timeout=60)
            if event.outcome is None and event.fraction > 0.12:
                actor = service._executor.actor_of(handle._job_ids["s0"])
                if actor is not None:
                    ray.kill(actor, no_restart=True)
                    break
        assert handle.wait(60)
    [outcome] = handle.results
    assert outcome.outcome == "generated", outcome.error
    assert (doc.paths.root / outcome.take.media_path).stat().st_size > 1000
    assert partials(doc.paths.root) == []


def test_gpu_generators_get_one_actor_per_gpu_that_serves_every_shot(ray_cluster, make_document, tmp_path):
    from storyboard_app.generation.registry import register_generator, unregister_generator

    register_generator("fakegpu", "fake_generators:FakeGpuGenerator")
    try:
        doc = make_document(["a", "b", "c"], generator="fakegpu")
        log = tmp_path / "gpu.log"
        doc.project.generator_settings["fakegpu"] = {"log": str(log)}
        with ray_service(doc.paths.root) as service:
            report = generate_shots(doc, service=service)
            pools = list(service._executor._pools.values())
        assert report.generated == 3, report.summary()
    finally:
        unregister_generator("fakegpu")
    assert [(p.gpu, p.capacity) for p in pools] == [(True, 1)]  # the cluster has 1 GPU: one actor
    runs = sorted(tuple(map(float, line.split()[1:])) for line in log.read_text().splitlines())
    assert len({line.split()[0] for line in log.read_text().splitlines()}) == 1  # built once, served all
    assert all(a[1] <= b[0] for a, b in zip(runs, runs[1:], strict=False))  # never two at once on the GPU


def test_idle_actors_of_one_pool_make_room_for_another(ray_cluster, make_document, fake_generator):
    """Two settings, two pools; the first pool's idle actors hold both CPUs until one is stopped."""
    doc = make_document(["a", "b", "c", "d"], generator=fake_generator)
    shots = doc.project.all_shots()
    with ray_service(doc.paths.root) as service:
        doc.project.generator_settings[fake_generator] = {"model": "one"}
        first = service.start(service.plan(doc.project, shots[:2]))
        assert first.wait(60)
        doc.project.generator_settings[fake_generator] = {"model": "two"}
        second = service.start(service.plan(doc.project, shots[2:]))
        assert second.wait(60), "the second pool never got an actor"
        sizes = sorted(len(p.actors) for p in service._executor._pools.values())
    assert [o.outcome for o in first.results + second.results] == ["generated"] * 4
    assert sum(sizes) <= 2  # never more actors than the cluster's CPUs


def test_connecting_keeps_the_callers_sigterm_handler(monkeypatch):
    """``ray.init`` installs a SIGTERM handler that exits at once; the CLI's (cancel, save what
    finished, exit 130) must survive connecting."""
    import signal

    from storyboard_app.generation import ray_executor

    def fake_init(**kwargs):  # noqa: ANN003, ANN202 - what ray.init does to the driver's SIGTERM
        signal.signal(signal.SIGTERM, lambda *a: os._exit(1))

    def ours(*args):  # noqa: ANN002, ANN202
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        monkeypatch.setattr(ray, "is_initialized", lambda: False)
        monkeypatch.setattr(ray, "init", lambda address=None, **kw: fake_init(**kw))
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
        assert ray_executor.connect(None) is True
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_unreachable_cluster_is_a_clear_error_naming_the_address_or_falls_back(ray_cluster):
    choice = resolve_choice("ray", "ray://127.0.0.1:9", environ={})
    with pytest.raises(RayUnavailable, match=r"cannot reach the Ray cluster at ray://127\.0\.0\.1:9"):
        executor_factory(choice)
    warnings: list[str] = []
    factory = executor_factory(ExecutorChoice("ray", "127.0.0.1:9", fallback=True), warnings.append)
    assert factory is LocalProcessExecutor
    assert warnings and "127.0.0.1:9" in warnings[0] and "local worker processes" in warnings[0]


def test_executor_choice_from_flags_and_environment():
    assert resolve_choice(None, None, environ={}).kind == "local"
    assert resolve_choice(None, None, environ={"RAY_ADDRESS": "auto"}) == ExecutorChoice("ray", "auto")
    assert resolve_choice("local", None, environ={"RAY_ADDRESS": "auto"}).kind == "local"
    assert resolve_choice("ray", "ray://h:10001", environ={"RAY_ADDRESS": "auto"}).address == "ray://h:10001"
    with pytest.raises(ValueError, match="executor must be one of"):
        resolve_choice("dask", None, environ={})


@pytest.mark.parametrize("command", [["generate"], ["render", "-o", "out.mp4"],
                                     ["style-test", "--scene", "1", "--styles", "noir,watercolour", "-o", "st"]])
def test_cli_names_the_unreachable_address(make_document, command, tmp_path):
    doc = make_document(["a"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    result = subprocess.run(
        [sys.executable, "-m", "storyboard_app.cli", command[0], str(doc.paths.root), *command[1:],
         "--executor", "ray", "--ray-address", "ray://127.0.0.1:9"],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "cannot reach the Ray cluster at ray://127.0.0.1:9" in result.stderr + result.stdout
    assert Document.open(doc.paths.root).project.all_shots()[0].takes == []  # nothing was recorded
    assert not (tmp_path / "out.mp4").exists()
