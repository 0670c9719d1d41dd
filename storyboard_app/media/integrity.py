"""Is a media file still what it was when it was made? Two checks of different cost.

* ``quick_problem`` — the hot path (``generate`` planning, the clip cache's ``get``): no
  subprocess, no decoding. The file exists, is not empty, has the size recorded when it was
  made, and, for MP4/MOV, its top-level box structure is whole (every box ends inside the file,
  ``moov`` and ``mdat`` are present). A truncated or overwritten clip fails it in microseconds.
* ``deep_problem`` — ``validate --deep``: decodes every video frame with the bundled ffmpeg (or
  an image with PIL) and compares the decoded frame count / duration with what was recorded.
  This also catches damage that leaves the size and structure intact (a faststart file cut
  short still parses up to the cut; corrupted bytes inside ``mdat``).

``measure`` records what a freshly made clip *is* (size; frame count and duration from the MP4
header, no decoding), so that both checks have something to compare with later.
"""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .ffmpeg import FFmpegError, ffmpeg_exe

ISO_SUFFIXES = {".mp4", ".mov", ".m4v"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
DEEP_TIMEOUT = 600.0


@dataclass(frozen=True)
class MediaRecord:
    """What a media file should be: each field None when unknown (older takes, non-video)."""

    frames: int | None = None
    duration_s: float | None = None
    size_bytes: int | None = None

    def to_json(self) -> dict[str, int | float | None]:
        return {"frames": self.frames, "duration_s": self.duration_s, "size_bytes": self.size_bytes}

    @classmethod
    def from_json(cls, data: object) -> MediaRecord:
        if not isinstance(data, dict):
            return cls()

        def num(key: str, kind: type) -> int | float | None:
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                return None
            return kind(value)

        return cls(num("frames", int), num("duration_s", float), num("size_bytes", int))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- MP4 header


class _Broken(Exception):
    pass


def _boxes(f: BinaryIO, start: int, end: int) -> list[tuple[str, int, int]]:
    """(type, payload start, box end) of the boxes in [start, end); raises _Broken past ``end``."""
    out = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise _Broken(f"{end - pos} stray bytes at offset {pos}")
        f.seek(pos)
        head = f.read(8)
        if len(head) < 8:
            raise _Broken(f"file ends inside a box header at offset {pos}")
        size, kind = struct.unpack(">I4s", head)
        payload = pos + 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                raise _Broken(f"file ends inside a box header at offset {pos}")
            size = struct.unpack(">Q", large)[0]
            payload += 8
        elif size == 0:  # "extends to the end"
            size = end - pos
        if size < payload - pos:
            raise _Broken(f"box {kind!r} at offset {pos} has an impossible size {size}")
        if pos + size > end:
            name = kind.decode("latin-1")
            raise _Broken(f"box '{name}' at offset {pos} needs {size} bytes, only {end - pos} left (truncated)")
        out.append((kind.decode("latin-1"), payload, pos + size))
        pos += size
    return out


def _is_iso(f: BinaryIO) -> bool:
    f.seek(0)
    head = f.read(8)
    return len(head) == 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide")


def _iso_structure(f: BinaryIO, size: int) -> tuple[list[tuple[str, int, int]], str | None]:
    try:
        top = _boxes(f, 0, size)
    except _Broken as exc:
        return [], str(exc)
    kinds = {kind for kind, _, _ in top}
    if "moov" not in kinds:
        return top, "no 'moov' box (the header is missing: unreadable or truncated)"
    if "mdat" not in kinds and "moof" not in kinds:
        return top, "no 'mdat' box (no media data)"
    return top, None


def _child(f: BinaryIO, start: int, end: int, kind: str) -> tuple[int, int] | None:
    for name, payload, stop in _boxes(f, start, end):
        if name == kind:
            return payload, stop
    return None


def _video_header(f: BinaryIO, moov: tuple[int, int]) -> tuple[int | None, float | None]:
    """(sample count, duration in seconds) of the first video track, from its headers."""
    for name, payload, stop in _boxes(f, *moov):
        if name != "trak":
            continue
        mdia = _child(f, payload, stop, "mdia")
        if mdia is None:
            continue
        hdlr = _child(f, *mdia, "hdlr")
        if hdlr is None:
            continue
        f.seek(hdlr[0] + 8)  # version/flags, pre_defined
        if f.read(4) != b"vide":
            continue
        duration = None
        mdhd = _child(f, *mdia, "mdhd")
        if mdhd is not None:
            f.seek(mdhd[0])
            version = f.read(1)[0]
            if version == 1:
                f.seek(mdhd[0] + 4 + 16)
                timescale, length = struct.unpack(">IQ", f.read(12))
            else:
                f.seek(mdhd[0] + 4 + 8)
                timescale, length = struct.unpack(">II", f.read(8))
            if timescale:
                duration = length / timescale
        frames = None
        minf = _child(f, *mdia, "minf")
        stbl = _child(f, *minf, "stbl") if minf else None
        stsz = _child(f, *stbl, "stsz") if stbl else None
        if stsz is not None:
            f.seek(stsz[0] + 8)  # version/flags, sample_size
            frames = struct.unpack(">I", f.read(4))[0] or None  # 0 in fragmented files: unknown
        return frames, duration
    return None, None


def measure(path: Path | str) -> MediaRecord:
    """Record a finished file: its size, and for MP4/MOV the video frame count and duration
    its header declares (read from the boxes, nothing decoded). Unknown fields stay None."""
    path = Path(path)
    size = path.stat().st_size
    frames = duration = None
    with path.open("rb") as f:
        if _is_iso(f):
            top, problem = _iso_structure(f, size)
            moov = next(((p, e) for k, p, e in top if k == "moov"), None)
            if problem is None and moov is not None:
                try:
                    frames, duration = _video_header(f, moov)
                except (_Broken, struct.error, IndexError):
                    frames = duration = None
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            frames = 1
    return MediaRecord(frames, round(duration, 6) if duration is not None else None, size)


# --------------------------------------------------------------------------- the cheap check


def quick_problem(path: Path | str, size_bytes: int | None = None) -> str | None:
    """Why ``path`` is visibly damaged, or None. Cheap: a stat and a walk of the MP4 box headers.

    ``size_bytes`` is the size recorded when the file was made (None: not recorded).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "file is missing"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if not path.is_file():
        return "not a regular file"
    if size == 0:
        return "file is empty"
    if size_bytes is not None and size != size_bytes:
        return f"size is {size} bytes, {size_bytes} were recorded (truncated or overwritten)"
    try:
        with path.open("rb") as f:
            if _is_iso(f):
                return _iso_structure(f, size)[1]
            if path.suffix.lower() in ISO_SUFFIXES:
                return "not an MP4/MOV file (no box header)"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    return None


# --------------------------------------------------------------------------- the full decode

_FRAME = re.compile(r"^frame=(\d+)\s*$", re.M)
_FPS = re.compile(r"Stream #\S+.*?: Video: .*?(\d+(?:\.\d+)?) fps")


@dataclass(frozen=True)
class Decoded:
    frames: int
    fps: float | None

    @property
    def duration_s(self) -> float | None:
        return self.frames / self.fps if self.fps else None


def decode_video(path: Path | str, timeout: float = DEEP_TIMEOUT) -> Decoded:
    """Decode every frame of the first video stream (discarding them); count what decoded.

    Raises FFmpegError naming the file when ffmpeg cannot open or decode it at all.
    """
    path = Path(path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-i", str(path),
           "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "null", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FFmpegError(f"{path}: decoding took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        errors = [ln.strip() for ln in proc.stderr.splitlines() if "rror" in ln or "nvalid" in ln or "not found" in ln]
        raise FFmpegError(f"{path}: ffmpeg cannot decode it ({errors[0] if errors else f'exit {proc.returncode}'})")
    counts = _FRAME.findall(proc.stdout)
    fps = _FPS.search(proc.stderr)
    return Decoded(int(counts[-1]) if counts else 0, float(fps.group(1)) if fps else None)


def deep_problem(path: Path | str, record: MediaRecord | None = None, timeout: float = DEEP_TIMEOUT) -> str | None:
    """Why ``path`` is damaged after fully decoding it, or None. Slow: for ``validate --deep``.

    Video: every frame is decoded; fewer frames (or a shorter duration) than ``record`` says is
    truncation. Images: PIL decodes the pixels. Other files: the cheap check only.
    """
    path = Path(path)
    record = record or MediaRecord()
    cheap = quick_problem(path, record.size_bytes)
    if cheap is not None:
        return cheap
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return _image_problem(path)
    with path.open("rb") as f:
        iso = _is_iso(f)
    if not iso and suffix not in ISO_SUFFIXES:
        return None
    try:
        decoded = decode_video(path, timeout)
    except FFmpegError as exc:
        return f"unreadable: {str(exc).removeprefix(f'{path}: ')}"
    if decoded.frames == 0:
        return "unreadable: no video frame decodes"
    if record.frames is not None and decoded.frames < record.frames:
        return f"truncated: {decoded.frames} of {record.frames} recorded frames decode"
    if record.duration_s is not None and decoded.duration_s is not None and record.frames is None:
        step = 1.0 / decoded.fps if decoded.fps else 0.0
        if decoded.duration_s + step / 2 < record.duration_s:
            return f"truncated: {decoded.duration_s:.2f} s of {record.duration_s:.2f} s recorded decode"
    return None


def _image_problem(path: Path) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
    except UnidentifiedImageError:
        return "unreadable: not an image PIL can read"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"unreadable image: {exc}"
    return None
