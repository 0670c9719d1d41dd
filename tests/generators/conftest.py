"""Shared fixtures of the generator tests: the remote adapters' loopback services and keys."""

from __future__ import annotations

import pytest
from remote_fakes import memory_keyring

from storyboard_app.generation.request import ShotRequest


@pytest.fixture
def isolated_keyring(monkeypatch):
    """An in-memory keyring for this test (never the user's); spawned workers get the null one."""
    yield from memory_keyring(monkeypatch)


def remote_request(**overrides) -> ShotRequest:  # noqa: ANN003
    data = dict(shot_id="s1", shot_number="1", prompt="a red kite over a grey sea", negative_prompt="blurry",
                seed=1234, width=128, height=72, fps=12, frames=24, camera_move="static", camera_strength=0.5,
                shot_size="ws", settings={"poll_interval": 0.02, "http_timeout": 2, "retries": 2,
                                          "retry_backoff": 0.02})
    data.update(overrides)
    return ShotRequest(**data)


@pytest.fixture
def make_request():
    return remote_request
