"""Issue 14 in the GUI: keys in the keyring from a dialog, remote status in the generator picker,
the queue's cost estimate, an accepted job on the take at once (autosaved), cancel reaching the
service, and accepted jobs resumed when the project is opened."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generators"))

from remote_fakes import FakeFal, memory_keyring, serve  # noqa: E402

from storyboard_app.generation.registry import register_generator, unregister_generator  # noqa: E402
from storyboard_app.generation.service import plan_generation  # noqa: E402
from storyboard_app.model import CameraMove, Document, Project, Sequence, Shot, Take, TakeStatus  # noqa: E402
from storyboard_app.ui.remote_keys import RemoteKeysDialog, generator_label, paid_preferences  # noqa: E402

KEY = "fal-gui-test-key-5555"
FAST = {"poll_interval": 0.05, "http_timeout": 5, "retries": 2, "retry_backoff": 0.05}


@pytest.fixture
def isolated_keyring(monkeypatch):
    yield from memory_keyring(monkeypatch)


@pytest.fixture
def fal(monkeypatch, isolated_keyring):
    register_generator("fal", "generators.fal:FalGenerator")
    yield from serve(monkeypatch, FakeFal(KEY), "STORYBOARD_FAL_BASE_URL", "FAL_KEY")
    unregister_generator("fal")


def fal_document(root: Path, shots: int = 1) -> Document:
    project = Project(title="remote", fps=12, width=160, height=90, generator="fal",
                      generator_settings={"fal": dict(FAST)},
                      sequences=[Sequence("q", "EXT. PIER - DAY", [
                          Shot(id=f"s{i}", number=str(i + 1), prompt=f"gull {i}", duration=18,
                               camera_move=CameraMove.STATIC) for i in range(shots)])])
    document = Document(project)
    document.save(root)
    return document


def test_keys_dialog_stores_in_the_keyring_and_never_shows_the_key(qtbot, isolated_keyring, monkeypatch, tmp_path):
    monkeypatch.delenv("FAL_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    dialog = RemoteKeysDialog(settings, ask=lambda parent, label: "fal-typed-in-key-1")
    qtbot.addWidget(dialog)
    assert dialog.status["fal"].text() == "not set" and generator_label("fal") == "fal — no key"
    dialog.set_buttons["fal"].click()
    assert isolated_keyring.store[("storyboard-app", "fal")] == "fal-typed-in-key-1"
    assert dialog.status["fal"].text() == "keyring" and generator_label("fal") == "fal — key set"
    texts = [w.text() for w in dialog.findChildren(type(dialog.note))]
    assert not [t for t in texts if "fal-typed-in-key-1" in t]
    dialog.clear_buttons["fal"].click()
    assert dialog.status["fal"].text() == "not set"
    dialog.max_cost.setValue(2.5)
    dialog.rerun.setChecked(True)
    dialog.accept()
    assert paid_preferences(settings) == (2.5, True)
    assert generator_label("sketch") == "sketch"


def test_accepted_job_is_on_the_take_and_autosaved_then_finishes(make_window, qtbot, fal, tmp_path):
    window = make_window(fal_document(tmp_path / "r.sbproj"))
    labels = [window.generator_combo.itemText(i) for i in range(window.generator_combo.count())]
    assert "fal — key set" in labels
    fal.hold = True
    assert window.generation.generate() == 1
    shot = window.session.project.all_shots()[0]
    qtbot.waitUntil(lambda: any(t.status == TakeStatus.RUNNING and t.remote_job for t in shot.takes), timeout=60000)
    job_id = shot.takes[0].remote_job["job_id"]
    autosave = window.session.document.paths.autosave_file
    assert autosave.is_file() and job_id in autosave.read_text()
    assert window.queue_panel.cost_label.text().startswith("estimated cost: $0.36 for 1 shot")
    qtbot.waitUntil(lambda: any("queue (position 3)" in e.message or "running" in e.message
                                for e in window.generation.entries.values()), timeout=30000)
    fal.hold = False
    qtbot.waitUntil(lambda: shot.takes and shot.takes[0].status == TakeStatus.DONE, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    assert len(shot.takes) == 1 and shot.selected_take_id == shot.takes[0].id and len(fal.submissions) == 1


def test_cancel_in_the_queue_reaches_the_service(make_window, qtbot, fal, tmp_path):
    window = make_window(fal_document(tmp_path / "c.sbproj"))
    fal.hold = True
    window.generation.generate()
    shot = window.session.project.all_shots()[0]
    qtbot.waitUntil(lambda: any(t.remote_job for t in shot.takes), timeout=60000)
    window.generation.cancel(shot.id)
    qtbot.waitUntil(lambda: len(fal.calls_to("cancel")) == 1, timeout=30000)
    qtbot.waitUntil(lambda: shot.takes[0].status == TakeStatus.CANCELLED, timeout=30000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)


def test_the_cost_cap_refuses_a_batch_in_the_gui(make_window, qtbot, fal, tmp_path):
    window = make_window(fal_document(tmp_path / "k.sbproj", shots=2))
    window.generation.max_cost = 0.5
    assert window.generation.generate() == 0
    assert fal.calls == [] and "over the cap" in window.statusBar().currentMessage()


def test_opening_a_project_resumes_accepted_jobs_without_submitting(make_window, qtbot, fal, tmp_path):
    root = tmp_path / "o.sbproj"
    document = fal_document(root)
    answer = httpx.post(f"{fal.url}/fal-ai/ltx-2/text-to-video", json={"prompt": "gull 0"},
                        headers={"Authorization": f"Key {KEY}"}).json()  # accepted before a "crash"
    job = {"service": "fal", "endpoint": "fal-ai/ltx-2/text-to-video", "job_id": answer["request_id"],
           "status_url": answer["status_url"], "response_url": answer["response_url"],
           "cancel_url": answer["cancel_url"]}
    (planned,) = plan_generation(document.project, root, generator_id="fal")
    document.project.all_shots()[0].takes.append(Take(
        id="take_resume1", generator_id="fal", generator_version="1", request_hash=planned.request_hash,
        status=TakeStatus.RUNNING, remote_job=job))
    document.save()
    window = make_window(Document.open(root))
    shot = window.session.project.all_shots()[0]
    qtbot.waitUntil(lambda: shot.takes[0].status == TakeStatus.DONE, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    assert [t.id for t in shot.takes] == ["take_resume1"] and len(fal.submissions) == 1


# --------------------------------------------------------------------------- ComfyUI in the GUI
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generators" / "comfyui"))
from fake_comfyui import FakeComfy  # noqa: E402

COMFY_FAST = {"retry_backoff": 0.01, "poll_interval": 0.05, "request_timeout": 5, "connect_timeout": 2, "retries": 2}


@pytest.fixture
def comfy(tmp_path):
    fake = FakeComfy(tmp_path / "comfy")
    yield fake
    fake.close()


def comfy_document(root: Path, url: str, **settings) -> Document:  # noqa: ANN003
    project = Project(title="comfy", fps=12, width=160, height=90, generator="comfyui",
                      generator_settings={"comfyui": {"url": url, "workflow": "still_sd15", **COMFY_FAST,
                                                      **settings}},
                      sequences=[Sequence("q", "EXT. PIER - DAY", [
                          Shot(id="s0", number="1", prompt="a gull", duration=12, camera_move=CameraMove.STATIC)])])
    document = Document(project)
    document.save(root)
    return document


def _picker_text(window, generator_id: str) -> str:  # noqa: ANN001
    return window.generator_combo.itemText(window.generator_combo.findData(generator_id))


def test_the_picker_asks_the_comfyui_server_in_the_background(make_window, qtbot, comfy, fal, tmp_path):
    comfy.delay["GET /system_stats"] = 1.5  # a slow server: the window must not wait for it
    window = make_window(comfy_document(tmp_path / "g.sbproj", comfy.url))
    # the window is up while the probe still waits for the server
    assert _picker_text(window, "comfyui") == "comfyui — checking…"
    assert _picker_text(window, "fal") == "fal — key set"  # a key needs no network: at once
    qtbot.waitUntil(lambda: _picker_text(window, "comfyui") == "comfyui — reachable", timeout=30000)
    index = window.generator_combo.findData("comfyui")
    assert comfy.url in window.generator_combo.itemData(index, Qt.ToolTipRole)
    assert comfy.calls("GET", "/system_stats")  # the project's server was the one asked
    comfy.close()  # the server goes away: the next refresh says so
    window.refresh_generator_status()
    qtbot.waitUntil(lambda: _picker_text(window, "comfyui") == "comfyui — not reachable", timeout=30000)
    assert "not reachable" in window.generator_combo.itemData(index, Qt.ToolTipRole)


def test_opening_a_project_resumes_an_accepted_comfyui_job(make_window, qtbot, comfy, tmp_path):
    from storyboard_app.generation.service import generate_shots

    root = tmp_path / "c.sbproj"
    document = comfy_document(root, comfy.url, job_timeout=1.0)
    comfy.start_gate.clear()  # queued on the server; the app stops following it (as if it had closed)
    report = generate_shots(document)
    assert len(report.failed) == 1 and report.setup_failures
    shot = document.project.all_shots()[0]
    (take,) = shot.takes
    assert take.status == TakeStatus.RUNNING and take.remote_job["service"] == "comfyui"
    document.save()
    comfy.start_gate.set()
    comfy.wait_for(lambda: take.remote_job["job_id"] in comfy.history, timeout=60)
    window = make_window(Document.open(root))
    shot = window.session.project.all_shots()[0]
    qtbot.waitUntil(lambda: shot.takes[0].status == TakeStatus.DONE, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    assert [t.id for t in shot.takes] == [take.id] and shot.selected_take_id == take.id
    assert len(comfy.calls("POST", "/prompt")) == 1  # followed, never submitted again


def test_opening_a_project_follows_a_job_paid_before_the_shot_was_edited(make_window, qtbot, fal, tmp_path):
    """The running take's request no longer matches its (edited) shot: opening the project
    follows the paid job to the end, keeps the take unselected and says why on it; nothing new
    is submitted (the edited shot waits for the user to generate it)."""
    from storyboard_app.ui.takes import OUTDATED_NOTE

    root = tmp_path / "e.sbproj"
    document = fal_document(root)
    answer = httpx.post(f"{fal.url}/fal-ai/ltx-2/text-to-video", json={"prompt": "gull 0"},
                        headers={"Authorization": f"Key {KEY}"}).json()
    job = {"service": "fal", "endpoint": "fal-ai/ltx-2/text-to-video", "job_id": answer["request_id"],
           "status_url": answer["status_url"], "response_url": answer["response_url"],
           "cancel_url": answer["cancel_url"]}
    shot = document.project.all_shots()[0]
    shot.takes.append(Take(id="take_before_edit", generator_id="fal", generator_version="1",
                           request_hash="hash-of-the-shot-before-its-edit", status=TakeStatus.RUNNING,
                           prompt="gull 0", remote_job=job))
    document.save()
    window = make_window(Document.open(root))
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    qtbot.waitUntil(lambda: shot.takes[0].status == TakeStatus.DONE, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    (take,) = shot.takes
    assert take.outdated and shot.selected_take_id is None and len(fal.submissions) == 1
    window.takes.refresh()
    texts = [window.takes.list.item(i).text() for i in range(window.takes.list.count())]
    assert any(OUTDATED_NOTE in t for t in texts)
