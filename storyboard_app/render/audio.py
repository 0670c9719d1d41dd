"""The animatic's sound: voiceover lines at their offsets, an optional ducked music bed,
loudness normalised and cut to the picture's exact length, written as one WAV.

Mixed in numpy, one block (a few seconds) at a time, so memory stays flat whatever the sequence
length: a line is decoded when the block that first hears it is mixed and dropped after its last
block; the music bed streams from an ffmpeg decoder. Two passes over the blocks: the first
measures loudness, the second applies the gain and writes.

Loudness: integrated level with BS.1770-style gating (400 ms blocks, absolute gate at -70 dB,
relative gate 10 dB below) on the final mix, without the K-weighting filter; normalised to
``LOUDNESS_TARGET`` and limited to ``PEAK_CEILING``. Good enough for temp voiceover, and it keeps
silence digital silence. An earlier single ffmpeg filter graph (adelay + amix + loudnorm) took
8 s for a 3-minute timeline with 30 lines; this takes well under a second.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media.ffmpeg import CancelCheck, Cancelled, decode_audio, ffmpeg_exe, read_wav

SAMPLE_RATE = 48000
LOUDNESS_TARGET = -16.0  # dBFS-ish (see module docstring); web/preview delivery
PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS
BLOCK_SECONDS = 5.0
DUCK_DB = -12.0  # music level under dialogue, relative


@dataclass(frozen=True)
class PlacedAudio:
    path: Path
    start_seconds: float  # from the start of the animatic (slate included)


def _load_line(path: Path) -> np.ndarray:
    """Mono float32 at 48 kHz: WAVs we wrote are read directly and resampled with numpy."""
    try:
        samples, rate = read_wav(path)
    except Exception:  # noqa: BLE001 - not our 16-bit WAV: let ffmpeg decode whatever it is
        return decode_audio(path, SAMPLE_RATE)
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    if rate != SAMPLE_RATE:
        n = int(round(len(samples) * SAMPLE_RATE / rate))
        samples = np.interp(np.arange(n) * (rate / SAMPLE_RATE), np.arange(len(samples)), samples).astype(np.float32)
    return samples.astype(np.float32, copy=False)


class _LineMixer:
    """Adds the lines that overlap a block; decodes each line once, keeps it only while it plays."""

    def __init__(self, lines: list[PlacedAudio]):
        self.lines = sorted(lines, key=lambda line: line.start_seconds)
        self._loaded: dict[int, np.ndarray] = {}

    def add(self, block: np.ndarray, b0: int, cancelled: CancelCheck | None) -> None:
        b1 = b0 + len(block)
        for i, line in enumerate(self.lines):
            start = int(round(line.start_seconds * SAMPLE_RATE))
            if start >= b1:
                break
            if cancelled is not None and cancelled():
                raise Cancelled("mixing cancelled")
            samples = self._loaded.get(i)
            if samples is None:
                if i in self._done:
                    continue
                samples = self._loaded[i] = _load_line(line.path)
            end = start + len(samples)
            if end <= b0:
                self._loaded.pop(i, None)
                self._done.add(i)
                continue
            lo, hi = max(start, b0), min(end, b1)
            block[lo - b0 : hi - b0] += samples[lo - start : hi - start]

    def reset(self) -> None:
        self._loaded.clear()
        self._done: set[int] = set()


class _MusicStream:
    """The music bed, decoded by ffmpeg (looped forever) and read block by block."""

    def __init__(self, path: Path, volume_db: float):
        self.gain = 10 ** (volume_db / 20)
        self.path = path
        self.proc: subprocess.Popen | None = None

    def open(self) -> None:
        self.close()
        self.proc = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-stream_loop", "-1",
             "-i", str(self.path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def read(self, n: int) -> np.ndarray:
        assert self.proc is not None and self.proc.stdout is not None
        data = self.proc.stdout.read(n * 4)
        out = np.zeros(n, np.float32)
        got = np.frombuffer(data, "<f4")
        out[: len(got)] = got * self.gain
        return out

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.stdout.close()  # type: ignore[union-attr]
            self.proc.wait()
            self.proc = None


def _duck(music: np.ndarray, voice: np.ndarray, state: list[float]) -> np.ndarray:
    """Lower the music under dialogue: a 10 ms envelope of the voice drives a smoothed gain."""
    hop = SAMPLE_RATE // 100
    n = len(voice) // hop * hop
    env = np.abs(voice[:n]).reshape(-1, hop).max(axis=1) if n else np.zeros(0)
    target = np.where(env > 0.01, 10 ** (DUCK_DB / 20), 1.0)
    gains = np.empty(len(target) + 1)
    g = state[0]
    for i, t in enumerate(target):  # attack 30 ms, release 300 ms
        g += (t - g) * (0.3 if t < g else 0.033)
        gains[i] = g
    state[0] = g
    gains[len(target)] = g
    per_sample = np.repeat(gains, hop)[: len(music)]
    if len(per_sample) < len(music):
        per_sample = np.pad(per_sample, (0, len(music) - len(per_sample)), mode="edge")
    return music * per_sample


def mix_soundtrack(
    lines: list[PlacedAudio],
    output: Path,
    duration: float,
    *,
    music: Path | None = None,
    music_volume_db: float = -14.0,
    normalize: bool = True,
    cancelled: CancelCheck | None = None,
) -> Path:
    """Write a 48 kHz stereo 16-bit WAV of exactly ``duration`` seconds to ``output``."""
    total = int(round(duration * SAMPLE_RATE))
    block_len = int(BLOCK_SECONDS * SAMPLE_RATE)
    mixer = _LineMixer(lines)
    stream = _MusicStream(music, music_volume_db) if music is not None else None

    def blocks():  # noqa: ANN202 - yields (start, mono block)
        mixer.reset()
        duck_state = [1.0]
        if stream is not None:
            stream.open()
        try:
            for b0 in range(0, total, block_len):
                block = np.zeros(min(block_len, total - b0), np.float32)
                mixer.add(block, b0, cancelled)
                if stream is not None:
                    block += _duck(stream.read(len(block)), block, duck_state)
                yield b0, block
        finally:
            if stream is not None:
                stream.close()

    gain = 1.0
    if normalize and (lines or music is not None):
        level = _gated_level(block for _, block in blocks())
        if level is not None:
            gain = 10 ** ((LOUDNESS_TARGET - level) / 20)
    with wave.open(str(output), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        for _, block in blocks():
            out = np.clip(block * gain, -PEAK_CEILING, PEAK_CEILING)
            pcm = (out * 32767.0).round().astype("<i2")
            wav.writeframes(np.repeat(pcm, 2).tobytes())  # mono → both channels
    return output


def _gated_level(blocks) -> float | None:  # noqa: ANN001
    """Gated mean-square level in dB over 400 ms windows (BS.1770 gating, no K-weighting)."""
    window = int(0.4 * SAMPLE_RATE)
    energies: list[float] = []
    carry = np.zeros(0, np.float32)
    for block in blocks:
        data = np.concatenate([carry, block])
        n = len(data) // window * window
        if n:
            energies.extend(np.mean(data[:n].reshape(-1, window) ** 2, axis=1).tolist())
        carry = data[n:]
    e = np.array(energies)
    e = e[e > 10 ** (-70 / 10)]
    if not len(e):
        return None
    relative = 10 * np.log10(e.mean()) - 10
    e = e[10 * np.log10(e) > relative]
    return float(10 * np.log10(e.mean())) if len(e) else None
