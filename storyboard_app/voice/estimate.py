"""Speaking time estimated from the text, for views that must answer while the user types.

Synthesising a line takes a voice model (seconds to load) and the bundle's line cache, so the
inspector cannot wait for it after every keystroke. This estimate needs neither: a per-character
time plus a pause per sentence/clause mark, divided by the speaker's rate. Fitted on the bundled
piper voice (en_US-joe-medium) over the example project's lines, it lands within about 0.3 s of
the synthesised length and errs long, so a shot fitted to the estimate does not spill. The
exact numbers still come from ``VoiceService`` (the CLI's ``voice --fit``); both feed the same
``timing.vo_frames`` / ``timing.fit_shot_to_dialogue`` arithmetic.
"""

from __future__ import annotations

import contextlib
import math

from ..model import Project, Shot
from .timing import ShotTiming, vo_frames

SECONDS_BASE = 0.15  # onset and release of every line
SECONDS_PER_CHAR = 0.038  # letters, digits and spaces
SECONDS_PER_PAUSE = 0.42  # . , ; : ? ! and dashes
PAUSE_MARKS = set(".,;:?!—–")


def estimate_line_seconds(text: str, rate: float = 1.0) -> float:
    """Seconds the line takes to say; 0 for an empty line (it is not voiced)."""
    body = text.strip()
    if not body:
        return 0.0
    pauses = sum(1 for ch in body if ch in PAUSE_MARKS)
    chars = len(body) - pauses
    return (SECONDS_BASE + SECONDS_PER_CHAR * chars + SECONDS_PER_PAUSE * pauses) / max(rate, 0.05)


def estimate_line_frames(text: str, fps: float, rate: float = 1.0) -> int:
    """Whole frames for the line at the real rate ``fps`` (``Project.frame_rate``; rounded up,
    like ``timing.samples_to_frames``)."""
    return math.ceil(estimate_line_seconds(text, rate) * float(fps) - 1e-9)


def estimate_shot_timing(project: Project, shot: Shot) -> ShotTiming:
    """The shot's voiceover length against its picture, from the text of its lines."""
    durations = []
    for line in shot.dialogue:
        if not line.text.strip():
            continue
        rate = 1.0
        if line.speaker:
            with contextlib.suppress(KeyError):
                rate = project.character(line.speaker).voice.rate
        durations.append(estimate_line_frames(line.text, project.frame_rate, rate))
    render = project.render
    vo = vo_frames(durations, render.dialogue_lead_frames, render.dialogue_gap_frames)
    return ShotTiming(shot.id, shot.number, vo, shot.duration, len(durations))
