"""Engines come from the ``storyboard_app.voices`` entry points: whatever is installed shows."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from storyboard_app.voice import VoiceEngine, VoiceError, registry

PLUGIN = '''
from storyboard_app.voice import Speech, VoiceInfo
import numpy as np

class FakeEngine:
    name = "fake"
    version = "fake 0.1"
    def voices(self):
        return [VoiceInfo("robot", "en", 8000, "a test voice", "1")]
    def synthesize(self, text, settings, cancelled=None):
        return Speech(np.zeros(800, np.float32), 8000)
'''


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Two more installed engines: one that works and one whose package is broken."""
    (tmp_path / "fake_voice_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    real = registry._entry_points()
    extra = {
        "fake": EntryPoint("fake", "fake_voice_plugin:FakeEngine", registry.GROUP),
        "broken": EntryPoint("broken", "no_such_voice_package:Engine", registry.GROUP),
    }
    monkeypatch.setattr(registry, "_entry_points", lambda: {**real, **extra})
    yield
    registry.forget_engine("fake")
    registry.forget_engine("broken")


def test_piper_is_installed_through_its_entry_point():
    assert "piper" in registry.engine_names()


def test_installed_engines_lists_every_plugin_and_why_one_failed(plugins):
    entries = {e.name: e for e in registry.installed_engines()}
    assert {"piper", "fake", "broken"} <= set(entries)
    fake = entries["fake"].engine
    assert isinstance(fake, VoiceEngine)
    assert [v.id for v in fake.voices()] == ["robot"]
    assert entries["broken"].engine is None
    assert "no_such_voice_package" in entries["broken"].error


def test_an_engine_is_instantiated_once_per_process(plugins):
    assert registry.get_engine("fake") is registry.get_engine("fake")


def test_an_unknown_engine_names_the_installed_ones():
    with pytest.raises(VoiceError, match=r"'espeak' is not installed \(installed: .*piper"):
        registry.get_engine("espeak")
