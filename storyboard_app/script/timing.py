"""How long an imported shot runs before anyone touches it: the pace rule.

A shot lasts as long as it takes to read its action plus to speak its dialogue:

* **action**: ``ACTION_SECONDS_PER_WORD`` (0.35 s, about 170 words a minute, the pace at which a
  storyboard artist reads a description aloud at a pitch) per word of the action paragraph;
* **dialogue**: each line's speaking time as ``voice.estimate`` predicts it for the speaker's
  rate (fitted on the bundled voice, it errs long), placed as the voiceover places lines: the
  project's lead before the first line, its gap between lines, plus ``DIALOGUE_TAIL_FRAMES``;
* at least ``MIN_SHOT_SECONDS`` (2 s) for any shot, and at least a transition's own length.

The rule is deliberately simple, so a director can predict it: a page of mixed action and
dialogue comes out close to the classic "one page, one minute". When temp voiceover is
synthesised (``storyboard-app animatic``), ``fit_to_voice`` replaces the estimate by the voiced
lengths: the shot then runs its action time plus its measured dialogue plus the tail.
"""

from __future__ import annotations

import math

from ..model import Project
from ..model.commands import Command, Compound, set_shot
from ..voice.estimate import estimate_line_seconds
from ..voice.timing import DEFAULT_TAIL_FRAMES, vo_frames

ACTION_SECONDS_PER_WORD = 0.35
MIN_SHOT_SECONDS = 2.0
DIALOGUE_TAIL_FRAMES = DEFAULT_TAIL_FRAMES


def action_frames(prompt: str, fps: int) -> int:
    """Frames it takes to read the action text (0 for none)."""
    words = len(prompt.split())
    return math.ceil(words * ACTION_SECONDS_PER_WORD * fps - 1e-9)


def minimum_frames(fps: int) -> int:
    return math.ceil(MIN_SHOT_SECONDS * fps - 1e-9)


def shot_frames(prompt: str, line_seconds: list[float], fps: int, lead: int, gap: int,
                transition_frames: int = 0) -> int:
    """The rule above for one shot, from its action text and each line's speaking seconds."""
    durations = [math.ceil(s * fps - 1e-9) for s in line_seconds if s > 0]
    dialogue = vo_frames(durations, lead, gap) + (DIALOGUE_TAIL_FRAMES if durations else 0)
    return max(action_frames(prompt, fps) + dialogue, minimum_frames(fps), transition_frames)


def estimated_line_seconds(text: str, rate: float = 1.0) -> float:
    return estimate_line_seconds(text, rate)


def fit_to_voice(project: Project, vo: dict[str, int], grow_only: set[str] | frozenset[str] = frozenset(),
                 label: str = "Fit shots to voiceover") -> Command | None:
    """One undo step setting each shot in ``vo`` (shot id → voiced frames from the shot's start
    to the end of its last line) to its action time plus that plus the tail (or the minimum).

    Used right after an import, where the durations are still the estimate: it shortens as well
    as lengthens, unlike ``voice --fit``, which never shortens a director's choice; shots in
    ``grow_only`` (a re-import's matched shots, whose length the director may have set) only grow.
    """
    parts: list[Command] = []
    fps = project.fps
    for shot in project.all_shots():
        frames = vo.get(shot.id, 0)
        if frames <= 0:
            continue
        target = max(action_frames(shot.prompt, fps) + frames + DIALOGUE_TAIL_FRAMES, minimum_frames(fps),
                     shot.transition_in.frames)
        if shot.id in grow_only:
            target = max(target, shot.duration)
        if target != shot.duration:
            parts.append(set_shot(shot.id, "duration", target, label))
    if not parts:
        return None
    return Compound(parts, label)
