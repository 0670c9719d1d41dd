"""What a script says, before it touches a project: scenes, shots, lines and characters.

Both readers (Fountain, shot-list CSV) produce a ``ScriptDraft``; ``reimport`` turns a draft into
one undoable command on a project (new or existing). Keeping this step free of model ids makes
the preview ("what will be created") and the re-import matching plain comparisons of text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import CameraMove, ShotSize, TransitionKind


@dataclass
class LineDraft:
    speaker: str  # the character's name as the script writes it ("MAREN"); "" for a narrator
    text: str
    delivery: str = ""  # "V.O.; quietly"


@dataclass
class ShotDraft:
    prompt: str
    size: ShotSize = ShotSize.MS
    camera_move: CameraMove = CameraMove.STATIC
    lines: list[LineDraft] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)  # names, in order of appearance
    transition: TransitionKind = TransitionKind.CUT
    notes: list[str] = field(default_factory=list)
    number: str = ""  # a shot list's own shot number; "" to number on import
    #: seconds given by a shot list; None: timed by ``timing.shot_frames``
    duration_s: float | None = None
    duration_frames: int | None = None  # frames given by a shot list ("72f"); wins over seconds
    source_line: int = 0  # where it came from, for messages


@dataclass
class SceneDraft:
    name: str  # the heading as written: "INT. LIGHTHOUSE - NIGHT"
    location: str = ""
    time_of_day: str = ""
    scene_number: str = ""
    shots: list[ShotDraft] = field(default_factory=list)


@dataclass
class CharacterDraft:
    name: str  # display name, "Maren"
    key: str  # matching key, the upper-case script name: "MAREN"
    description: str = ""


@dataclass
class ScriptDraft:
    title: str = ""
    notes: str = ""
    scenes: list[SceneDraft] = field(default_factory=list)
    characters: list[CharacterDraft] = field(default_factory=list)
    source: str = ""  # file name, for messages and the undo label

    def shots(self) -> list[ShotDraft]:
        return [shot for scene in self.scenes for shot in scene.shots]


def character_key(name: str) -> str:
    """The key speakers and characters are matched by: case and spacing ignored."""
    return " ".join(name.upper().split())


def display_name(name: str) -> str:
    """"MAREN" → "Maren", "DR. OKAFOR" → "Dr. Okafor", "McKAY" stays as written."""
    if name != name.upper():
        return name
    return " ".join(part[:1] + part[1:].lower() if part.isalpha() or "." in part or "'" in part
                    else part.title() for part in name.split())
