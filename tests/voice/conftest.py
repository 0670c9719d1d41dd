"""Shared fixtures for the voice tests.

The real piper voice is loaded once per test session (``piper``) and registered as the process's
engine, so every test that speaks reuses it. ``ToneEngine`` is a deterministic stand-in used
where a test is about caching, timing or errors rather than about speech: it makes a tone whose
length follows the text and whose pitch follows the character's settings, so those tests are
exact and fast; every property that matters for real speech is also tested against piper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyboard_app.model import (
    Character,
    DialogueLine,
    Project,
    Sequence,
    Shot,
    VoiceSettings,
    save_project,
)
from storyboard_app.voice import Speech, VoiceInfo, registry
from storyboard_app.voice.piper_engine import PiperEngine


class ToneEngine:
    """A fake engine: 60 ms per character of a tone at 200 Hz × pitch, length / rate."""

    name = "tone"
    version = "tone 1"
    rate = 16000

    def __init__(self) -> None:
        self.calls: list[str] = []

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("beep", "xx", self.rate, "test tone", "1")]

    def synthesize(self, text, settings, cancelled=None) -> Speech:
        from storyboard_app.voice.engine import VoiceError

        if settings.voice != "beep":
            raise VoiceError(f"no voice {settings.voice!r}")
        self.calls.append(text)
        n = int(len(text) * 0.06 / settings.rate * self.rate)
        t = np.arange(n) / self.rate
        freq = 200.0 * 2 ** (settings.pitch_semitones / 12)
        gain = 0.5 * 10 ** (settings.volume_db / 20)
        return Speech((gain * np.sin(2 * np.pi * freq * t)).astype(np.float32), self.rate)


@pytest.fixture(scope="session")
def piper() -> PiperEngine:
    """The real piper engine with the packaged voice, loaded once for the whole session."""
    engine = PiperEngine(voice_dirs=[], threads=2)
    engine.load_voice("en_US-joe-medium")
    registry.register_engine(engine)
    return engine


@pytest.fixture
def tone():
    engine = ToneEngine()
    registry.register_engine(engine)
    yield engine
    registry.forget_engine(engine.name)


def make_project(engine: str = "piper", voice: str = "en_US-joe-medium") -> Project:
    """Two characters with different voices, three shots: two lines, one line, none."""
    mara = Character("ch_mara", "Mara", voice=VoiceSettings(engine, voice, 1.1, 3.0, 0.0))
    teo = Character("ch_teo", "Teo", voice=VoiceSettings(engine, voice, 0.9, -3.0, -2.0))
    shots = [
        Shot("s1", "1", duration=120, characters=["ch_mara", "ch_teo"], dialogue=[
            DialogueLine("l1", "ch_mara", "The lanterns are out tonight."),
            DialogueLine("l2", "ch_teo", "Then we cook in the dark."),
        ]),
        Shot("s2", "2", duration=24, dialogue=[DialogueLine("l3", "ch_teo", "Listen.")]),
        Shot("s3", "3", duration=48),
    ]
    return Project(title="Test", fps=24, characters=[mara, teo],
                   sequences=[Sequence("q1", "Scene 1", shots)])


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A saved bundle whose characters speak with the tone engine."""
    root = tmp_path / "test.sbproj"
    save_project(make_project("tone", "beep"), root)
    return root


def dominant_pitch(samples: np.ndarray, rate: int) -> float:
    """Median fundamental frequency (Hz) of the voiced frames, by autocorrelation.

    Frames of 50 ms whose energy is within 20 dB of the loudest are analysed. The
    autocorrelation is divided by the overlap at each lag (unbiased), so that long periods
    are not disfavoured against their harmonics; the lag of its highest peak in 60..400 Hz
    gives the frame's F0 when the frame is clearly periodic.
    """
    size = int(0.05 * rate)
    frames = [samples[i : i + size] for i in range(0, len(samples) - size, size // 2)]
    energy = np.array([float(np.mean(f**2)) for f in frames])
    loud = energy > energy.max() * 0.01
    lo, hi = int(rate / 400), int(rate / 60)
    overlap = size - np.arange(size)
    pitches = []
    for frame, ok in zip(frames, loud, strict=True):
        if not ok:
            continue
        frame = frame - frame.mean()
        ac = np.correlate(frame, frame, "full")[size - 1 :] / overlap
        if ac[0] <= 0:
            continue
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.4:  # clearly periodic: a voiced frame
            pitches.append(rate / lag)
    assert pitches, "no voiced frames found"
    return float(np.median(pitches))


@pytest.fixture
def pitch_of():
    return dominant_pitch


@pytest.fixture
def new_project():
    return make_project
