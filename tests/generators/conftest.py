"""Shared fixtures of the generator tests: the remote adapters' loopback services and keys."""

from __future__ import annotations

import pytest

from storyboard_app.generation.request import ShotRequest


@pytest.fixture
def isolated_keyring(monkeypatch):
    """An in-memory keyring for this test (never the user's), also for spawned workers (null)."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):  # noqa: ANN001, ANN201
            return self.store.get((service, username))

        def set_password(self, service, username, password):  # noqa: ANN001, ANN201
            self.store[(service, username)] = password

        def delete_password(self, service, username):  # noqa: ANN001, ANN201
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    yield backend
    keyring.set_keyring(previous)


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
