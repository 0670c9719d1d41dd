"""``storyboard-app models list / pull / rm`` and the prompt warning of ``generate`` (issue 15)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generators"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generation"))
from fake_hub import FakeHub  # noqa: E402
from generation_fixtures import make_project  # noqa: E402
from test_model_hub import tiny_repo  # noqa: E402

from storyboard_app.cli import main  # noqa: E402
from storyboard_app.model import Document  # noqa: E402


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    server = FakeHub({"stabilityai/sd-turbo": tiny_repo(os.urandom(200_000)),
                      "org/gated": tiny_repo(b"w", gated=True)}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    yield server
    server.stop()


def test_pull_list_rm(hub_env, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "sd-turbo" in out and "missing" in out and "512x512" in out
    assert main(["models", "pull", "sd-turbo"]) == 0
    assert "stabilityai/sd-turbo: present" in capsys.readouterr().out
    assert main(["models"]) == 0  # plain `models` lists too
    line = next(row for row in capsys.readouterr().out.splitlines() if "sd-turbo" in row)
    assert "present" in line and "KB" in line
    assert main(["models", "rm", "sd-turbo"]) == 0
    assert "removed stabilityai/sd-turbo" in capsys.readouterr().out
    assert main(["models", "rm", "sd-turbo"]) == 0
    assert "not in the cache" in capsys.readouterr().out


def test_pull_errors_are_one_line_with_what_to_do(hub_env, capsys):
    assert main(["models", "pull", "org/gated"]) == 1
    err = capsys.readouterr().err
    assert "gated model: accept its licence at" in err and "HF_TOKEN" in err
    assert main(["models", "pull", "nonsense"]) == 2
    assert "neither a preset" in capsys.readouterr().err


def test_generate_warns_of_a_cut_prompt_and_names_the_pull_command(hub_env, tmp_path, capsys):
    project = make_project(["market at night"])
    project.all_shots()[0].prompt = " ".join(["rain on the neon signs of a crowded night market"] * 40)
    project.generator = "diffusers"
    project.generator_settings["diffusers"] = {"model": "flux-schnell", "device": "cpu"}
    Document(project, tmp_path / "p.sbproj").save()
    code = main(["generate", str(tmp_path / "p.sbproj"), "--executor", "local"])
    out = capsys.readouterr().out
    assert "warning: shot 1: Prompt ≈" in out and "flux-schnell reads 256" in out
    assert code == 1 and "storyboard-app models pull flux-schnell" in out
    assert hub_env.requests == []  # generation asked the hub for nothing
