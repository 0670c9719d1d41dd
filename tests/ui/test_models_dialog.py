"""Generate > Models…: list, pull with progress in the background, cancel, remove (issue 15.6),
against the loopback fake hub (tests/generators/fake_hub.py): no network."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generators"))
from fake_hub import FakeHub  # noqa: E402
from test_model_hub import WEIGHTS, tiny_repo  # noqa: E402

from storyboard_app.ui.models_dialog import ModelsDialog  # noqa: E402

REPO = "stabilityai/sd-turbo"  # the sd-turbo preset's repo, served by the fake hub


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    server = FakeHub({REPO: tiny_repo(os.urandom(24 * 1024 * 1024))}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def test_pull_shows_progress_then_present_and_remove_asks_first(qtbot, hub_server):
    asked = []
    dialog = ModelsDialog(confirm=lambda parent, title, text: asked.append(text) or True)
    qtbot.addWidget(dialog)
    assert dialog.state_of("sd-turbo") == "missing"
    dialog.select("sd-turbo")
    seen = []
    worker = dialog.pull_selected()
    worker.signals.progress.connect(lambda f, m: seen.append(f))
    with qtbot.waitSignal(dialog.pulled, timeout=60000) as done:
        pass
    assert done.args[0].startswith(f"{REPO}: present")
    assert dialog.state_of("sd-turbo") == "present" and dialog.progress.value() == 1000
    assert seen and seen == sorted(seen)
    assert dialog.remove_selected() > 24 * 1024 * 1024 and "sd-turbo" in asked[0]
    assert dialog.state_of("sd-turbo") == "missing"


def test_cancel_keeps_a_partial_download_that_the_next_pull_resumes(qtbot, hub_server):
    dialog = ModelsDialog(confirm=lambda *a: True)
    qtbot.addWidget(dialog)
    dialog.select("sd-turbo")
    hub_server.stall_after[WEIGHTS] = 12 * 1024 * 1024  # the server waits after 12 MB until released

    def on_progress(fraction: float, message: str) -> None:
        if WEIGHTS in message and fraction > 0.3:  # the first 10 MB chunk is in: cancel, then let it go on
            dialog.cancel()
            hub_server.release.set()

    worker = dialog.pull_selected()
    assert dialog.cancel_button.isEnabled() and not dialog.pull_button.isEnabled()
    worker.signals.progress.connect(on_progress)
    with qtbot.waitSignal(dialog.pulled, timeout=60000) as done:
        pass
    assert done.args == [""] and "cancelled" in dialog.status.text()
    assert dialog.state_of("sd-turbo") == "partial"
    dialog.pull_selected()
    with qtbot.waitSignal(dialog.pulled, timeout=60000):
        pass
    assert dialog.state_of("sd-turbo") == "present"
    assert any(r for m, p, r in hub_server.requests if m == "GET" and p.endswith(WEIGHTS) and r), hub_server.requests


def test_the_generate_menu_opens_the_models_dialog(make_window, hub_server):
    window = make_window()
    window.act_models.trigger()
    assert window.models_dialog.isVisible() and window.models_dialog.table.rowCount() >= 5
    window.models_dialog.close()
