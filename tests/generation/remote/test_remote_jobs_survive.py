"""A remote job is recorded on its take the moment the service accepts it, saved at once by the
CLI, and resumed (never submitted again) after the app is killed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyboard_app.generation.service import generate_shots
from storyboard_app.model import CameraMove, Document, Project, Sequence, Shot, Take, TakeStatus

ROOT = Path(__file__).resolve().parents[3]
FAST = {"poll_interval": 0.05, "http_timeout": 5, "retries": 2, "retry_backoff": 0.05}
#: the CLI with ``fal`` registered (this venv's installed entry points may predate the adapter)
RUNNER = ("import sys; from storyboard_app.generation.registry import register_generator as r; "
          "r('fal', 'generators.fal:FalGenerator'); from storyboard_app.cli import main; "
          "sys.exit(main(sys.argv[1:]))")


def make_document(path: Path, shots: int = 2) -> Document:
    project = Project(title="remote", fps=12, width=160, height=90, seed=3, generator="fal",
                      generator_settings={"fal": dict(FAST)},
                      sequences=[Sequence("q", "EXT. PIER - DAY", [
                          Shot(id=f"s{i}", number=str(i + 1), prompt=f"gull number {i} over the pier", duration=18,
                               camera_move=CameraMove.STATIC) for i in range(shots)])])
    doc = Document(project, path)
    doc.save()
    return doc


def saved_takes(doc_path: Path) -> list[dict]:
    files = [p for p in doc_path.rglob("*.json") if "cache" not in p.parts and "media" not in p.parts]
    for f in files:
        data = json.loads(f.read_text())
        if isinstance(data, dict) and "sequences" in data:
            return [t for q in data["sequences"] for s in q["shots"] for t in s["takes"]]
    raise AssertionError(f"no project file in {doc_path}")


def test_the_accepted_job_is_on_a_running_take_before_it_finishes(fal_service, tmp_path):
    doc = make_document(tmp_path / "p.sbproj")
    fal_service.hold = True
    seen: list[list[dict]] = []

    def accepted(event) -> None:  # noqa: ANN001
        assert event.take.status == TakeStatus.RUNNING and event.take.remote_job["job_id"] in fal_service.jobs
        doc.save()
        seen.append(saved_takes(doc.paths.root))
        if len(seen) == 2:
            fal_service.hold = False

    report = generate_shots(doc, on_remote_accepted=accepted)
    assert report.generated == 2 and not report.failed
    # when the second job was accepted, both running takes were on disk with their jobs
    assert [t["status"] for t in seen[-1]] == ["running", "running"]
    assert {t["remote_job"]["job_id"] for t in seen[-1]} == set(fal_service.jobs)
    for shot in doc.project.all_shots():
        (take,) = shot.takes  # the outcome replaced the running take: same id, now done
        assert take.status == TakeStatus.DONE and shot.selected_take_id == take.id
        assert take.remote_job["job_id"] in fal_service.jobs and take.remote_job["service"] == "fal"
        assert take.id in {t["id"] for t in seen[-1]}
    assert len(fal_service.submissions) == 2


def test_a_cancelled_batch_cancels_on_the_service_and_is_not_resumed(fal_service, tmp_path):
    doc = make_document(tmp_path / "p.sbproj", shots=1)
    fal_service.hold = True
    state = {"cancel": False}

    def accepted(event) -> None:  # noqa: ANN001
        state["cancel"] = True

    report = generate_shots(doc, on_remote_accepted=accepted, cancelled=lambda: state["cancel"])
    assert report.cancelled == 1
    assert len(fal_service.calls_to("cancel")) == 1  # the worker told fal before it stopped
    (take,) = doc.project.all_shots()[0].takes
    assert take.status == TakeStatus.CANCELLED and take.remote_job is not None
    fal_service.hold = False
    report = generate_shots(doc)  # a new job: the cancelled one is not followed
    assert report.generated == 1 and len(fal_service.submissions) == 2


def _cli_env(fake) -> dict[str, str]:  # noqa: ANN001
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), STORYBOARD_FAL_BASE_URL=fake.url, FAL_KEY=fake.key,
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    return env


@pytest.mark.slow
def test_killing_the_cli_mid_batch_then_rerunning_resumes_without_resubmitting(fal_service, tmp_path):
    doc = make_document(tmp_path / "p.sbproj")
    fal_service.hold = True
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "generate", str(doc.paths.root)], cwd=ROOT,
                            env=_cli_env(fal_service), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            takes = saved_takes(doc.paths.root)
            if len([t for t in takes if t.get("remote_job")]) == 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            raise AssertionError("the accepted jobs were never saved")
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: nothing is cancelled, nothing saved after this
        proc.communicate(timeout=30)
    accepted = {t["id"]: t["remote_job"]["job_id"] for t in saved_takes(doc.paths.root)}
    assert len(fal_service.submissions) == 2 and fal_service.calls_to("cancel") == []
    fal_service.hold = False
    done = subprocess.run([sys.executable, "-c", RUNNER, "generate", str(doc.paths.root)], cwd=ROOT,
                          env=_cli_env(fal_service), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 resumed job(s) already paid for" in done.stderr
    takes = saved_takes(doc.paths.root)
    assert len(fal_service.submissions) == 2  # no second payment
    assert {t["id"]: t["remote_job"]["job_id"] for t in takes} == accepted
    assert [t["status"] for t in takes] == ["done", "done"]


def test_a_job_record_with_a_secret_is_never_stored(tmp_path):
    from storyboard_app.generation.registry import register_generator, unregister_generator

    register_generator("leaky", "remote_leaky_generator:LeakyGenerator")
    try:
        doc = make_document(tmp_path / "p.sbproj", shots=1)
        messages: list[str] = []
        report = generate_shots(doc, generator_id="leaky", on_event=lambda e: messages.append(e.message))
    finally:
        unregister_generator("leaky")
    assert report.generated == 1
    (take,) = doc.project.all_shots()[0].takes
    assert take.remote_job is None and take.status == TakeStatus.DONE
    assert any("cannot be recorded" in m and "credential" in m for m in messages)
    doc.save()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and b"sk-must-not-be-saved" in p.read_bytes()]


def _accepted_before_a_crash(fal_service, doc: Document) -> Take:  # noqa: ANN001
    """A running take holding a job fal accepted for the shot as it is now (then the app died)."""
    import httpx

    from storyboard_app.generation.service import plan_generation

    answer = httpx.post(f"{fal_service.url}/fal-ai/ltx-2/text-to-video", json={"prompt": "gull"},
                        headers={"Authorization": f"Key {fal_service.key}"}).json()
    job = {"service": "fal", "endpoint": "fal-ai/ltx-2/text-to-video", "job_id": answer["request_id"],
           "status_url": answer["status_url"], "response_url": answer["response_url"],
           "cancel_url": answer["cancel_url"]}
    (planned,) = plan_generation(doc.project, doc.paths.root, generator_id="fal")
    take = Take(id="take_paid1", generator_id="fal", generator_version="1", request_hash=planned.request_hash,
                seed=planned.request.seed, prompt=planned.request.prompt, status=TakeStatus.RUNNING, remote_job=job)
    doc.project.all_shots()[0].takes.append(take)
    doc.save()
    return take


def test_a_job_accepted_before_the_shot_was_edited_is_followed_and_kept_unselected(fal_service, tmp_path):
    """The shot was edited after its paid job was accepted: the job is followed to the end (not
    left "running" forever, not paid again) and kept as an outdated take that is not selected;
    the edited shot gets its own new take."""
    doc = make_document(tmp_path / "p.sbproj", shots=1)
    paid = _accepted_before_a_crash(fal_service, doc)
    shot = doc.project.all_shots()[0]
    shot.prompt = "a heron, not a gull, over the pier"  # edited after the job was accepted
    report = generate_shots(doc)
    assert not report.failed and report.generated == 2, report.summary()
    assert len(fal_service.submissions) == 2  # the paid job + one for the edited shot
    old = next(t for t in shot.takes if t.id == paid.id)
    new = next(t for t in shot.takes if t.id != paid.id)
    assert old.status == TakeStatus.DONE and old.outdated and old.media_path
    assert old.request_hash == paid.request_hash and old.prompt == paid.prompt  # what was paid for
    assert old.remote_job["job_id"] == paid.remote_job["job_id"]
    assert new.status == TakeStatus.DONE and not new.outdated and shot.selected_take_id == new.id
    assert (doc.paths.root / old.media_path).is_file()
    report = generate_shots(doc)  # nothing left to follow or make
    assert report.up_to_date == 1 and report.generated == 0 and len(fal_service.submissions) == 2
