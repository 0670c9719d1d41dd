"""The project's data types: plain dataclasses, no Qt, no torch.

Time is always an integer number of frames at the project's fps (as OpenTimelineIO counts it),
never float seconds, so edits and exports agree to the frame. Every object that other objects
refer to has a stable string id; display numbers ("3A") are for people and may change.

The classes carry no behaviour beyond small lookups: edits go through ``commands`` so that every
change has an inverse, and loading/validation lives in ``bundle``/``validation``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from pydantic import ConfigDict

from . import timecode as _timecode

#: The strict, closed schema the loader validates against: unknown keys are errors, not silently
#: dropped data, and "3" is not accepted where 3 is meant. NaN/Infinity (which Python's json
#: module reads) are refused too: a NaN gain or camera strength would poison the render.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

JSONValue = Any  # generator/style parameters: JSON scalars, lists and objects


def new_id(prefix: str) -> str:
    """A short random id, unique enough inside one project and readable in a diff."""
    return f"{prefix}_{secrets.token_hex(4)}"


class ShotSize(StrEnum):
    EWS = "EWS"
    WS = "WS"
    MS = "MS"
    MCU = "MCU"
    CU = "CU"
    ECU = "ECU"
    OTS = "OTS"
    POV = "POV"
    INSERT = "insert"


class CameraMove(StrEnum):
    STATIC = "static"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    PUSH_IN = "push_in"
    PULL_OUT = "pull_out"
    TRUCK_LEFT = "truck_left"
    TRUCK_RIGHT = "truck_right"
    CRANE_UP = "crane_up"
    CRANE_DOWN = "crane_down"
    HANDHELD = "handheld"


class TransitionKind(StrEnum):
    CUT = "cut"
    DISSOLVE = "dissolve"
    FADE_FROM_BLACK = "fade_from_black"


class TakeStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ConformMode(StrEnum):
    """What the exporter does with a take shorter than its shot."""

    HOLD = "hold"  # hold the last frame
    SLOW = "slow"  # stretch the clip to the shot's length


@dataclass
class Transition:
    __pydantic_config__ = STRICT
    kind: TransitionKind = TransitionKind.CUT
    frames: int = 0  # length of a dissolve or fade; 0 for a cut


@dataclass
class VoiceSettings:
    """How a character sounds in temp voiceover: one voice model can serve several characters."""

    __pydantic_config__ = STRICT
    engine: str = "piper"
    voice: str = "en_US-joe-medium"
    rate: float = 1.0  # speaking rate: 1.0 normal, 1.2 faster (piper's length scale is 1/rate)
    pitch_semitones: float = 0.0
    volume_db: float = 0.0
    #: the speaker of a multi-speaker voice model, by the model's speaker name; "" for the
    #: model's default speaker (and for single-speaker voices)
    speaker: str = ""


@dataclass
class Character:
    __pydantic_config__ = STRICT
    id: str
    name: str
    description: str = ""  # prompt fragment, e.g. "a tall woman in a yellow raincoat"
    seed: int = 0
    reference_images: list[str] = field(default_factory=list)  # bundle-relative media paths
    voice: VoiceSettings = field(default_factory=VoiceSettings)


@dataclass
class Style:
    __pydantic_config__ = STRICT
    id: str
    name: str
    prompt_suffix: str = ""
    negative_prompt: str = ""
    palette: list[str] = field(default_factory=list)  # "#rrggbb" colours
    generator_params: dict[str, JSONValue] = field(default_factory=dict)


@dataclass
class DialogueLine:
    __pydantic_config__ = STRICT
    id: str
    speaker: str = ""  # character id; "" for a narrator / unassigned line
    text: str = ""
    audio: str | None = None  # bundle-relative recorded/imported audio that replaces TTS
    #: how the line is delivered, from a script: "V.O.; quietly" (extensions and parentheticals)
    delivery: str = ""


@dataclass
class Take:
    """One generation of a shot: what made it, and where its media is."""

    __pydantic_config__ = STRICT
    id: str
    generator_id: str
    generator_version: str = ""
    request_hash: str = ""
    seed: int = 0
    media_path: str | None = None  # bundle-relative; None until the take is done
    created_at: str = ""  # ISO 8601, UTC
    status: TakeStatus = TakeStatus.QUEUED
    error: str = ""
    prompt: str = ""  # the composed prompt it was generated with (what the generator was asked)
    # What the media should be, recorded when it was made, so damage can be detected later
    # (``validate --deep``, ``generate``). None: not recorded (older takes, imported stills).
    frames: int | None = None  # video frames the file declared when it was made
    duration_s: float | None = None  # its duration in seconds
    size_bytes: int | None = None  # its size on disk
    #: the style it was made in by a style test (schema 3); None for ordinary takes
    style_id: str | None = None
    #: the job a remote service accepted for this take (service, endpoint, job id, status URLs:
    #: plain JSON, never a secret), recorded the moment it was accepted so a restart resumes
    #: following it instead of paying twice; kept on the finished take as its provenance
    remote_job: dict[str, Any] | None = None
    #: made for an earlier version of the shot: the shot was edited after this take's paid remote
    #: job was accepted. Followed to the end and kept (it was paid for) but never auto-selected.
    outdated: bool = False


@dataclass
class Shot:
    __pydantic_config__ = STRICT
    id: str
    number: str = ""  # display number, "3A"
    title: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    duration: int = 72  # frames at the project fps
    size: ShotSize = ShotSize.MS
    camera_move: CameraMove = CameraMove.STATIC
    camera_strength: float = 0.5  # 0..1, how far the move travels over the shot
    characters: list[str] = field(default_factory=list)  # character ids, in billing order
    dialogue: list[DialogueLine] = field(default_factory=list)
    transition_in: Transition = field(default_factory=Transition)
    notes: str = ""
    style_id: str | None = None  # overrides the project style
    seed_locked: bool = False
    seed: int = 0  # used only while seed_locked
    takes: list[Take] = field(default_factory=list)
    selected_take_id: str | None = None
    take_pinned: bool = False  # the user chose selected_take_id; new takes don't replace it

    def take(self, take_id: str | None) -> Take | None:
        return next((t for t in self.takes if t.id == take_id), None)

    @property
    def selected_take(self) -> Take | None:
        return self.take(self.selected_take_id)


@dataclass
class Sequence:
    """A scene: a named, ordered run of shots."""

    __pydantic_config__ = STRICT
    id: str
    name: str = ""
    shots: list[Shot] = field(default_factory=list)
    #: from a script's scene heading "INT. LIGHTHOUSE - NIGHT #12#": where, when, and the
    #: script's own scene number (kept as written: "12", "3A", "I-1.A")
    location: str = ""
    time_of_day: str = ""
    scene_number: str = ""


@dataclass
class RenderSettings:
    """Project-level export defaults; the export dialog/CLI may override per export."""

    __pydantic_config__ = STRICT
    conform: ConformMode = ConformMode.HOLD
    dialogue_gap_frames: int = 6  # silence between two lines of the same shot
    dialogue_lead_frames: int = 6  # silence before a shot's first line
    music: str | None = None  # bundle-relative music bed
    music_volume_db: float = -14.0


@dataclass
class StyleTest:
    """A named comparison of looks: these shots in these styles (schema 3).

    The takes themselves live on the shots (tagged with ``Take.style_id``); the test only says
    what to compare. Shots or styles deleted since are skipped where the test is used.
    """

    __pydantic_config__ = STRICT
    name: str
    shot_ids: list[str] = field(default_factory=list)
    style_ids: list[str] = field(default_factory=list)
    favourites: list[str] = field(default_factory=list)  # style ids the user starred


@dataclass
class Project:
    __pydantic_config__ = STRICT
    title: str = "Untitled"
    #: the timebase: frames per second as frame counts and (non-drop) timecode count them; the
    #: real rate is ``frame_rate`` (see ``ntsc``)
    fps: int = 24
    width: int = 1280
    height: int = 720
    seed: int = 0
    generator: str = "sketch"
    generator_settings: dict[str, dict[str, JSONValue]] = field(default_factory=dict)
    style_id: str | None = None  # the active project style
    styles: list[Style] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    render: RenderSettings = field(default_factory=RenderSettings)
    #: logline / synopsis: the pitch deck's title page and the slate read it (schema 2)
    notes: str = ""
    #: the project's default voice: narrator lines speak with it and new characters start from
    #: it (schema 2)
    narrator_voice: VoiceSettings = field(default_factory=VoiceSettings)
    #: named style tests (schema 3)
    style_tests: list[StyleTest] = field(default_factory=list)
    #: NTSC: the picture really plays at fps x 1000/1001 (24 → 23.976, 30 → 29.97, 60 → 59.94);
    #: frame counts stay whole frames at ``fps``, every conversion to seconds uses ``frame_rate``
    #: (schema 4; appended so older files keep their key order)
    ntsc: bool = False

    # --- lookups (linear scans: projects hold hundreds of shots, not millions) ---
    def all_shots(self) -> list[Shot]:
        return [shot for seq in self.sequences for shot in seq.shots]

    def find_shot(self, shot_id: str) -> tuple[Sequence, int, Shot]:
        for seq in self.sequences:
            for index, shot in enumerate(seq.shots):
                if shot.id == shot_id:
                    return seq, index, shot
        raise KeyError(f"no shot with id {shot_id!r}")

    def shot(self, shot_id: str) -> Shot:
        return self.find_shot(shot_id)[2]

    def shot_by_number(self, number: str) -> Shot:
        for shot in self.all_shots():
            if shot.number == number:
                return shot
        raise KeyError(f"no shot numbered {number!r}")

    def sequence(self, sequence_id: str) -> Sequence:
        for seq in self.sequences:
            if seq.id == sequence_id:
                return seq
        raise KeyError(f"no sequence with id {sequence_id!r}")

    def character(self, character_id: str) -> Character:
        for ch in self.characters:
            if ch.id == character_id:
                return ch
        raise KeyError(f"no character with id {character_id!r}")

    def style(self, style_id: str) -> Style:
        for st in self.styles:
            if st.id == style_id:
                return st
        raise KeyError(f"no style with id {style_id!r}")

    def style_test(self, name: str) -> StyleTest:
        for test in self.style_tests:
            if test.name == name:
                return test
        raise KeyError(f"no style test named {name!r}")

    def effective_style(self, shot: Shot) -> Style | None:
        """The shot's style override, else the project style, else none."""
        style_id = shot.style_id or self.style_id
        if style_id is None:
            return None
        try:
            return self.style(style_id)
        except KeyError:
            return None

    @property
    def total_frames(self) -> int:
        return sum(shot.duration for shot in self.all_shots())

    @property
    def frame_rate(self) -> Fraction:
        """The real playback rate, exact: 24000/1001 for a 23.976 project. Use it wherever frames
        become seconds (encode rate, audio placement, subtitles, players); ``fps`` wherever frames
        are counted."""
        return _timecode.frame_rate(self.fps, self.ntsc)

    @property
    def rate_label(self) -> str:
        """"23.976", "25": the rate as editors write it."""
        return _timecode.rate_label(self.fps, self.ntsc)


def frames_to_timecode(frames: int, fps: int) -> str:
    """HH:MM:SS:FF non-drop timecode (see ``model.timecode``)."""
    return _timecode.format_timecode(frames, fps)


def format_duration(frames: int, fps: int) -> str:
    """A length as people read it, "3s 12f" (see ``model.timecode``: one form everywhere)."""
    return _timecode.format_duration(frames, fps)
