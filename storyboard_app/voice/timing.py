"""Where dialogue sits in a shot, whether it fits, and the edit that makes it fit.

Pure arithmetic on frame counts (no audio, no engines), so the GUI can redraw line blocks on the
timeline and the exporter can place audio from the same numbers. A shot's lines play in order:
the first starts ``render.dialogue_lead_frames`` after the shot's start, each next one
``render.dialogue_gap_frames`` after the previous one ends. A line's length is rounded *up* to
whole frames, so a line never overlaps the next one or spills past a shot that "fits".
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..model import Project, Shot
from ..model.commands import Command, Compound, set_shot

#: frames of picture kept after the last line when a shot is fitted to its dialogue (0.5 s at 24)
DEFAULT_TAIL_FRAMES = 12


def samples_to_frames(samples: int, sample_rate: int, fps: int | Fraction) -> int:
    """Whole frames needed to hold ``samples`` (rounded up; exact rational arithmetic). ``fps`` is
    the real rate (``Project.frame_rate``): a second of speech is 24 frames at 23.976 too, but
    ten minutes of it are 14386, not 14400."""
    return -(-samples * fps // sample_rate)


def line_offsets(durations: list[int], lead: int, gap: int) -> list[int]:
    """Start frame of each line, counted from the shot's start."""
    offsets, at = [], lead
    for duration in durations:
        offsets.append(at)
        at += duration + gap
    return offsets


def vo_frames(durations: list[int], lead: int, gap: int) -> int:
    """Frames from the shot's start to the end of its last line; 0 for a shot with no lines."""
    if not durations:
        return 0
    return lead + sum(durations) + gap * (len(durations) - 1)


@dataclass(frozen=True)
class ShotTiming:
    """A shot's voiceover length against its picture length."""

    shot_id: str
    number: str
    vo_frames: int
    shot_frames: int
    lines: int

    @property
    def overlong(self) -> bool:
        return self.vo_frames > self.shot_frames

    @property
    def excess_frames(self) -> int:
        return max(self.vo_frames - self.shot_frames, 0)


def overlong_shots(timings: list[ShotTiming]) -> list[ShotTiming]:
    """The shots whose voiceover runs past their end, in timeline order."""
    return [t for t in timings if t.overlong]


def fit_shot_to_dialogue(
    shot: Shot, vo: int, tail: int = DEFAULT_TAIL_FRAMES
) -> Command | None:
    """The undoable edit that extends ``shot`` to its voiceover plus ``tail``; None if it fits.

    Only ever lengthens: a shot held longer than its dialogue is a director's choice.
    """
    if vo <= 0 or shot.duration >= vo + tail:
        return None
    return set_shot(shot.id, "duration", vo + tail, "Fit shot to dialogue")


def fit_shots_to_dialogue(
    project: Project,
    timings: list[ShotTiming],
    tail: int = DEFAULT_TAIL_FRAMES,
    only_overlong: bool = True,
) -> Command | None:
    """One undo step that fits several shots (by default only those whose VO is too long)."""
    parts: list[Command] = []
    for timing in timings:
        if only_overlong and not timing.overlong:
            continue
        command = fit_shot_to_dialogue(project.shot(timing.shot_id), timing.vo_frames, tail)
        if command is not None:
            parts.append(command)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Compound(parts, "Fit shots to dialogue")
