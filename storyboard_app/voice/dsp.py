"""The few signal operations that turn one voice model into several characters.

Pitch is shifted the way a sampler does it: play the samples back faster (ffmpeg ``asetrate``),
resample to the original rate (``aresample``, band-limited, which a numpy ``interp`` is not),
then restore the original length with ``atempo`` (WSOLA, made for speech). Pitch *and* formants
move together, so a +3 semitone character sounds like a smaller speaker rather than the same
speaker singing higher; for telling temp voices apart that is the point. Length is kept, so
speaking rate (the model's length scale) and pitch stay independent settings.

Only core ffmpeg filters are used: the ``rubberband`` filter would do the same but exists only
in ffmpeg builds linked with librubberband, and the bundled binary may change between releases.
Compensating the length through piper's length scale instead was tried and rejected: the
model's durations do not scale linearly with it (x1.26 gives x1.18), so rate would drift.
"""

from __future__ import annotations

import numpy as np

from ..media.ffmpeg import CancelCheck, run_ffmpeg

#: Speech is normalised to this peak before the character's volume is applied, leaving headroom
#: so a few dB of boost does not clip.
PEAK_DBFS = -3.0


def atempo_chain(factor: float) -> list[str]:
    """``atempo`` filters whose product is ``factor`` (one instance accepts only 0.5..2)."""
    parts = []
    while factor > 2.0:
        parts.append("atempo=2.0")
        factor /= 2.0
    while factor < 0.5:
        parts.append("atempo=0.5")
        factor /= 0.5
    parts.append(f"atempo={factor:.6f}")
    return parts


def pitch_shift(
    samples: np.ndarray, rate: int, semitones: float, cancelled: CancelCheck | None = None
) -> np.ndarray:
    """Shift mono ``samples`` by ``semitones``; the result has exactly the input's length.

    The filters hold back a few tens of milliseconds at the end of the stream, so the input is
    padded with silence and the output cut back to the original sample count.
    """
    if abs(semitones) < 1e-6 or len(samples) == 0:
        return samples
    shifted_rate = round(rate * 2.0 ** (semitones / 12.0))
    filters = [f"asetrate={shifted_rate}", f"aresample={rate}", *atempo_chain(rate / shifted_rate)]
    raw = run_ffmpeg(
        [
            "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
            "-af", ",".join(filters),
            "-f", "f32le", "-ac", "1", "-ar", str(rate), "-",
        ],
        input_bytes=np.concatenate([samples, np.zeros(rate // 5, np.float32)]).astype("<f4").tobytes(),
        cancelled=cancelled,
        what="pitch shift",
    )
    out = np.frombuffer(raw, dtype="<f4")[: len(samples)]
    return np.pad(out, (0, len(samples) - len(out))).astype(np.float32)


def normalise(samples: np.ndarray, volume_db: float = 0.0) -> np.ndarray:
    """Peak-normalise to PEAK_DBFS, apply ``volume_db`` and clip to [-1, 1] as float32."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < 1e-8:
        return np.zeros(len(samples), dtype=np.float32)
    gain = 10.0 ** ((PEAK_DBFS + volume_db) / 20.0) / peak
    return np.clip(samples * gain, -1.0, 1.0).astype(np.float32)


def silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(max(int(round(seconds * rate)), 0), dtype=np.float32)
