"""A quick estimate of how long a shot's dialogue runs, for drawing overflow as the director types.

Voicing a line takes a model load and real synthesis, far too slow to do per keystroke on the UI
thread, so the timeline card (and the inspector) draw from this estimate and say so ("≈"). The
exact numbers come from ``VoiceService.timing`` (the same ones ``voice --fit`` and the exporter
use); "Fit shot to dialogue" always fits to those, never to this estimate.

Calibration: the bundled piper voice (en_US-joe-medium) speaks English prose at about 15
characters per second at rate 1.0 (measured on a few lines of the example project); a line with
a recording is counted at this rate too, until it has been voiced once.
"""

from __future__ import annotations

import contextlib
import math

from ..model import Project, Shot
from .timing import ShotTiming, vo_frames

CHARS_PER_SECOND = 15.0


def estimate_line_frames(text: str, fps: int, rate: float = 1.0) -> int:
    """Frames a line of ``text`` takes when spoken at ``rate`` (rounded up; 0 for no text)."""
    chars = len(" ".join(text.split()))
    if not chars:
        return 0
    return max(1, math.ceil(chars / (CHARS_PER_SECOND * max(rate, 0.05)) * fps))


def estimate_shot_timing(project: Project, shot: Shot) -> ShotTiming:
    """The shot's voiceover against its picture, from the estimate above."""
    durations = []
    for line in shot.dialogue:
        rate = 1.0
        if line.speaker:
            with contextlib.suppress(KeyError):  # a deleted speaker: the default rate
                rate = project.character(line.speaker).voice.rate
        frames = estimate_line_frames(line.text, project.fps, rate)
        if frames:
            durations.append(frames)
    vo = vo_frames(durations, project.render.dialogue_lead_frames, project.render.dialogue_gap_frames)
    return ShotTiming(shot.id, shot.number, vo, shot.duration, len(durations))
