"""Loudness: a real BS.1770 measurement, the gain capped by the true peak, nothing clipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyboard_app.media.ffmpeg import FFmpegError, decode_audio, write_wav
from storyboard_app.render.audio import (
    LOUDNESS_TARGET,
    PEAK_CEILING,
    SAMPLE_RATE,
    LoudnessMeter,
    PlacedAudio,
    mix_soundtrack,
)
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic

pyln = pytest.importorskip("pyloudnorm")


def reference_loudness(samples: np.ndarray) -> float:
    return float(pyln.Meter(SAMPLE_RATE).integrated_loudness(np.asarray(samples, np.float64)))


def speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Bursts of band-limited noise with pauses: a speech-like crest factor and gating."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    noise = np.convolve(rng.normal(0, 0.2, n), np.ones(8) / 8, mode="same")
    envelope = (np.sin(np.arange(n) / SAMPLE_RATE * 2 * np.pi * 0.7) > -0.2).astype(float)
    return (noise * envelope).astype(np.float32)


def test_streaming_meter_agrees_with_pyloudnorm_whatever_the_block_size():
    signal = speechlike(12.0)
    meter = LoudnessMeter()
    for start, size in zip(range(0, len(signal), 33333), [33333] * len(signal), strict=False):
        meter.add(signal[start : start + size])
    assert meter.integrated() == pytest.approx(reference_loudness(signal), abs=0.15)


def test_true_peak_sees_the_peak_between_samples():
    # a sine at a quarter of the sample rate, phase-shifted so that no sample lands on a crest
    t = np.arange(2 * SAMPLE_RATE)
    x = (0.5 * np.sin(2 * np.pi * t / 4 + np.pi / 4)).astype(np.float32)
    assert np.abs(x).max() < 0.36  # sample peak about -9 dBFS...
    meter = LoudnessMeter()
    meter.add(x)
    assert -6.5 < meter.true_peak_db() < -5.0  # ...true peak about -6 dBTP


def test_silence_has_no_loudness_and_gets_no_gain():
    meter = LoudnessMeter()
    meter.add(np.zeros(SAMPLE_RATE, np.float32))
    assert meter.integrated() is None and meter.true_peak_db() is None


def bundled_voice_line(path: Path, text: str) -> None:
    from storyboard_app.model import VoiceSettings
    from storyboard_app.voice.piper_engine import PiperEngine

    speech = PiperEngine().synthesize(text, VoiceSettings())
    write_wav(path, speech.samples, speech.sample_rate)


@pytest.mark.slow
def test_export_of_the_bundled_voice_meets_the_target_and_never_clips(document, tmp_path):
    """Before: +5 dB of gain and a hard clip at -1 dBFS on this voice."""
    audio = document.paths.root / "media" / "audio"
    bundled_voice_line(audio / "a.wav", "Keep your voice down.")
    bundled_voice_line(audio / "b.wav", "Then we go now!")
    out = tmp_path / "out.mp4"
    render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False)
    decoded = decode_audio(out, SAMPLE_RATE, channels=2)
    assert np.abs(decoded).max() <= PEAK_CEILING
    assert reference_loudness(decoded) == pytest.approx(LOUDNESS_TARGET, abs=1.0)  # the stereo file


def test_peaky_audio_is_turned_down_by_its_true_peak_not_clipped(tmp_path):
    """Clicks over a quiet tone: reaching the loudness target would need 20 dB of clipping."""
    t = np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE
    x = 0.01 * np.sin(2 * np.pi * 220 * t)
    x[:: SAMPLE_RATE // 4] = 0.9
    write_wav(tmp_path / "clicks.wav", x, SAMPLE_RATE)
    wav = mix_soundtrack([PlacedAudio(tmp_path / "clicks.wav", 0.0)], tmp_path / "mix.wav", 4.0)
    mixed = decode_audio(wav, SAMPLE_RATE, channels=2)[:, 0]  # (-ac 1 would sum both at -3 dB)
    meter = LoudnessMeter()
    meter.add(mixed)
    assert meter.true_peak_db() <= 20 * np.log10(PEAK_CEILING)
    ratio = np.abs(mixed).max() / 0.9  # the clicks keep their shape relative to the tone
    tone = mixed[SAMPLE_RATE // 8 : SAMPLE_RATE // 8 + 2000]
    assert np.abs(tone).max() / ratio == pytest.approx(0.01, rel=0.05)


def test_unreadable_music_is_an_error_naming_the_file(tmp_path):
    music = tmp_path / "broken.mp3"
    music.write_bytes(b"this is not audio" * 100)
    with pytest.raises(FFmpegError, match="broken.mp3"):
        mix_soundtrack([], tmp_path / "mix.wav", 1.0, music=music)
    assert not (tmp_path / "mix.wav").exists()
