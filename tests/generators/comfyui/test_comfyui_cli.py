"""``storyboard-app generate BUNDLE --generator comfyui`` against the loopback ComfyUI server:
settings reach the adapter through ``Project.generator_settings["comfyui"]`` and every shot gets
a take made by the server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from comfyui_fixtures import FAST

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generation"))
from generation_fixtures import make_project  # noqa: E402

from storyboard_app.cli import main  # noqa: E402
from storyboard_app.generation.registry import (  # noqa: E402
    generator_specs,
    register_generator,
    unregister_generator,
)
from storyboard_app.media.ffmpeg import probe  # noqa: E402
from storyboard_app.model import Document, TakeStatus, load_project  # noqa: E402


@pytest.fixture
def comfyui_registered():
    """The entry point, or (in a checkout whose installed metadata predates it) a registration."""
    installed = "comfyui" in generator_specs()
    if not installed:
        register_generator("comfyui", "generators.comfyui:ComfyUIGenerator")
    yield
    if not installed:
        unregister_generator("comfyui")


def test_generate_with_the_comfyui_generator_makes_takes(server, tmp_path, capsys, comfyui_registered):
    project = make_project(["night market in rain", "alley", "a brass key"], frames=12)
    project.generator_settings["comfyui"] = {"url": server.url, "workflow": "still_sd15", **FAST}
    bundle = Document(project, tmp_path / "p.sbproj").save()

    assert main(["generate", str(bundle), "--generator", "comfyui", "--jobs", "2"]) == 0, capsys.readouterr()

    shots = load_project(bundle).all_shots()
    assert len(server.calls("POST", "/prompt")) == len(shots) == 3
    for shot in shots:
        take = shot.selected_take
        assert take.status == TakeStatus.DONE and take.generator_id == "comfyui"
        info = probe(bundle / take.media_path)
        assert (info.width, info.height, info.video_codec) == (160, 90, "h264")
    submitted = sorted(body["prompt"]["6"]["inputs"]["text"] for body in server.calls("POST", "/prompt"))
    assert all(text for text in submitted) and len(set(submitted)) == 3  # one composed prompt per shot


def test_generators_says_whether_each_remote_generator_is_ready(server, tmp_path, capsys, monkeypatch,
                                                                comfyui_registered):
    """``storyboard-app generators PROJECT``: ComfyUI asked at the project's url (answers / not),
    fal and Replicate by whether a key is set; every remote one marked as running remotely."""
    import re

    monkeypatch.setenv("FAL_KEY", "fal-listed-key-123")
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("COLUMNS", "400")
    project = make_project(["a gull"], frames=12)
    project.generator_settings["comfyui"] = {"url": server.url, "workflow": "still_sd15", **FAST}
    bundle = Document(project, tmp_path / "p.sbproj").save()

    def rows() -> dict[str, str]:
        out = capsys.readouterr().out
        return {m.group(1): line for line in out.splitlines() if (m := re.match(r"\W*(\w+)\s", line))}

    assert main(["generators", str(bundle)]) == 0
    listed = rows()
    assert re.search(r"remote\s*│\s*yes\s*│\s*ComfyUI 0\.3\.64-fake at " + re.escape(server.url), listed["comfyui"])
    assert re.search(r"remote\s*│\s*yes\s*│.*key from", listed["fal"])
    assert re.search(r"remote\s*│\s*no\s*│\s*no Replicate key", listed["replicate"])
    assert re.search(r"here\s*│\s*yes", listed["sketch"])
    assert "fal-listed-key-123" not in str(listed)
    server.close()
    assert main(["generators", str(bundle)]) == 0
    assert re.search(r"remote\s*│\s*no\s*│\s*ComfyUI not reachable at " + re.escape(server.url), rows()["comfyui"])
