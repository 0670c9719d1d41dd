"""Pitch shift and level: measured on tones, where the right answer is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard_app.voice.dsp import PEAK_DBFS, atempo_chain, normalise, pitch_shift

RATE = 22050


def tone(freq: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("semitones", [-12.0, -3.0, 5.0, 12.0, 24.0])
def test_pitch_shift_moves_the_frequency_and_keeps_the_length(semitones):
    source = tone(200.0)
    shifted = pitch_shift(source, RATE, semitones)
    expected = 200.0 * 2 ** (semitones / 12)
    assert peak_frequency(shifted) == pytest.approx(expected, rel=0.02)
    assert len(shifted) == len(source)
    assert np.abs(shifted[-RATE // 10 :]).max() > 0.1  # the end was not lost in the filters


def test_zero_shift_is_the_identity():
    source = tone(200.0)
    assert pitch_shift(source, RATE, 0.0) is source


def test_atempo_chain_stays_in_range_and_multiplies_to_the_factor():
    for factor in (0.2, 0.5, 0.9, 1.0, 3.7, 4.0):
        values = [float(p.split("=")[1]) for p in atempo_chain(factor)]
        assert all(0.5 <= v <= 2.0 for v in values)
        assert np.prod(values) == pytest.approx(factor, rel=1e-5)


def test_normalise_sets_peak_and_applies_volume():
    out = normalise(tone(100.0) * 0.1, volume_db=-6.0)
    assert 20 * np.log10(np.max(np.abs(out))) == pytest.approx(PEAK_DBFS - 6.0, abs=0.01)
    assert np.max(np.abs(normalise(tone(100.0), volume_db=20.0))) <= 1.0  # clipped, not wrapped
    assert not normalise(np.zeros(100, dtype=np.float32)).any()
