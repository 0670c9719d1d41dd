"""Shared pieces of the ComfyUI adapter tests: the fake server, requests, a recording progress."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generation"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_comfyui import FakeComfy  # noqa: E402
from generation_fixtures import make_project  # noqa: E402

from storyboard_app.generation.request import ShotRequest, build_request  # noqa: E402
from storyboard_app.media.ffmpeg import run_ffmpeg  # noqa: E402

#: fast settings for a loopback server
FAST = {"retry_backoff": 0.01, "poll_interval": 0.05, "request_timeout": 5, "connect_timeout": 2, "retries": 3}


class Recorder:
    """A progress callback with the service's ``remote_accepted`` hook."""

    def __init__(self, crash_after_accept: bool = False):
        self.events: list[tuple[float, str]] = []
        self.jobs: list[dict[str, Any]] = []
        self.crash_after_accept = crash_after_accept

    def __call__(self, fraction: float, text: str = "") -> None:
        self.events.append((fraction, text))
        if self.crash_after_accept and self.jobs:
            raise SystemExit("simulated crash after the job was accepted")

    def remote_accepted(self, job: dict[str, Any]) -> None:
        self.jobs.append(job)

    @property
    def texts(self) -> list[str]:
        return [t for _, t in self.events]


def request_for(server: FakeComfy, workflow: str = "still_sd15", index: int = 0, **settings: Any) -> ShotRequest:
    project = make_project(["night market in rain", "alley", "a brass key"])
    request = build_request(project, project.all_shots()[index], None, "comfyui")
    return dataclasses.replace(request, settings={"url": server.url, "workflow": workflow, **FAST, **settings})


def frames_of(path: Path, width: int = 160, height: int = 90) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
