"""Shared pieces of the ComfyUI adapter tests: the fake server, requests, a recording progress
(the one every remote adapter's tests use, from tests/generators/remote_fakes.py)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generation"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fake_comfyui import FakeComfy  # noqa: E402
from generation_fixtures import make_project  # noqa: E402
from remote_fakes import Recorder  # noqa: E402, F401 - shared with the fal/Replicate tests

from storyboard_app.generation.request import ShotRequest, build_request  # noqa: E402
from storyboard_app.media.ffmpeg import run_ffmpeg  # noqa: E402

#: fast settings for a loopback server
FAST = {"retry_backoff": 0.01, "poll_interval": 0.05, "request_timeout": 5, "connect_timeout": 2, "retries": 3}


def request_for(server: FakeComfy, workflow: str = "still_sd15", index: int = 0, **settings: Any) -> ShotRequest:
    project = make_project(["night market in rain", "alley", "a brass key"])
    request = build_request(project, project.all_shots()[index], None, "comfyui")
    return dataclasses.replace(request, settings={"url": server.url, "workflow": workflow, **FAST, **settings})


def frames_of(path: Path, width: int = 160, height: int = 90) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
