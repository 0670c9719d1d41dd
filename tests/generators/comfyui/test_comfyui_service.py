"""ComfyUI through the real generation service and CLI: the accepted prompt is saved on a running
take, and a ``generate`` killed with SIGKILL after that finishes on the next run without a second
``POST /prompt`` (the same guarantee the fal test in tests/generation/remote gives)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from comfyui_fixtures import FAST

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generation"))
from generation_fixtures import make_project  # noqa: E402

from storyboard_app.generation.service import REMOTE_TIMEOUT, generate_shots  # noqa: E402
from storyboard_app.model import Document, TakeStatus, load_project  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def comfy_bundle(server, root: Path, shots: int = 2, **settings) -> Path:  # noqa: ANN001
    project = make_project(["night market in rain", "alley", "a brass key"][:shots], frames=12)
    project.generator = "comfyui"
    project.generator_settings["comfyui"] = {"url": server.url, "workflow": "still_sd15", **FAST, **settings}
    return Document(project, root).save()


def saved_takes(bundle: Path) -> list[dict]:
    """The takes in the bundle's project file as the CLI last wrote it."""
    for f in bundle.rglob("*.json"):
        if "cache" in f.parts or "media" in f.parts:
            continue
        data = json.loads(f.read_text())
        if isinstance(data, dict) and "sequences" in data:
            return [t for q in data["sequences"] for s in q["shots"] for t in s["takes"]]
    raise AssertionError(f"no project file in {bundle}")


def _cli(bundle: Path) -> list[str]:
    return [sys.executable, "-m", "storyboard_app.cli", "generate", str(bundle), "--generator", "comfyui"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.slow
def test_killing_the_cli_after_the_prompt_was_accepted_then_rerunning_resumes(server, tmp_path):
    bundle = comfy_bundle(server, tmp_path / "p.sbproj")
    server.start_gate.clear()  # prompts wait in ComfyUI's queue
    proc = subprocess.Popen(_cli(bundle), cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            takes = saved_takes(bundle)
            if len([t for t in takes if t.get("remote_job")]) == 2:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            raise AssertionError("the accepted prompts were never saved")
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: nothing cancelled, nothing saved after this
        proc.communicate(timeout=30)
    takes = saved_takes(bundle)
    assert [t["status"] for t in takes] == ["running", "running"]
    accepted = {t["id"]: t["remote_job"]["job_id"] for t in takes}
    assert {t["remote_job"]["service"] for t in takes} == {"comfyui"}
    assert sorted(accepted.values()) == sorted(b["prompt_id"] for b in server.calls("POST", "/prompt"))
    assert server.calls("POST", "/interrupt") == [] and server.calls("POST", "/queue") == []

    server.start_gate.set()
    done = subprocess.run(_cli(bundle), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 resumed job(s)" in done.stderr
    assert len(server.calls("POST", "/prompt")) == 2  # exactly one per shot, over both runs
    takes = saved_takes(bundle)
    assert {t["id"]: t["remote_job"]["job_id"] for t in takes} == accepted
    assert [t["status"] for t in takes] == ["done", "done"]
    for shot in load_project(bundle).all_shots():
        assert shot.selected_take is not None and shot.selected_take.id in accepted


def test_the_job_timeout_follows_the_services_whole_job_timeout(server, tmp_path):
    """Without ``timeout``/``job_timeout`` the adapter follows a job as long as the service lets a
    remote worker run (not the 10 minutes a local generator gets), and always gives up before the
    service would kill it, so a long job is left on the server for the next run to resume."""
    from generators.comfyui.settings import ComfySettings

    assert ComfySettings.from_settings({"url": server.url}).timeouts.job == pytest.approx(REMOTE_TIMEOUT - 5)
    assert ComfySettings.from_settings({"url": server.url, "timeout": 120}).timeouts.job == pytest.approx(115)
    # a job_timeout past the service's timeout would be cut short by the service's kill: capped
    capped = ComfySettings.from_settings({"url": server.url, "timeout": 120, "job_timeout": 500})
    assert capped.timeouts.job == pytest.approx(115)
    assert ComfySettings.from_settings({"url": server.url, "job_timeout": 60}).timeouts.job == 60


def test_a_job_past_its_timeout_stays_running_and_is_resumed(server, tmp_path):
    """The adapter gave up following (job_timeout): the take keeps the job, and the next batch
    follows it to the end instead of submitting again."""
    bundle = comfy_bundle(server, tmp_path / "t.sbproj", shots=1, job_timeout=1.5)
    document = Document.open(bundle)
    server.start_gate.clear()
    report = generate_shots(document)
    assert len(report.failed) == 1 and "left on the server" in report.failed[0][1]
    (take,) = document.project.all_shots()[0].takes
    assert take.remote_job and take.status == TakeStatus.RUNNING, take.error  # kept, to be resumed
    server.start_gate.set()
    report = generate_shots(document)
    assert report.generated == 1 and len(server.calls("POST", "/prompt")) == 1, report.summary()


def _running_take_then_edit(server, tmp_path: Path) -> tuple[Document, str]:  # noqa: ANN001
    """A shot whose ComfyUI job was accepted (its take left running), then edited."""
    document = Document.open(comfy_bundle(server, tmp_path / "e.sbproj", shots=1, job_timeout=1.0))
    server.start_gate.clear()
    generate_shots(document)
    shot = document.project.all_shots()[0]
    (take,) = shot.takes
    assert take.status == TakeStatus.RUNNING and take.remote_job
    shot.prompt = "a brass key on a wet cobblestone"  # the edit, after the job was accepted
    document.project.generator_settings["comfyui"].pop("job_timeout")
    return document, take.id


def test_a_job_accepted_before_the_shot_was_edited_ends_as_an_outdated_take(server, tmp_path):
    document, paid = _running_take_then_edit(server, tmp_path)
    server.start_gate.set()
    report = generate_shots(document)
    assert report.generated == 2 and not report.failed, report.summary()
    shot = document.project.all_shots()[0]
    old = next(t for t in shot.takes if t.id == paid)
    new = next(t for t in shot.takes if t.id != paid)
    assert old.status == TakeStatus.DONE and old.outdated and shot.selected_take_id == new.id
    assert len(server.calls("POST", "/prompt")) == 2  # the paid one, then the edited shot's


def test_an_outdated_job_the_server_forgot_is_not_submitted_again(server, tmp_path):
    document, paid = _running_take_then_edit(server, tmp_path)
    server.forget_everything()  # a server restart lost the queued job
    server.start_gate.set()
    report = generate_shots(document)
    shot = document.project.all_shots()[0]
    old = next(t for t in shot.takes if t.id == paid)
    assert old.status == TakeStatus.FAILED and old.outdated and "not submitted again" in old.error
    assert len(server.calls("POST", "/prompt")) == 2 and report.generated == 1  # only the edited shot's


def test_a_cancel_reaches_the_server_within_the_services_cancel_grace():
    """Every call a cancel makes (GET /queue once, then up to two tries of /interrupt or
    /queue delete, 0.2 s apart) ends before the service kills the worker."""
    from generators.comfyui.client import CANCEL_CALL_TIMEOUT
    from storyboard_app.generation.service import REMOTE_CANCEL_GRACE

    assert 3 * CANCEL_CALL_TIMEOUT + 0.2 < REMOTE_CANCEL_GRACE - 2  # with room for the process to exit
