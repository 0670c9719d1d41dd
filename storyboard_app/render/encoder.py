"""The x264 process a segment is encoded by: raw frames in through a pipe, an MP4 out, with the
error handling every encode shares (the encoder's own last words, a full disk named as such).

``Yuv420Writer`` takes whole yuv420p frames (the composed path: slates, dissolves, fades,
placeholders); ``render/fused.py`` starts the same writer with the take as a second input, so
that Python sends only the burn-in boxes. Both end in the same x264 settings (``x264_args``),
which is what lets segments made either way be joined by stream copy.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..media.ffmpeg import BT709_OUTPUT, BT709_TAG, Cancelled, ffmpeg_exe
from .sources import enlarge_pipe


def sound_and_subtitle_inputs(cmd: list[str], audio: Path | None, subtitles: Path | None) -> list[str]:
    """Append the soundtrack and SRT inputs (when given) to ``cmd``, whose first input is the
    video; returns the ``-map`` arguments for the video and each of them, in that order."""
    maps = ["-map", "0:v"]
    if audio is not None:
        maps += ["-map", f"{cmd.count('-i')}:a"]
        cmd += ["-i", str(audio)]
    if subtitles is not None:
        maps += ["-map", f"{cmd.count('-i')}:s"]
        cmd += ["-f", "srt", "-i", str(subtitles)]
    return maps


#: a segment's encoder reports progress (and looks for a cancel) every this many frames
REPORT_EVERY = 12
#: an encoder that failed where less than this is free ran out of disk space
FULL_DISK_BYTES = 1 << 20


def x264_args(preset: str, crf: int, threads: int | None, faststart: bool, rate_control: str = "crf") -> list[str]:
    """The video encoder's output options, the same for every segment of a render: the join by
    stream copy needs every segment to carry the same SPS/PPS. BT.709: the frames' colour
    description comes from ``BT709_TAG`` (what ffmpeg 7+ encoders read), these options are what
    older builds read; output options alone tag only the matrix. ``rate_control`` "qp" gives
    ``crf`` to x264 as a constant quantiser (previews: see ``export.RATE_CONTROL``)."""
    if rate_control not in ("crf", "qp"):
        raise ValueError(f"rate_control must be crf or qp (got {rate_control!r})")
    args = [*BT709_OUTPUT, "-c:v", "libx264", "-preset", preset, f"-{rate_control}", str(crf), "-pix_fmt", "yuv420p"]
    if faststart:
        args += ["-movflags", "+faststart"]
    if threads:
        args += ["-threads", str(threads)]
    return args


def rate_arg(fps: int | Fraction) -> str:
    rate = Fraction(fps)
    return f"{rate.numerator}/{rate.denominator}"


class Yuv420Writer:
    """moviepy's FFMPEG_VideoWriter, with raw yuv420p input.

    moviepy 2.2.1's writer accepts ``pixel_format`` but overwrites it with rgb24 (and forces a
    yuva420p output format for libx264), so yuv420p frames would be misread. The command below is
    moviepy's, with the input format declared correctly; the exporter feeds it one segment's
    frames from a ``FrameComposer``. ``from_command`` runs another command with the same pipe
    and error handling (the fused body encoder, render/fused.py).
    """

    def __init__(self, path: Path, width: int, height: int, fps: int | Fraction, *, preset: str, crf: int,
                 audio: Path | None, audio_bitrate: str, threads: int | None, target: Path | None = None,
                 subtitles: Path | None = None, faststart: bool = True, rate_control: str = "crf"):
        cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error",
               "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{width}x{height}", "-pix_fmt", "yuv420p",
               "-r", rate_arg(fps), "-an", "-i", "-"]
        cmd += sound_and_subtitle_inputs(cmd, audio, subtitles)
        if audio is not None:
            cmd += ["-c:a", "aac", "-b:a", audio_bitrate]
        if subtitles is not None:
            cmd += ["-c:s", "mov_text", "-metadata:s:s:0", "language=und"]
        # square pixels stated (setsar): a take decoded by the fused encoder carries its 1:1, and
        # segments joined by stream copy need the same SPS, aspect ratio included
        cmd += ["-vf", f"{BT709_TAG},setsar=1", *x264_args(preset, crf, threads, faststart, rate_control), "-f", "mp4",
                str(path)]
        self._start(cmd, path, target)

    @classmethod
    def from_command(cls, cmd: Sequence[str], path: Path, target: Path | None = None) -> Yuv420Writer:
        """A writer for ``cmd`` (an ffmpeg command line reading its raw input from stdin)."""
        writer = cls.__new__(cls)
        writer._start(list(cmd), path, target)
        return writer

    def _start(self, cmd: list[str], path: Path, target: Path | None) -> None:
        self.path = path
        self.target = target or path  # the name users know (the partial file is hidden)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__, lives with the process
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     bufsize=0)
        enlarge_pipe(self.proc.stdin)

    def write_frames(self, frames: Iterable[np.ndarray], should_stop: Callable[[], bool],
                     frame_done: Callable[[int], None]) -> None:
        """Write every frame, reporting ``frame_done(count)`` and looking for a cancel
        (``Cancelled``) every ``REPORT_EVERY`` frames; the remainder is reported at the end."""
        pending = 0
        for frame in frames:
            self.write_frame(frame)
            pending += 1
            if pending == REPORT_EVERY:
                if should_stop():
                    raise Cancelled("export cancelled")
                frame_done(pending)
                pending = 0
        frame_done(pending)

    def write_frame(self, frame: np.ndarray) -> None:
        try:
            self.proc.stdin.write(memoryview(frame))  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            self.proc.wait()
            error = self._error()
            self._raise_if_disk_full(error)
            raise RuntimeError(f"the encoder stopped while writing {self.target}: {error}") from None

    def _raise_if_disk_full(self, error: str) -> None:
        """ffmpeg's last line does not always say it (it may end with "Nothing was written into
        output file"): look at everything it said, and at the space left where it wrote."""
        self._stderr.seek(0)
        said = self._stderr.read().decode("utf-8", "replace")
        full = "No space left on device" in error or "No space left on device" in said
        if not full:
            with contextlib.suppress(OSError):
                full = shutil.disk_usage(self.path.parent).free < FULL_DISK_BYTES
        if full:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.target))

    def _error(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self.proc.returncode}"

    def __enter__(self) -> Yuv420Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if exc_type is not None:
            self.proc.kill()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        code = self.proc.wait()
        error = self._error() if code and exc_type is None else ""
        try:
            if error:
                self._raise_if_disk_full(error)
                raise RuntimeError(f"encoding {self.target} failed: {error}")
        finally:
            self._stderr.close()


