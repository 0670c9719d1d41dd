"""Sizes and frame counts for real checkpoints, as pure functions (no torch): tested as rules,
because tiny test models have no native size and no frame-count rule.

* ``native_dims``: a checkpoint makes its best pictures at the *area* it was trained at; a
  16:9 project on SD-Turbo (512x512) renders at 680x384, not at 1664x936 (duplicated subjects,
  7x the pixels), and is then upscaled (Lanczos) to the size the camera move needs.
* ``plan_video``: a shot's length in model frames, within the model's frame-count rule
  (``step * k + 1``: 8k+1 for LTX, 4k+1 for Wan) and its maximum. A longer shot is made of
  continued segments (each starts from the previous segment's last frame, image-to-video),
  or, for a model that cannot continue, conformed: the clip is slowed to fill the shot, at most
  ``MAX_STRETCH`` times, and any remainder is the clip played again from its start. Never a
  frozen last frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the most a clip is slowed down to fill a shot when the model cannot continue it
MAX_STRETCH = 2.0


def round_to(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def native_dims(native: tuple[int, int], multiple: int, width: int, height: int) -> tuple[int, int]:
    """The ``native`` area at the ``width``:``height`` aspect, each side a ``multiple``."""
    area = native[0] * native[1]
    aspect = width / height
    return round_to(math.sqrt(area * aspect), multiple), round_to(math.sqrt(area / aspect), multiple)


def valid_frames(count: int, step: int, minimum: int = 1) -> int:
    """The smallest frame count ``>= count`` of the form ``step * k + 1``."""
    count = max(count, minimum, 1)
    return step * math.ceil((count - 1) / step) + 1 if step > 1 else count


def largest_valid(maximum: int, step: int) -> int:
    """The largest ``step * k + 1`` not above ``maximum``."""
    return step * ((maximum - 1) // step) + 1 if step > 1 else maximum


@dataclass(frozen=True)
class VideoPlan:
    """What to ask the video model for: ``segments`` frame counts (the 2nd on each continues from
    the previous one's last frame, which it repeats as its first), and how to fit the result."""

    needed: int  # model frames the shot's duration needs at the model's rate
    segments: tuple[int, ...]
    stretch: float = 1.0  # conform: play the clip this much slower (1.0: none)
    loops: bool = False  # conform: after the stretch, play it again from the start

    @property
    def frames(self) -> int:
        """Distinct frames the segments make (continued segments drop their repeated first)."""
        return self.segments[0] + sum(s - 1 for s in self.segments[1:])

    def describe(self) -> str:
        if len(self.segments) > 1:
            return f"{len(self.segments)} continued segments of {'+'.join(map(str, self.segments))} frames"
        if self.loops:
            return f"{self.segments[0]} frames slowed {self.stretch:.2f}x then repeated to fill the shot"
        if self.stretch > 1.0:
            return f"{self.segments[0]} frames slowed {self.stretch:.2f}x to fill the shot"
        return f"{self.segments[0]} frames"


def plan_video(shot_seconds: float, model_fps: float, *, step: int, max_frames: int,
               can_continue: bool, minimum: int = 1) -> VideoPlan:
    """Frames for a shot of ``shot_seconds`` on a model running at ``model_fps``."""
    needed = max(math.ceil(shot_seconds * model_fps - 1e-9), 1)
    top = largest_valid(max_frames, step)
    first = valid_frames(needed, step, minimum)
    if first <= top:
        return VideoPlan(needed, (first,))
    if can_continue:
        segments = [top]
        have = top
        while have < needed:
            # a continued segment repeats the previous last frame: it adds (length - 1) frames
            length = min(valid_frames(needed - have + 1, step, minimum), top)
            segments.append(length)
            have += length - 1
        return VideoPlan(needed, tuple(segments))
    stretch = needed / top
    if stretch <= MAX_STRETCH:
        return VideoPlan(needed, (top,), stretch=stretch)
    return VideoPlan(needed, (top,), stretch=MAX_STRETCH, loops=True)
