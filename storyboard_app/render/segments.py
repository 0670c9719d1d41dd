"""The segment cache: the animatic's video kept as independently encoded pieces, so a re-render
after one edit re-encodes only the pieces that edit touched and joins the rest by stream copy.

How the picture is cut (``plan_chunks``): every output frame is made from a set of sources
(``timeline.frame_plan``): the slate, one shot, or two shots mixed by a dissolve. A segment is a
maximal run of frames with the same set, so a hard cut ends a segment, and a dissolve is a short
segment of its own between the bodies of its two shots. Editing a shot then touches its body,
and the dissolves at its edges, never its neighbours' bodies.

What a segment is keyed by (``Chunk.key``, a SHA-256): everything ``FrameComposer`` reads to draw
those frames and everything the encoder is told: the per-frame picture plan (in shot-local frames,
so a segment does not change when shots before it move), each contributing shot's take file
identity (path, size, mtime, inode), its length, conform mode, camera move for stills,
placeholder text; the burn-in switches and the text of every burn-in drawn in it (shot label,
caption, the dialogue subtitles that cross it, the timecode's start frame when the timecode is
burnt in, the slate's text); size, fps, x264 preset, crf, encoder threads, ffmpeg's version and
``FORMAT_VERSION`` (bump it when drawing code changes what a frame looks like).

Why the join is valid: every segment is a separate x264 run with the same encoder settings
(``encoder.x264_args``), so it starts on an IDR frame and carries identical SPS/PPS, whether its
frames were composed in Python (``Yuv420Writer``) or decoded and burnt in by the encoder's own
ffmpeg (``fused.py``, a shot's body; tests/render/test_fused.py checks the parameter sets);
ffmpeg's concat demuxer joins them with ``-c copy``. Since a cold render encodes exactly the same segments (from an empty cache), a
re-render is bit-identical in its video frames to a cold render of the same project.

Storage: ``BUNDLE/cache/segments/`` (``SegmentCache``), files named by key, written to a hidden
temporary name and renamed when complete (a killed encoder leaves no segment, only a ``.tmp-``
file the next sweep removes). The cache is bounded (``DEFAULT_LIMIT_BYTES``): after each render
the least recently used segments not used by that render are removed until the cache fits; a
segment used in the last ``KEEP_RECENT_S`` seconds is never removed (another render may be
joining it right now).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from ..model import ConformMode
from .burnins import BurnIns, shot_caption, shot_label
from .subtitles import DialogueCue
from .timeline import Segment, Timeline, frame_plan

#: bump when a change to the drawing code changes the frames a segment holds
FORMAT_VERSION = 2
#: x264 threads per segment encoder: fixed (not the machine's core count) so that the same
#: segment is the same bytes on every machine; parallelism comes from several encoders at once
ENCODER_THREADS = 1
#: the cache's size bound (bytes); ``STORYBOARD_SEGMENT_CACHE_MB`` overrides it
DEFAULT_LIMIT_BYTES = 2 * 1024**3
#: segments used this recently are kept whatever the bound (a concurrent render may need them)
KEEP_RECENT_S = 600.0
#: temporary files older than this are leftovers of a killed render
STALE_TMP_S = 3600.0
SUFFIX = ".mp4"


@dataclass(frozen=True)
class Chunk:
    """One segment of the animatic's video: output frames [start, start + frames)."""

    start: int
    frames: int
    sources: tuple[int, ...]  # the timeline segment indices drawn in it (empty: slate or black)
    key: str

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def name(self) -> str:
        return f"{self.key}{SUFFIX}"


@dataclass(frozen=True)
class EncoderSettings:
    """What the encoder is told; part of every key, identical for every segment of a render."""

    width: int
    height: int
    fps: int | Fraction  # the real rate (24000/1001 for 23.976), as the encoder is told it
    preset: str
    crf: int  # the quality value: a constant rate factor, or the constant quantiser under "qp"
    threads: int = ENCODER_THREADS
    rate_control: str = "crf"  # "crf" or "qp" (x264's option that ``crf`` is given to)


# ------------------------------------------------------------------ cutting and keying
def plan_chunks(project, timeline: Timeline, cues: list[DialogueCue], burnins: BurnIns,  # noqa: ANN001
                encoder: EncoderSettings, slate_note: str = "") -> list[Chunk]:
    """The segments of ``timeline`` in order, covering every output frame exactly once.
    ``slate_note`` is the slate's extra line (ExportOptions.slate_note): part of the slate's key."""
    runs: list[tuple[int, int, tuple, list]] = []  # (start, end, sources, [(owner, plan, count)])
    for start, owner, plan, count in _plan_items(timeline):
        sources = _sources(plan)
        if runs and runs[-1][2] == sources:
            items = runs[-1][3]
            last_owner, last_plan, last_count = items[-1]
            if (plan[0] == "shot" and plan[3] is None and last_plan[0] == "shot" and last_plan[3] is None
                    and last_owner == owner and last_plan[2] + last_count == plan[2]) or (
                    plan[0] in ("slate", "black") and last_plan == plan):
                items[-1] = (last_owner, last_plan, last_count + count)  # one canonical run
            else:
                items.append((owner, plan, count))
            runs[-1] = (runs[-1][0], start + count, sources, items)
        else:
            runs.append((start, start + count, sources, [(owner, plan, count)]))
    common = _common_key(project, timeline, burnins, encoder)
    cue_spans = _cue_spans(timeline, cues) if burnins.subtitles else _CueSpans([])
    chunks = []
    for start, end, sources, items in runs:
        key = _chunk_key(common, project, timeline, burnins, start, end, sources, items, cue_spans, slate_note)
        chunks.append(Chunk(start, end - start, tuple(s for s in sources if isinstance(s, int)), key))
    return chunks


def _plan_items(timeline: Timeline):  # noqa: ANN202 - yields (first frame, owner, plan, frame count)
    """``frame_plan`` for every output frame, without asking it for every frame: near each cut
    (within the reach of the dissolves and fade at that cut) frame by frame; a shot's interior, where no transition
    reaches, as one ("shot", i, first local frame, None) item covering ``count`` frames."""
    slate = timeline.slate_frames
    if slate:
        yield 0, -1, ("slate",), slate
    segments = timeline.segments
    if not segments:
        extra = timeline.total_frames - slate
        if extra > 0:
            yield slate, -1, ("black",), extra
        return
    hint = 0
    for i, seg in enumerate(segments):
        # frame_plan looks at this shot's own dissolve and fade and at the next shot's dissolve
        dissolve = seg.dissolve_in
        head = max(dissolve - dissolve // 2, seg.fade_in) + 1
        tail = (segments[i + 1].dissolve_in // 2 if i + 1 < len(segments) else 0) + 1
        head_end = min(seg.start + head, seg.end)
        tail_start = max(seg.end - tail, head_end)
        for n in range(seg.start, head_end):
            owner, plan = frame_plan(timeline, n, hint)
            hint = owner
            yield n, owner, plan, 1
        if tail_start > head_end:
            yield head_end, seg.index, ("shot", seg.index, head_end - seg.start, None), tail_start - head_end
        for n in range(tail_start, seg.end):
            owner, plan = frame_plan(timeline, n, hint)
            hint = owner
            yield n, owner, plan, 1


def _sources(plan: tuple) -> tuple:
    if plan[0] == "shot":
        return (plan[1],)
    if plan[0] == "dissolve":
        return (plan[1], plan[3])
    return (plan[0],)  # "slate" / "black"


@functools.cache
def ffmpeg_version() -> tuple:
    """Which ffmpeg encodes (its binary's identity: no subprocess, so Play can plan at once)."""
    from ..media.ffmpeg import ffmpeg_exe

    return media_identity(Path(ffmpeg_exe())) or ("unknown",)


def _common_key(project, timeline: Timeline, burnins: BurnIns, encoder: EncoderSettings) -> str:  # noqa: ANN001
    return repr((FORMAT_VERSION, ffmpeg_version(), asdict(encoder), asdict(burnins), timeline.fps,
                 str(project.render.conform)))


class _CueSpans(list):
    """(start frame, frames, speaker, text) of every cue, sorted by start, with the starts and
    the longest cue for a bisect (thousands of segments x thousands of lines stay cheap)."""

    def __init__(self, spans: list[tuple[int, int, str, str]]):
        super().__init__(sorted(spans))
        self.starts = [span[0] for span in self]
        self.longest = max((span[1] for span in self), default=0)


def _cue_spans(timeline: Timeline, cues: list[DialogueCue]) -> _CueSpans:
    return _CueSpans([(timeline.slate_frames + c.start_frame, c.frames, c.speaker, c.text) for c in cues])


def _cues_between(spans: _CueSpans, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """The cues that play during frames [start, end)."""
    lo = bisect.bisect_left(spans.starts, start - spans.longest)
    hi = bisect.bisect_left(spans.starts, end)
    return [span for span in spans[lo:hi] if span[0] + span[1] > start]


def media_identity(path: Path | None) -> tuple | None:
    """A take file's identity without reading it: takes are written once under fresh names
    (or replaced atomically, which changes the inode and mtime), so this names its content."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), "missing")
    return (str(Path(path).absolute()), st.st_size, st.st_mtime_ns, st.st_ino)


def _describe(project, seg: Segment, burnins: BurnIns) -> tuple:  # noqa: ANN001
    """Everything about one shot that its frames (picture and per-shot burn-ins) depend on."""
    shot = seg.shot
    # a shot's length changes its frames only where the take is stretched to it (slow conform)
    # or animated over it (a still's camera move); otherwise a longer shot holds its last frame
    stretched = seg.still or (seg.media is not None and project.render.conform == ConformMode.SLOW)
    return (
        media_identity(seg.media),
        seg.frames if stretched else None,
        (shot.camera_move.value, shot.camera_strength, seg.index) if seg.still else None,
        (shot.number or str(seg.index + 1), shot.prompt) if seg.media is None else None,
        shot_label(shot, seg.index, seg.scene) if burnins.shot_label else None,
        shot_caption(shot) if burnins.caption else None,
    )


def _chunk_key(common: str, project, timeline: Timeline, burnins: BurnIns, start: int, end: int,  # noqa: ANN001
               sources: tuple, plans: list, cue_spans: _CueSpans, slate_note: str = "") -> str:
    local = {s: i for i, s in enumerate(x for x in sources if isinstance(x, int))}
    owners = sorted({o for o, _, _ in plans if o >= 0})
    for o in owners:
        local.setdefault(o, len(local))

    def rel(plan: tuple) -> tuple:
        if plan[0] == "shot":
            return ("shot", local[plan[1]], plan[2], plan[3])
        if plan[0] == "dissolve":
            return ("dissolve", local[plan[1]], plan[2], local[plan[3]], plan[4], plan[5])
        return plan

    segments = timeline.segments
    parts = [common, end - start,
             [(local.get(o, -1), rel(p), c) for o, p, c in plans],
             sorted((i, _describe(project, segments[s], burnins)) for s, i in local.items())]
    if burnins.timecode:
        parts.append(("timecode", start - timeline.slate_frames))
    if burnins.subtitles:
        parts.append([(s - start, f, sp, tx) for s, f, sp, tx in _cues_between(cue_spans, start, end)])
    if plans and plans[0][1][0] == "slate":
        n = len(segments)
        parts.append(("slate", project.title, project.width, project.height, timeline.fps, timeline.frame_rate, n,
                      slate_note))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]


# ------------------------------------------------------------------ the cache on disk
def cache_limit_bytes() -> int:
    value = os.environ.get("STORYBOARD_SEGMENT_CACHE_MB")
    if value:
        with contextlib.suppress(ValueError):
            return max(int(float(value) * 1024 * 1024), 0)
    return DEFAULT_LIMIT_BYTES


class SegmentCache:
    """Encoded segments in one folder, by key; complete files only (atomic rename)."""

    def __init__(self, root: Path | str, limit_bytes: int | None = None):
        self.root = Path(root)
        self.limit = cache_limit_bytes() if limit_bytes is None else limit_bytes

    def path(self, chunk: Chunk) -> Path:
        return self.root / chunk.name

    def has(self, chunk: Chunk) -> bool:
        return self.path(chunk).is_file()

    def temp_path(self, chunk: Chunk) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f".tmp-{os.getpid()}-{threading.get_ident()}-{chunk.key}{SUFFIX}"

    def commit(self, chunk: Chunk, temp: Path) -> Path:
        target = self.path(chunk)
        os.replace(temp, target)
        return target

    def touch(self, chunks: Iterable[Chunk]) -> None:
        """Mark segments as used now (the sweep removes the least recently used first)."""
        now = time.time()
        for chunk in chunks:
            with contextlib.suppress(OSError):
                os.utime(self.path(chunk), (now, now))

    def _files(self) -> list[Path]:
        """Complete cache files: segments and encoded soundtracks (not temporary files)."""
        if not self.root.is_dir():
            return []
        return [p for pattern in (f"[!.]*{SUFFIX}", "[!.]*.m4a") for p in self.root.glob(pattern)]

    def size(self) -> int:
        return sum(p.stat().st_size for p in self._files() if p.is_file())

    def clear(self) -> int:
        """Remove every complete segment (not temporary files of a render in progress); returns
        the bytes freed."""
        freed = 0
        for p in self._files():
            with contextlib.suppress(OSError):
                size = p.stat().st_size
                p.unlink()
                freed += size
        return freed

    def sweep(self, keep: Iterable[Chunk] = (), now: float | None = None) -> list[Path]:
        """Bound the cache: remove stale temporary files, then least-recently-used segments not
        in ``keep`` and not used in the last ``KEEP_RECENT_S`` seconds until it fits the limit."""
        if not self.root.is_dir():
            return []
        now = time.time() if now is None else now
        removed: list[Path] = []
        for tmp in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > STALE_TMP_S:
                    tmp.unlink()
                    removed.append(tmp)
        keep_names = {c.name for c in keep}
        entries = []
        total = 0
        for p in self._files():
            with contextlib.suppress(OSError):
                st = p.stat()
                total += st.st_size
                if p.name not in keep_names and now - max(st.st_atime, st.st_mtime) > KEEP_RECENT_S:
                    entries.append((max(st.st_atime, st.st_mtime), st.st_size, p))
        for _, size, p in sorted(entries):
            if total <= self.limit:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
                removed.append(p)
        return removed


# ------------------------------------------------------------------ encoding in parallel
#: encode_one(chunk, temp_path, should_stop, frame_done) writes one segment to temp_path
EncodeOne = Callable[[Chunk, Path, Callable[[], bool], Callable[[int], None]], None]


def default_workers() -> int:
    """A small pool: one encoder per core, at most 4 (each also runs a decoder)."""
    return max(1, min(os.cpu_count() or 1, 4))


def encode_missing(chunks: list[Chunk], cache: SegmentCache, encode_one: EncodeOne, *,
                   workers: int | None = None, cancelled: Callable[[], bool] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   on_ready: Callable[[Chunk, Path], None] | None = None,
                   longest_first: bool = True) -> int:
    """Encode the chunks the cache lacks, ``workers`` at a time. Returns how many were encoded.

    ``progress(frames_done, frames_total)`` counts cached frames as done from the start.
    The first failure (or a cancel) stops the other encoders; every temporary file is removed
    and the exception is re-raised. ``on_ready(chunk, path)`` runs as each segment is committed.
    ``longest_first`` (a render: the pool finishes together) or in the given order (the player:
    nearest the playhead first).
    """
    missing: list[Chunk] = []
    seen: set[str] = set()
    for chunk in chunks:
        if chunk.key not in seen and not cache.has(chunk):
            missing.append(chunk)
            seen.add(chunk.key)
    total = sum(c.frames for c in chunks)
    done = [total - sum(c.frames for c in chunks if c.key in seen)]
    lock = threading.Lock()
    stop = threading.Event()
    report = progress or (lambda d, t: None)
    report(done[0], total)

    def should_stop() -> bool:
        return stop.is_set() or (cancelled is not None and cancelled())

    def frame_done(count: int) -> None:
        with lock:
            done[0] += count
            value = done[0]
        report(value, total)

    def run(chunk: Chunk) -> None:
        if should_stop():
            return
        temp = cache.temp_path(chunk)
        try:
            encode_one(chunk, temp, should_stop, frame_done)
            if should_stop():
                return
            path = cache.commit(chunk, temp)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()
        if on_ready is not None:
            on_ready(chunk, path)

    if not missing:
        return 0
    # longest first: the pool finishes together instead of waiting on one long shot at the end
    order = sorted(missing, key=lambda c: -c.frames) if longest_first else missing
    with ThreadPoolExecutor(max_workers=max(1, min(workers or default_workers(), len(order))),
                            thread_name_prefix="segment-encoder") as pool:
        futures = [pool.submit(run, chunk) for chunk in order]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in finished):
            stop.set()
        wait(futures)
    from ..media.ffmpeg import Cancelled

    errors = [f.exception() for f in futures if f.exception() is not None]
    # the encoder that failed first, not the ones it stopped (they raise Cancelled)
    errors.sort(key=lambda e: isinstance(e, Cancelled))
    if errors:
        raise errors[0]
    if cancelled is not None and cancelled():
        raise Cancelled("render cancelled")
    return len(missing)


def concat_list(paths: Iterable[Path], target: Path) -> Path:
    """An ffmpeg concat-demuxer list of ``paths`` (absolute, quoted)."""
    lines = ["ffconcat version 1.0"]
    for p in paths:
        escaped = str(Path(p).absolute()).replace("'", "'\\''")
        lines.append(f"file '{escaped}'")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
