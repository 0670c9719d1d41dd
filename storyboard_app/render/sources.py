"""Per-shot frame sources for the exporter: a take's frames, conformed, read one at a time.

A ``ClipSource`` runs one ffmpeg decoder for one take, which scales/crops to the output size and
resamples to the output fps in C and streams yuv420p frames through a pipe into one reused
buffer. Frames are read strictly forward; asking past the end holds the last frame (the "hold"
conform and the dissolve handles). Each source is opened when the playhead reaches its shot and
closed when it leaves, so an export holds at most two decoders whatever the sequence length.
"""

from __future__ import annotations

import contextlib
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..media.ffmpeg import ffmpeg_exe, probe
from ..model import ConformMode
from .yuv import frame_bytes


def conform_filter(width: int, height: int, fps: int | Fraction) -> str:
    """The ffmpeg filter that turns a take into output frames: covering the output size (centred
    crop), at the output fps, yuv420p. out_color_matrix: frames come out as BT.709 whatever the
    take's matrix (the export is tagged BT.709); a BT.709 take (every generated clip) passes with
    no conversion. The fused body encoder (fused.py) runs the same chain, so a shot's picture is
    the same frames whichever path encodes it."""
    return (f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic:"
            "out_color_matrix=bt709:out_range=tv,"
            f"crop={width}:{height},fps={fps},format=yuv420p")


class ClipSource:
    def __init__(self, path: Path, width: int, height: int, fps: int, shot_frames: int,
                 conform: ConformMode = ConformMode.HOLD):
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.shot_frames = shot_frames
        self.conform = conform
        self._size = frame_bytes(width, height)
        self._buffer = np.zeros(self._size, np.uint8)
        self._proc: subprocess.Popen | None = None
        self._position = -1  # index of the frame in the buffer
        self._eof = False
        self._source_frames: int | None = None

    def prepare(self) -> None:
        """Start the decoder now (it probes and decodes ahead while the previous shot plays)."""
        if self._proc is None:
            self._open()

    def _open(self) -> None:
        if self.conform == ConformMode.SLOW:
            info = probe(self.path)
            seconds = info.duration or self.shot_frames / self.fps
            self._source_frames = max(int(round(seconds * self.fps)), 1)
        vf = conform_filter(self.width, self.height, self.fps)
        self._proc = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "1",
             "-i", str(self.path), "-an", "-vf", vf, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
        )
        enlarge_pipe(self._proc.stdout)

    def _source_index(self, local: int) -> int:
        if self.conform == ConformMode.SLOW and self._source_frames is not None:
            return min(int(local * self._source_frames / max(self.shot_frames, 1)), self._source_frames - 1)
        return local

    def frame(self, local: int) -> np.ndarray:
        """The frame for shot-local frame ``local`` (clamped ≥ 0). The buffer is reused: copy it
        before asking for another frame if you need to keep it."""
        if self._proc is None:
            self._open()
        target = self._source_index(max(local, 0))
        while self._position < target and not self._eof:
            if not self._read_next():
                break
        return self._buffer

    def _read_next(self) -> bool:
        assert self._proc is not None and self._proc.stdout is not None
        view = memoryview(self._buffer)
        got = 0
        while got < self._size:
            n = self._proc.stdout.readinto(view[got:])
            if not n:
                self._eof = True
                if self._position < 0:
                    raise RuntimeError(f"{self.path}: no video frames could be decoded")
                return False
            got += n
        self._position += 1
        return True

    def close(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.kill()
            with contextlib.suppress(Exception):
                self._proc.stdout.close()  # type: ignore[union-attr]
            with contextlib.suppress(Exception):
                self._proc.wait()  # blocking waitpid after SIGKILL: no 5 ms polling per shot
            self._proc = None


def enlarge_pipe(pipe) -> None:  # noqa: ANN001
    """Grow a pipe to 1 MiB (Linux; the unprivileged maximum): a default 64 KiB pipe makes every
    1.4 MB frame cost ~20 context switches between producer and consumer. A no-op where there
    is no ``fcntl`` (Windows) or no F_SETPIPE_SZ: only a speed-up, never a requirement."""
    try:
        import fcntl
    except ImportError:
        return
    set_size = getattr(fcntl, "F_SETPIPE_SZ", 1031)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fcntl.fcntl(pipe.fileno(), set_size, 1 << 20)


class StaticSource:
    """A fixed picture (placeholder for a shot without a take)."""

    def __init__(self, frame: np.ndarray):
        self._frame = frame

    def frame(self, local: int) -> np.ndarray:
        return self._frame

    def prepare(self) -> None:
        pass

    def close(self) -> None:
        pass
