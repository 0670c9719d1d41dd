from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_comfyui import FakeComfy  # noqa: E402


@pytest.fixture
def server(tmp_path: Path):
    """A loopback ComfyUI server for one test (stopped, with its threads, afterwards)."""
    fake = FakeComfy(tmp_path / "server")
    yield fake
    fake.close()
