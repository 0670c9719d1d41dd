"""The animatic's sound: voiceover lines at their offsets, an optional ducked music bed,
loudness normalised and cut to the picture's exact length, written as one WAV.

Mixed in numpy, one block (a few seconds) at a time, so memory stays flat whatever the sequence
length: a line is decoded when the block that first hears it is mixed and dropped after its last
block; the music bed streams from an ffmpeg decoder. Two passes over the blocks: the first
measures, the second applies the gain and writes.

Loudness follows ITU-R BS.1770-4 / EBU R128: integrated loudness of the K-weighted mix with
400 ms gating blocks overlapping by 75 %, an absolute gate at -70 LUFS and a relative gate 10 LU
below; the true peak is the peak of the mix oversampled 4x. Both come from ffmpeg's ``ebur128``
filter, fed the first pass block by block (a meter that needs the whole signal in memory, like
pyloudnorm, would make memory grow with the sequence; the tests check this one against
pyloudnorm). The gain brings the mix to ``LOUDNESS_TARGET`` but never pushes the true
peak above ``TRUE_PEAK_TARGET``: nothing is ever clipped. The target is EBU R128's -23 LUFS
because speech has a peak-to-loudness ratio near 20 dB (the bundled voice: 19.7 dB), so a louder
target could only be reached by clipping or limiting the dialogue.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media.ffmpeg import (
    CancelCheck,
    Cancelled,
    FFmpegError,
    decode_audio,
    ffmpeg_exe,
    probe,
    read_wav,
)

SAMPLE_RATE = 48000
LOUDNESS_TARGET = -23.0  # LUFS, EBU R128 (see module docstring)
PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS: no decoded sample of the export goes above this
#: the true peak the gain aims under: the ceiling less a margin for the AAC encoder's overshoot
TRUE_PEAK_TARGET_DB = -2.0
DUAL_MONO_DB = 10 * np.log10(2.0)  # loudness of a mono signal put on both stereo channels, relative
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
        self.path = Path(path)
        self.proc: subprocess.Popen | None = None
        info = probe(self.path)  # FFmpegError naming the file when it is missing or unreadable
        if not info.has_audio:
            raise FFmpegError(f"{self.path}: music file has no audio stream")
        self._started = False

    def open(self) -> None:
        self.close()
        self.proc = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-stream_loop", "-1",
             "-i", str(self.path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self._started = False

    def read(self, n: int) -> np.ndarray:
        assert self.proc is not None and self.proc.stdout is not None
        data = self.proc.stdout.read(n * 4)
        if not self._started:
            if not data:  # a looped decoder that yields nothing could not read the file
                self.proc.wait()
                err = self.proc.stderr.read().decode("utf-8", "replace").strip().splitlines()  # type: ignore[union-attr]
                reason = err[-1] if err else f"ffmpeg exit code {self.proc.returncode}"
                raise FFmpegError(f"{self.path}: cannot decode the music file ({reason})")
            self._started = True
        out = np.zeros(n, np.float32)
        got = np.frombuffer(data, "<f4")[:n]
        out[: len(got)] = got * self.gain
        return out

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.stdout.close()  # type: ignore[union-attr]
            self.proc.stderr.close()  # type: ignore[union-attr]
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
        meter = LoudnessMeter()
        for _, block in blocks():
            meter.add(block)
        gain = normalisation_gain(*meter.close())
    try:
        with wave.open(str(output), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            for _, block in blocks():
                out = np.clip(block * gain, -1.0, 1.0)  # a no-op after normalising (the gain keeps peaks low)
                pcm = (out * 32767.0).round().astype("<i2")
                wav.writeframes(np.repeat(pcm, 2).tobytes())  # mono → both channels
    except OSError as exc:
        if exc.filename is None:  # a failed write names no file: say which (disk full, ...)
            raise OSError(exc.errno, exc.strerror, str(output)) from exc
        raise
    return output


def normalisation_gain(loudness: float | None, true_peak_db: float | None) -> float:
    """The linear gain that brings the exported (dual-mono stereo) mix of a mono mix measured at
    ``loudness`` to the target without lifting the true peak
    above ``TRUE_PEAK_TARGET_DB`` (the peak caps the gain; it may stay under the target)."""
    if loudness is None or true_peak_db is None:  # silence: leave it digital silence
        return 1.0
    # the mono mix goes out on both channels, and BS.1770 sums the channels' power: the stereo
    # file is 3 dB louder than the mono signal measured here
    gain_db = min(LOUDNESS_TARGET - (loudness + DUAL_MONO_DB), TRUE_PEAK_TARGET_DB - true_peak_db)
    return float(10 ** (gain_db / 20))


class LoudnessMeter:
    """Integrated loudness (LUFS) and true peak (dBTP) of a mono 48 kHz signal fed in blocks.

    The measurement is ffmpeg's ``ebur128`` filter (ITU-R BS.1770-4: K-weighting, 400 ms gating
    blocks with 75 % overlap, absolute and relative gates; true peak by 4x oversampling), fed
    through a pipe block by block: nothing is kept in memory here, whatever the length. Call
    ``close()`` (or read a result) after the last block.
    """

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(); a file, so no pipe deadlock
        self._proc: subprocess.Popen | None = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "info", "-f", "f32le", "-ar", str(SAMPLE_RATE),
             "-ac", "1", "-i", "-", "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log,
        )
        self._result: tuple[float | None, float | None] | None = None

    def add(self, block: np.ndarray) -> None:
        assert self._proc is not None and self._proc.stdin is not None, "meter already closed"
        self._proc.stdin.write(np.asarray(block, "<f4").tobytes())

    def close(self) -> tuple[float | None, float | None]:
        if self._result is None:
            assert self._proc is not None and self._proc.stdin is not None
            self._proc.stdin.close()
            code = self._proc.wait()
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace")
            self._log.close()
            self._proc = None
            loudness = re.search(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS", text)
            peak = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf) dBFS", text)
            if code != 0 or loudness is None or peak is None:
                tail = text.strip().splitlines()[-1:] or [f"exit code {code}"]
                raise FFmpegError(f"measuring the soundtrack's loudness failed: {tail[0]}")
            lufs = float(loudness.group(1))
            tp = float(peak.group(1))
            # ebur128 reports silence (nothing above the -70 LUFS gate) as -70 LUFS
            self._result = (lufs if lufs > -70.0 else None, tp if np.isfinite(tp) else None)
        return self._result

    def __del__(self) -> None:
        if getattr(self, "_proc", None) is not None:
            self._proc.kill()  # type: ignore[union-attr]
            self._proc.wait()  # type: ignore[union-attr]

    def integrated(self) -> float | None:
        """Gated integrated loudness in LUFS; None for silence."""
        return self.close()[0]

    def true_peak_db(self) -> float | None:
        """True peak in dBTP; None for digital silence."""
        return self.close()[1]
