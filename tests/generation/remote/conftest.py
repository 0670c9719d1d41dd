"""Fixtures of the remote-plumbing tests: the loopback services live in tests/generators."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generators"))

from remote_fakes import FakeFal, memory_keyring, serve  # noqa: E402

from storyboard_app.generation.registry import register_generator, unregister_generator  # noqa: E402


@pytest.fixture
def isolated_keyring(monkeypatch):
    yield from memory_keyring(monkeypatch)


@pytest.fixture
def fal_generator():
    """``fal`` registered in this process (the entry point may not be installed in this venv)."""
    register_generator("fal", "generators.fal:FalGenerator")
    yield "fal"
    unregister_generator("fal")


@pytest.fixture
def fal_service(monkeypatch, isolated_keyring, fal_generator):
    """A loopback fal with a key, base URL and fast polling for spawned workers too."""
    yield from serve(monkeypatch, FakeFal("fal-service-test-key-9876", polls_to_finish=2), "STORYBOARD_FAL_BASE_URL",
                     "FAL_KEY")
