"""The bundled ffmpeg (imageio-ffmpeg): run it, probe media, decode audio.

One place that knows how to call ffmpeg, so that cancel, timeouts and error messages behave the
same for the sketch generator, the voice engine and the exporter. imageio-ffmpeg ships ffmpeg
but not ffprobe, so ``probe`` reads ``ffmpeg -i`` output (stable for the fields used here).
"""

from __future__ import annotations

import functools
import re
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class FFmpegError(RuntimeError):
    pass


class FFmpegSetupError(FFmpegError):
    """ffmpeg itself is missing or broken (not the media): one line that says how to fix it."""

    exit_code = 1


class Cancelled(Exception):
    """The work was cancelled by the user; whatever it wrote has been removed."""


CancelCheck = Callable[[], bool]

#: BT.709 colour, the one colour space of every clip the app writes and of the exported MP4.
#: ``TO_BT709`` converts any input (RGB stills, BT.601 or untagged video, full-range JPEG) to
#: BT.709 limited-range values; untagged video is read as BT.601, which is what ffmpeg writes
#: from RGB by default (sketch clips cached before clips were tagged, the diffusers adapter's frames).
TO_BT709 = "scale=out_color_matrix=bt709:out_range=tv"
#: Tags frames as BT.709 (primaries, transfer, matrix). With ffmpeg 7+ the encoder takes the
#: colour description from the frames. Measured with the bundled ffmpeg 9.0 on a raw yuv420p
#: pipe: the output options in ``BT709_OUTPUT`` alone tag only the matrix *and* make ffmpeg
#: convert the untagged input's pixels (a lossless encode no longer decodes to the same bytes);
#: with this filter before them, all three are tagged and the pixels pass unchanged, at no
#: measurable cost. The output options stay for older builds (IMAGEIO_FFMPEG_EXE).
BT709_TAG = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
BT709_OUTPUT = ("-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv")

FIX_HINT = ("set IMAGEIO_FFMPEG_EXE to a working ffmpeg binary, or reinstall the bundled one "
            "(pip install --force-reinstall imageio-ffmpeg)")


def _setup_error(exe: str, reason: str, source: str) -> FFmpegSetupError:
    return FFmpegSetupError(f"ffmpeg is not usable: {exe} ({source}) {reason}; {FIX_HINT}")


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary: $IMAGEIO_FFMPEG_EXE when set, else imageio-ffmpeg's bundled one.

    Checked once per process (it exists, is executable and answers ``-version`` like ffmpeg), so
    a missing or broken binary is one clear ``FFmpegSetupError`` naming it and the fix, instead
    of a FileNotFoundError, an "Exec format error" or silence from some later pipe. Only success
    is cached: fixing the setup and retrying works without a restart.
    """
    import os
    import shutil

    override = os.environ.get("IMAGEIO_FFMPEG_EXE")
    source = "from IMAGEIO_FFMPEG_EXE" if override else "bundled with imageio-ffmpeg"
    if override:
        exe = shutil.which(override) or override
    else:
        try:
            import imageio_ffmpeg

            exe = imageio_ffmpeg.get_ffmpeg_exe()
        except (ImportError, RuntimeError) as exc:
            raise FFmpegSetupError(f"ffmpeg was not found ({exc}); {FIX_HINT}") from None
    path = Path(exe)
    if not path.is_file():
        raise _setup_error(exe, "does not exist", source)
    if not os.access(path, os.X_OK):
        raise _setup_error(exe, "is not executable", source)
    try:
        proc = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise _setup_error(exe, f"cannot be run ({exc})", source) from None
    if proc.returncode != 0 or not proc.stdout.startswith(b"ffmpeg version"):
        first = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
        detail = f": {first[0][:120]}" if first else ""
        raise _setup_error(exe, f"does not run as ffmpeg (exit code {proc.returncode}{detail})", source)
    return exe


def run_ffmpeg(
    args: Sequence[str],
    *,
    cancelled: CancelCheck | None = None,
    timeout: float | None = None,
    input_bytes: bytes | None = None,
    what: str = "ffmpeg",
) -> bytes:
    """Run ffmpeg with ``args`` (no leading binary); return stdout. Kills it on cancel/timeout."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    if input_bytes is not None:
        cmd.remove("-nostdin")
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    result: dict[str, bytes] = {}

    def communicate() -> None:
        out, err = proc.communicate(input_bytes)
        result["out"], result["err"] = out, err

    worker = threading.Thread(target=communicate, daemon=True)
    worker.start()
    start = time.monotonic()
    while worker.is_alive():
        worker.join(0.05)
        if cancelled is not None and cancelled():
            proc.kill()
            worker.join()
            raise Cancelled(f"{what} cancelled")
        if timeout is not None and time.monotonic() - start > timeout:
            proc.kill()
            worker.join()
            raise FFmpegError(f"{what} timed out after {timeout:.0f} s")
    if proc.returncode != 0:
        err = result.get("err", b"").decode("utf-8", "replace").strip().splitlines()
        tail = err[-1] if err else f"exit code {proc.returncode}"
        raise FFmpegError(f"{what} failed: {tail}")
    return result.get("out", b"")


@dataclass(frozen=True)
class MediaInfo:
    duration: float | None
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_rate: int | None = None
    pixel_format: str | None = None


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")
_PIXFMT = re.compile(r"Video: \w+[^,]*, (\w+)[(,]")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)[^\n]*?, (\d+) Hz")


def probe(path: Path | str) -> MediaInfo:
    """Streams and duration of a media file. Raises FFmpegError for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise FFmpegError(f"{path}: file not found")
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
    )
    text = proc.stderr
    if "Invalid data found" in text or ("Stream #" not in text):
        raise FFmpegError(f"{path}: not a readable audio or video file")
    duration = None
    if m := _DURATION.search(text):
        h, mi, s = m.groups()
        duration = int(h) * 3600 + int(mi) * 60 + float(s)
    width = height = None
    fps = vcodec = acodec = rate = pix = None
    if m := _VIDEO.search(text):
        vcodec, width, height = m.group(1), int(m.group(2)), int(m.group(3))
        line = text[m.start() : text.find("\n", m.start())]
        if f := _FPS.search(line):
            fps = float(f.group(1))
        if p := _PIXFMT.search(line):
            pix = p.group(1)
    if m := _AUDIO.search(text):
        acodec, rate = m.group(1), int(m.group(2))
    return MediaInfo(duration, vcodec is not None, acodec is not None, width, height, fps, vcodec, acodec, rate, pix)


def decode_audio(
    path: Path | str, rate: int = 48000, channels: int = 1, cancelled: CancelCheck | None = None
) -> np.ndarray:
    """Decode any audio ffmpeg reads (WAV, MP3, M4A, FLAC, a video's track) to float32 samples.

    Returns shape (n,) for mono or (n, channels). Raises FFmpegError naming the file when it
    cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise FFmpegError(f"{path}: file not found")
    try:
        raw = run_ffmpeg(
            ["-i", str(path), "-vn", "-ac", str(channels), "-ar", str(rate), "-f", "f32le", "-"],
            cancelled=cancelled,
            what=f"decoding {path.name}",
        )
    except FFmpegError as exc:
        raise FFmpegError(f"{path}: cannot decode audio ({exc})") from None
    samples = np.frombuffer(raw, dtype="<f4").copy()
    if channels > 1:
        samples = samples.reshape(-1, channels)
    if samples.size == 0:
        raise FFmpegError(f"{path}: contains no audio")
    return samples


def write_wav(path: Path | str, samples: np.ndarray, rate: int) -> None:
    """Write float samples in [-1, 1] as 16-bit PCM WAV (mono or (n, channels))."""
    import wave

    data = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    channels = 1 if data.ndim == 1 else data.shape[1]
    pcm = (data * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV written by ``write_wav`` → (float32 samples, rate)."""
    import wave

    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        channels = wav.getnchannels()
        if wav.getsampwidth() != 2:
            raise FFmpegError(f"{path}: expected 16-bit PCM")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.astype(np.float32) / 32767.0
    return (samples if channels == 1 else samples.reshape(-1, channels)), rate
