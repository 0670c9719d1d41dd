"""Shot-body segments encoded by one ffmpeg: the take decoded, burnt in and encoded in one process.

Most of an animatic's frames are the body of one shot: a take played with its burn-ins, no
dissolve or fade (render/segments.py cuts those into segments of their own). The composed path
(``FrameComposer`` → ``Yuv420Writer``) decodes such a take in one ffmpeg, pipes every 1.4 MB
frame (720p yuv420p) into Python, blends the burn-ins there and pipes the frame on to a second
ffmpeg to encode: two full-frame pipe copies and a Python blend per frame, about a third of a
render's CPU. Here the encoder's ffmpeg decodes the take itself, with the same conform filter as
``ClipSource`` (sources.py: the same picture frames), and Python sends only the burn-in boxes:
a yuva420p stream holding the few regions any burn-in of the segment touches, stacked, which
ffmpeg's ``overlay`` filter blends onto the picture (straight alpha, as ``Overlay.draw`` does).

Where the composed path stays: slates, dissolves, fades, placeholder cards and takes stretched to
their shot (the "slow" conform picks source frames by a rule that ffmpeg's filters do not
express). Both paths end in the same x264 settings (encoder.py), so their segments join by
stream copy; which path encodes a segment depends only on what its key covers, so a re-render
makes the same bytes as a cold render.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media.ffmpeg import BT709_TAG, Cancelled, ffmpeg_exe
from ..model import ConformMode
from .encoder import Yuv420Writer, rate_arg, x264_args
from .segments import EncoderSettings
from .sources import conform_filter
from .timeline import Timeline, frame_plan
from .yuv import Overlay

#: burn-in regions closer than this (pixels) are sent as one box (fewer overlay filters)
MERGE_GAP = 16


@dataclass(frozen=True)
class Body:
    """A segment that is frames [first_local, first_local + frames) of one shot's take."""

    segment: int  # timeline segment index
    first_local: int
    frames: int
    media: Path


def body_of(timeline: Timeline, start: int, end: int, media: Path | None, conform: ConformMode) -> Body | None:
    """The ``Body`` output frames [start, end) are, or None when they need the composed path
    (not one shot, a fade, no take, or the slow conform)."""
    if media is None or conform == ConformMode.SLOW or end <= start:
        return None
    owner, plan = frame_plan(timeline, start)
    if owner < 0 or plan[0] != "shot" or plan[3] is not None:
        return None
    index, first = plan[1], plan[2]
    # a body segment is one canonical run (segments.plan_chunks): every later frame must be the
    # next frame of the same shot, no transition (by the plan of every frame: no decoding)
    for n in range(start + 1, end):
        owner, plan = frame_plan(timeline, n, owner)
        if plan[0] != "shot" or plan[1] != index or plan[3] is not None or plan[2] != first + (n - start):
            return None
    return Body(index, first, end - start, media)


# ------------------------------------------------------------------ the burn-in boxes
@dataclass(frozen=True)
class Box:
    """A region of the output frame that burn-ins touch, and the rows it occupies in the stream."""

    x: int
    y: int
    width: int
    height: int
    row: int  # where it sits in the stream: first row
    column: int = 0  # and first column


def layout_boxes(rects: Sequence[tuple[int, int, int, int]], gap: int = MERGE_GAP) -> list[Box]:
    """Boxes covering every rectangle (x0, y0, x1, y1), pairwise disjoint: rows of rectangles whose
    vertical extents meet (within ``gap``), each row split where its rectangles leave a wider
    horizontal gap. Then packed into the stream on shelves (``pack``)."""
    found: list[tuple[int, int, int, int]] = []  # x, y, width, height
    bands: list[list[tuple[int, int, int, int]]] = []
    for rect in sorted(set(rects), key=lambda r: (r[1], r[0])):
        if bands and rect[1] <= max(r[3] for r in bands[-1]) + gap:
            bands[-1].append(rect)
        else:
            bands.append([rect])
    for band in bands:
        top, bottom = min(r[1] for r in band), max(r[3] for r in band)
        groups: list[list[int]] = []  # [x0, x1]
        for x0, _, x1, _ in sorted(band):
            if groups and x0 <= groups[-1][1] + gap:
                groups[-1][1] = max(groups[-1][1], x1)
            else:
                groups.append([x0, x1])
        found += [(x0, top, x1 - x0, bottom - top) for x0, x1 in groups]
    return pack(found)


def pack(regions: list[tuple[int, int, int, int]]) -> list[Box]:
    """Place the regions in the stream on shelves as wide as the widest one, tallest first, each
    shelf filled left to right: the label and the timecode share a shelf instead of each taking
    a full-width strip (every stream byte goes through a pipe, every frame)."""
    if not regions:
        return []
    width = max(r[2] for r in regions)
    boxes: list[Box] = []
    shelf_row = shelf_height = used = 0
    for x, y, w, h in sorted(regions, key=lambda r: (-r[3], -r[2])):
        if used and used + w > width:
            shelf_row, shelf_height, used = shelf_row + shelf_height, 0, 0
        boxes.append(Box(x, y, w, h, shelf_row, used))
        used += w
        shelf_height = max(shelf_height, h)
    return boxes


class BoxStream:
    """Builds the yuva420p frames of the stacked boxes from each frame's overlays.

    Overlays that do not overlap are copied (their colour and alpha, as uint8); where two
    overlap, the later is composited over the earlier (the "over" operator), so that the one
    blend ffmpeg does equals drawing them one after the other.
    """

    def __init__(self, boxes: list[Box], frame_width: int, frame_height: int):
        self.boxes = boxes
        self.width = max(b.column + b.width for b in boxes)
        self.height = max(b.row + b.height for b in boxes)
        self.frame_width, self.frame_height = frame_width, frame_height
        w, h = self.width, self.height
        self.buffer = np.zeros(w * h * 5 // 2, np.uint8)  # Y, U, V, A planes
        ys, cs = w * h, (w // 2) * (h // 2)
        self.y = self.buffer[:ys].reshape(h, w)
        self.u = self.buffer[ys : ys + cs].reshape(h // 2, w // 2)
        self.v = self.buffer[ys + cs : ys + 2 * cs].reshape(h // 2, w // 2)
        self.a = self.buffer[ys + 2 * cs :].reshape(h, w)
        self._planes: dict[int, tuple[Overlay, tuple[int, int, int, int] | None, tuple]] = {}
        self._last_ids: list[int] | None = None
        self._last_rects: tuple | None = None
        self._overlapping: dict[tuple, bool] = {}  # per layout (the rectangles of one frame)

    def _prepared(self, overlay: Overlay) -> tuple[tuple[int, int, int, int], tuple] | None:
        entry = self._planes.get(id(overlay))
        if entry is None:
            part = overlay.visible(self.frame_width, self.frame_height)
            if part is None:
                entry = (overlay, None, ())
            else:
                x0, y0, x1, y1 = part.rect
                box = next(b for b in self.boxes
                           if b.x <= x0 and x1 <= b.x + b.width and b.y <= y0 and y1 <= b.y + b.height)
                tx, ty = box.column + x0 - box.x, box.row + y0 - box.y  # where it lands in the stream (even)
                planes = (tx, ty, x1 - x0, y1 - y0,
                          _u8(part.luma), _u8(part.u), _u8(part.v), _u8(part.alpha * 255.0),
                          part.luma, part.u, part.v, part.alpha, part.alpha_c)
                entry = (overlay, part.rect, planes)
            self._planes[id(overlay)] = entry  # the overlay is kept alive with its id
        return None if entry[1] is None else (entry[1], entry[2])

    def frame(self, overlays: list[Overlay]) -> np.ndarray:
        """The stream frame for one output frame's overlays. The same buffer, changed only where
        the overlays changed: when they sit where the previous frame's did (a running timecode),
        only the ones that differ are copied in."""
        ids = [id(o) for o in overlays]
        if ids == self._last_ids:
            return self.buffer
        prepared = [self._prepared(o) for o in overlays]
        rects = tuple(p[0] if p is not None else None for p in prepared)
        overlapping = self._overlapping.get(rects)
        if overlapping is None:
            overlapping = self._overlapping[rects] = _any_overlap([r for r in rects if r is not None])
        if rects == self._last_rects and not overlapping:
            for i, entry in enumerate(prepared):
                if entry is not None and ids[i] != self._last_ids[i]:  # type: ignore[index]
                    self._paste(entry[1])
        else:
            self.a.fill(0)
            drawn: list[tuple[int, int, int, int]] = []
            for entry in prepared:
                if entry is None:
                    continue
                rect, planes = entry
                if overlapping and any(_meet(rect, r) for r in drawn):
                    self._over(*planes[:4], *planes[8:])
                else:
                    self._paste(planes)
                drawn.append(rect)
        self._last_ids, self._last_rects = ids, rects
        return self.buffer

    def _paste(self, planes: tuple) -> None:
        tx, ty, w, h, y8, u8, v8, a8 = planes[:8]
        self.y[ty : ty + h, tx : tx + w] = y8
        self.a[ty : ty + h, tx : tx + w] = a8
        self.u[ty // 2 : (ty + h) // 2, tx // 2 : (tx + w) // 2] = u8
        self.v[ty // 2 : (ty + h) // 2, tx // 2 : (tx + w) // 2] = v8

    def _over(self, tx: int, ty: int, w: int, h: int, luma: np.ndarray, u: np.ndarray, v: np.ndarray,
              alpha: np.ndarray, alpha_c: np.ndarray) -> None:
        """Composite one overlay over what the stream already holds there (straight alpha)."""
        ys, xs = slice(ty, ty + h), slice(tx, tx + w)
        cys, cxs = slice(ty // 2, (ty + h) // 2), slice(tx // 2, (tx + w) // 2)
        below = self.a[ys, xs] / 255.0
        out_a = alpha + below * (1.0 - alpha)
        safe = np.where(out_a > 0, out_a, 1.0)
        self.y[ys, xs] = _u8((luma * alpha + self.y[ys, xs] * below * (1.0 - alpha)) / safe)
        a = self.a[ys, xs].astype(np.float32)
        below_c = (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / (4 * 255.0)
        out_c = alpha_c + below_c * (1.0 - alpha_c)
        safe_c = np.where(out_c > 0, out_c, 1.0)
        self.u[cys, cxs] = _u8((u * alpha_c + self.u[cys, cxs] * below_c * (1.0 - alpha_c)) / safe_c)
        self.v[cys, cxs] = _u8((v * alpha_c + self.v[cys, cxs] * below_c * (1.0 - alpha_c)) / safe_c)
        self.a[ys, xs] = _u8(out_a * 255.0)


def _meet(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _any_overlap(rects: list[tuple[int, int, int, int]]) -> bool:
    return any(_meet(a, b) for i, a in enumerate(rects) for b in rects[:i])


def _u8(plane: np.ndarray) -> np.ndarray:
    return np.clip(plane + 0.5, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------ the encoder
def filter_graph(body: Body, width: int, height: int, fps: int, rate: str, boxes: list[Box]) -> str:
    """The filter graph: the take conformed like ``ClipSource`` (held on its last frame when it is
    shorter than the shot), the segment's frames cut out and retimed to the output rate, then each
    box cropped from the stream (input 1) and overlaid where it belongs."""
    end = body.first_local + body.frames
    graph = [f"[0:v]{conform_filter(width, height, fps)},tpad=stop_mode=clone:stop={end},"
             f"trim=start_frame={body.first_local}:end_frame={end},settb=expr={_inverse(rate)},setpts=N[base]"]
    last = "base"
    if boxes:
        names = [f"s{i}" for i in range(len(boxes))]
        # tagged like the picture (BT.709, limited range): an untagged stream made ffmpeg insert
        # a YUV → RGB → YUV conversion of every box before the overlay (3 ms a frame at 720p)
        graph.append(f"[1:v]{BT709_TAG}," + (f"split={len(boxes)}" + "".join(f"[{n}]" for n in names) if len(boxes) > 1
                                else f"null[{names[0]}]"))
        for i, box in enumerate(boxes):
            graph.append(f"[{names[i]}]crop={box.width}:{box.height}:{box.column}:{box.row}[b{i}]")
            graph.append(f"[{last}][b{i}]overlay=x={box.x}:y={box.y}:format=yuv420:eof_action=endall[o{i}]")
            last = f"o{i}"
    graph.append(f"[{last}]{BT709_TAG},setsar=1[out]")
    return ";".join(graph)


def encode_body(body: Body, overlays_at: Callable[[int], list[Overlay]], start: int, temp: Path, *,
                encoder: EncoderSettings, fps: int, target: Path, should_stop: Callable[[], bool],
                frame_done: Callable[[int], None]) -> None:
    """Encode output frames [start, start + body.frames) of ``body`` into ``temp`` with the
    render's ``encoder`` settings; ``fps`` is the timeline's frame-counting rate (the conform
    filter's). ``overlays_at(n)`` gives the burn-ins of output frame n (``FrameComposer.overlays_at``)."""
    width, height = encoder.width, encoder.height
    per_frame = [overlays_at(n) for n in range(start, start + body.frames)]
    distinct = {id(o): o for overlays in per_frame for o in overlays}
    rects = [part.rect for o in distinct.values() if (part := o.visible(width, height)) is not None]
    boxes = layout_boxes(rects)
    stream = BoxStream(boxes, width, height) if boxes else None
    rate_text = rate_arg(encoder.fps)
    cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-nostats"]
    if stream is None:
        cmd.append("-nostdin")  # no box stream: stdin is not an input, and not a keyboard either
    cmd += ["-threads", "1", "-i", str(body.media)]
    if stream is not None:
        cmd += ["-f", "rawvideo", "-pix_fmt", "yuva420p", "-s", f"{stream.width}x{stream.height}",
                "-framerate", rate_text, "-i", "-"]
    with tempfile.NamedTemporaryFile("w+", suffix=".progress", delete=False) as progress_file:
        progress = Path(progress_file.name)
    cmd += ["-filter_complex", filter_graph(body, width, height, fps, rate_text, boxes),
            "-filter_complex_threads", "1", "-map", "[out]", "-frames:v", str(body.frames), "-r", rate_text,
            "-an", "-progress", str(progress), *x264_args(encoder.preset, encoder.crf, encoder.threads, faststart=False,
                                                    rate_control=encoder.rate_control),
            "-f", "mp4", str(temp)]
    try:
        with Yuv420Writer.from_command(cmd, temp, target) as writer:
            if stream is None:
                writer.proc.stdin.close()  # type: ignore[union-attr] - nothing to send
                while True:
                    try:
                        writer.proc.wait(timeout=0.1)
                        break
                    except subprocess.TimeoutExpired:  # still encoding
                        if should_stop():
                            raise Cancelled("export cancelled") from None
            else:
                writer.write_frames((stream.frame(overlays) for overlays in per_frame), should_stop, frame_done)
        made = _frames_encoded(progress)
    except RuntimeError as exc:  # ffmpeg's last words rarely name the input it could not read
        raise RuntimeError(f"{exc} (while reading the take {body.media})") from None
    finally:
        with contextlib.suppress(OSError):
            progress.unlink()
    if made != body.frames:
        raise RuntimeError(f"{body.media}: {made} frames could be decoded where the shot needs "
                           f"{body.frames} (the take is damaged or has no video)")
    if stream is None:
        frame_done(body.frames)


def _inverse(rate: str) -> str:
    """"24000/1001" → "1001/24000": the time base in which frame n's timestamp is exactly n (the
    fps filter's 1/24 base cannot hold n x 1001/24000 s; those timestamps were rounded by up to
    half a frame and left to the muxer's constant-rate logic to put back)."""
    num, _, den = rate.partition("/")
    return f"{den or 1}/{num}"


def _frames_encoded(progress: Path) -> int:
    """The last ``frame=`` ffmpeg's ``-progress`` file reported (0 when none)."""
    made = 0
    with contextlib.suppress(OSError):
        for line in progress.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("frame="):
                with contextlib.suppress(ValueError):
                    made = int(line[6:])
    return made
