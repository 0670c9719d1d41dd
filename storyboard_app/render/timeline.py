"""The animatic's timeline: which picture plays at which output frame.

Shots play back to back in timeline order, so the animatic lasts exactly the sum of the shot
durations (plus the optional title slate). A dissolve of N frames is centred on the cut: it starts
N//2 frames before the cut and uses held frames as handles (the outgoing shot's last frame, the
incoming shot's first frame), so it never changes the length of the cut. A fade from black
darkens the first N frames of its shot.

Frames are counted at the integer timebase ``fps``; ``rate`` is the real playback rate (24000/1001
for a 23.976 project), the one every frames-to-seconds conversion uses (encode rate, audio
placement, subtitle times). Takes are conformed frame for frame at the timebase: a generator
renders 72 frames for a 72-frame shot and they play at 23.976 (pull-down, as film is
transferred), so a clip never gains or loses a frame against its cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..model import Project, Shot, TakeStatus, TransitionKind
from ..model.bundle import BundlePaths

STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Segment:
    index: int
    shot: Shot
    scene: str
    start: int  # first output frame (after the slate)
    frames: int
    media: Path | None  # the selected take's file, None → placeholder
    still: bool = False  # media is an image: animate it with the shot's camera move
    scale: float = 1.0  # export fps / project fps (transition lengths are in project frames)

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def dissolve_in(self) -> int:
        tr = self.shot.transition_in
        length = int(round(tr.frames * self.scale))
        return min(length, self.frames) if tr.kind == TransitionKind.DISSOLVE and self.index > 0 else 0

    @property
    def fade_in(self) -> int:
        tr = self.shot.transition_in
        length = int(round(tr.frames * self.scale))
        return min(length, self.frames) if tr.kind == TransitionKind.FADE_FROM_BLACK else 0


@dataclass(frozen=True)
class Timeline:
    segments: tuple[Segment, ...]
    slate_frames: int
    fps: int
    rate: Fraction | None = None  # the real rate; None: ``fps`` itself

    @property
    def frame_rate(self) -> Fraction:
        return self.rate if self.rate is not None else Fraction(self.fps)

    def seconds(self, frames: int) -> float:
        """Where output frame ``frames`` starts, in seconds at the real rate (exact, then float)."""
        return float(frames / self.frame_rate)

    @property
    def shot_frames(self) -> int:
        return sum(s.frames for s in self.segments)

    @property
    def total_frames(self) -> int:
        return self.slate_frames + self.shot_frames


def build_timeline(project: Project, bundle: Path | str, slate_frames: int = 0, fps: int | None = None) -> Timeline:
    """Shots in order; at another ``fps`` than the project's, each cut lands on the nearest output
    frame of its exact time, so the total length is kept to within one frame.

    ``fps`` None (or the project's timebase) plays at the project's real rate (23.976 for an NTSC
    project); another ``fps`` is a whole-number output rate."""
    paths = BundlePaths(bundle)
    fps, rate = output_rate(project, fps)
    scale = fps / project.fps
    segments = []
    index = 0
    project_frames = 0  # where the next shot starts, in project frames
    for seq in project.sequences:
        for shot in seq.shots:
            media, still = selected_media(paths, shot)
            start = int(round(project_frames * scale))
            end = int(round((project_frames + shot.duration) * scale))
            segments.append(Segment(index, shot, seq.name, slate_frames + start, max(end - start, 1), media, still, scale))
            project_frames += shot.duration
            index += 1
    return Timeline(tuple(segments), slate_frames, fps, rate)


def output_rate(project: Project, fps: int | None = None) -> tuple[int, Fraction]:
    """(timebase, real rate) of an output: the project's own (23.976 stays 24000/1001) unless
    another whole ``fps`` is asked for."""
    if fps is None or fps == project.fps:
        return project.fps, project.frame_rate
    return fps, Fraction(fps)


def encoder_rate(rate: Fraction) -> int | Fraction:
    """The rate as the segment encoder is told it: a whole rate stays an ``int``, so the segment
    cache keys of ordinary (24, 25, 30 fps) projects do not change with the NTSC support."""
    return int(rate) if rate.denominator == 1 else rate


def to_export_frames(project_frames: int, project_fps: int, fps: int) -> int:
    return int(round(project_frames * fps / project_fps))


def selected_media(paths: BundlePaths, shot: Shot) -> tuple[Path | None, bool]:
    """The selected take's file if it is done and present (else None: a placeholder is shown)."""
    take = shot.selected_take
    if take is None or take.status != TakeStatus.DONE or not take.media_path:
        return None, False
    try:
        path = paths.media_path(take.media_path)
    except ValueError:
        return None, False
    if not path.is_file():
        return None, False
    return path, path.suffix.lower() in STILL_SUFFIXES


def segment_at(timeline: Timeline, frame: int, hint: int = 0) -> int:
    """Index of the segment that owns output ``frame`` (searching forward from ``hint``)."""
    segments = timeline.segments
    i = min(max(hint, 0), len(segments) - 1)
    while i > 0 and frame < segments[i].start:
        i -= 1
    while i < len(segments) - 1 and frame >= segments[i].end:
        i += 1
    return i


#: what output frame n shows, as data (``frame_plan``): ("slate",), ("black",),
#: ("shot", i, local, fade) with fade the fade-from-black weight or None, or
#: ("dissolve", a, local_a, b, local_b, t) mixing segment a into segment b with weight t
PicturePlan = tuple


def frame_plan(timeline: Timeline, n: int, hint: int = 0) -> tuple[int, PicturePlan]:
    """(owner segment index or -1, the picture plan) for output frame ``n``.

    The single definition of which sources make a frame: the exporter draws what it says, and
    the segment cache (segments.py) cuts and keys its segments by it, so a cached segment can
    never disagree with what a fresh render would draw. A dissolve of N frames starts N//2
    frames before its cut and uses held handles (see the module docstring).
    """
    if n < timeline.slate_frames:
        return -1, ("slate",)
    segments = timeline.segments
    if not segments:
        return -1, ("black",)
    i = segment_at(timeline, n, hint)
    seg = segments[i]
    nxt = segments[i + 1] if i + 1 < len(segments) else None
    if nxt is not None and nxt.dissolve_in and n >= nxt.start - nxt.dissolve_in // 2:
        return i, _dissolve_plan(seg, nxt, n)
    if seg.dissolve_in and n < seg.start + (seg.dissolve_in - seg.dissolve_in // 2):
        return i, _dissolve_plan(segments[i - 1], seg, n)
    local = n - seg.start
    fade = local / seg.fade_in if seg.fade_in and local < seg.fade_in else None
    return i, ("shot", i, local, fade)


def _dissolve_plan(a: Segment, b: Segment, n: int) -> PicturePlan:
    length = b.dissolve_in
    begin = b.start - length // 2
    t = (n - begin + 0.5) / length
    return ("dissolve", a.index, min(n - a.start, a.frames - 1), b.index, max(n - b.start, 0), t)
