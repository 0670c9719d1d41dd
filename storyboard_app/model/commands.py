"""Edit commands: each applies to a Project immediately and returns its own inverse.

This is the only way the GUI and the CLI change a project, so undo is exact by construction:
``inverse = cmd.apply(project)`` and later ``inverse.apply(project)`` restores the project
bit for bit (objects removed are kept whole inside the inverse, values replaced are deep copies).

Compound edits (split, remove a character that shots refer to, ...) are ``Compound`` commands:
they apply their parts in order, gather the inverses as they go and roll back what they already
did if a later part fails (Kdenlive's timeline pattern), so a failed edit changes nothing.

Objects are addressed by ``Ref``: a kind plus ids, never Python object identity, so a command
stays valid after the objects it refers to were replaced by an undo.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import typing
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import ConfigDict, PydanticUserError, TypeAdapter, ValidationError

from .types import (
    Character,
    DialogueLine,
    Project,
    Sequence,
    Shot,
    Style,
    Take,
    new_id,
)


class CommandError(ValueError):
    """An edit that cannot apply (unknown id, index out of range, bad field)."""


class Command(Protocol):
    label: str

    def apply(self, project: Project) -> Command:
        """Apply to ``project`` and return the command that undoes it."""
        ...


RefKind = Literal["project", "sequence", "shot", "character", "style", "line", "take", "render"]


@dataclass(frozen=True)
class Ref:
    """Addresses one object in a project: ``Ref("shot", shot_id)``, ``Ref("line", shot, line)``."""

    kind: RefKind
    ids: tuple[str, ...] = ()

    def resolve(self, project: Project) -> Any:
        try:
            match self.kind:
                case "project":
                    return project
                case "render":
                    return project.render
                case "sequence":
                    return project.sequence(self.ids[0])
                case "shot":
                    return project.shot(self.ids[0])
                case "character":
                    return project.character(self.ids[0])
                case "style":
                    return project.style(self.ids[0])
                case "line":
                    shot = project.shot(self.ids[0])
                    return _find_by_id(shot.dialogue, self.ids[1], "dialogue line")[1]
                case "take":
                    shot = project.shot(self.ids[0])
                    return _find_by_id(shot.takes, self.ids[1], "take")[1]
        except (KeyError, IndexError) as exc:
            # KeyError's str() is the repr of its message; use the message itself.
            raise CommandError(str(exc.args[0]) if exc.args else str(exc)) from None
        raise CommandError(f"unknown object kind {self.kind!r}")


def shot_ref(shot_id: str) -> Ref:
    return Ref("shot", (shot_id,))


def _find_by_id(items: list[Any], item_id: str, what: str) -> tuple[int, Any]:
    for index, item in enumerate(items):
        if item.id == item_id:
            return index, item
    raise CommandError(f"no {what} with id {item_id!r}")


def _check_index(index: int, length: int, what: str) -> None:
    if not 0 <= index <= length:
        raise CommandError(f"{what} index {index} out of range 0..{length}")


# --------------------------------------------------------------------------- field edits


@dataclass
class SetField:
    """Set one field of one object. The workhorse of the inspector and the CLI's ``set``."""

    target: Ref
    field: str
    value: Any
    label: str = ""

    def apply(self, project: Project) -> SetField:
        obj = self.target.resolve(project)
        names = {f.name for f in dataclasses.fields(obj)}
        if self.field not in names or self.field == "id":
            raise CommandError(f"{type(obj).__name__} has no editable field {self.field!r}")
        value = _checked_value(type(obj), self.field, self.value)
        old = getattr(obj, self.field)
        setattr(obj, self.field, copy.deepcopy(value))
        return SetField(self.target, self.field, old, self.label)


@functools.cache
def _field_adapter(cls: type, name: str) -> TypeAdapter:
    hint = typing.get_type_hints(cls)[name]
    try:  # NaN/inf refused as the loader refuses them; dataclass types carry their own config
        return TypeAdapter(hint, config=ConfigDict(allow_inf_nan=False))
    except PydanticUserError:
        return TypeAdapter(hint)


def _checked_value(cls: type, name: str, value: Any) -> Any:
    """``value`` as the field's type, or CommandError: "3" for 3 is refused, "MS" becomes ShotSize.MS.

    Only conversions that keep the value equal are accepted (an enum's string, an int for a
    float), so a bad value from a widget or script never reaches the project file.
    """
    try:
        converted = _field_adapter(cls, name).validate_python(value)
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "invalid value")
        raise CommandError(f"{cls.__name__}.{name}: {reason} (got {value!r:.40})") from None
    if converted != value:
        raise CommandError(f"{cls.__name__}.{name}: expected {type(converted).__name__} (got {value!r:.40})")
    return converted


# --------------------------------------------------------------------------- shots


@dataclass
class InsertShot:
    sequence_id: str
    index: int
    shot: Shot
    label: str = "Insert shot"

    def apply(self, project: Project) -> Command:
        seq = _sequence(project, self.sequence_id)
        _check_index(self.index, len(seq.shots), "shot")
        if any(s.id == self.shot.id for s in project.all_shots()):
            raise CommandError(f"a shot with id {self.shot.id!r} already exists")
        seq.shots.insert(self.index, copy.deepcopy(self.shot))
        return RemoveShot(self.shot.id, self.label)


@dataclass
class RemoveShot:
    shot_id: str
    label: str = "Delete shot"

    def apply(self, project: Project) -> Command:
        seq, index, shot = _find_shot(project, self.shot_id)
        del seq.shots[index]
        return InsertShot(seq.id, index, shot, self.label)


@dataclass
class MoveShot:
    """Move a shot to ``index`` in ``sequence_id`` (index counted after removal)."""

    shot_id: str
    sequence_id: str
    index: int
    label: str = "Move shot"

    def apply(self, project: Project) -> Command:
        seq, old_index, shot = _find_shot(project, self.shot_id)
        target = _sequence(project, self.sequence_id)
        length = len(target.shots) - (1 if target is seq else 0)
        _check_index(self.index, length, "shot")
        del seq.shots[old_index]
        target.shots.insert(self.index, shot)
        return MoveShot(self.shot_id, seq.id, old_index, self.label)


# --------------------------------------------------------------------------- sequences


@dataclass
class InsertSequence:
    index: int
    sequence: Sequence
    label: str = "Add scene"

    def apply(self, project: Project) -> Command:
        _check_index(self.index, len(project.sequences), "scene")
        if any(s.id == self.sequence.id for s in project.sequences):
            raise CommandError(f"a scene with id {self.sequence.id!r} already exists")
        existing = {shot.id for shot in project.all_shots()}
        clash = next((s.id for s in self.sequence.shots if s.id in existing), None)
        if clash is not None:  # shot ids are unique project-wide; Ref("shot") relies on it
            raise CommandError(f"a shot with id {clash!r} already exists")
        project.sequences.insert(self.index, copy.deepcopy(self.sequence))
        return RemoveSequence(self.sequence.id, self.label)


@dataclass
class RemoveSequence:
    sequence_id: str
    label: str = "Delete scene"

    def apply(self, project: Project) -> Command:
        index, seq = _find_by_id(project.sequences, self.sequence_id, "scene")
        del project.sequences[index]
        return InsertSequence(index, seq, self.label)


@dataclass
class MoveSequence:
    sequence_id: str
    index: int
    label: str = "Move scene"

    def apply(self, project: Project) -> Command:
        old_index, seq = _find_by_id(project.sequences, self.sequence_id, "scene")
        _check_index(self.index, len(project.sequences) - 1, "scene")
        del project.sequences[old_index]
        project.sequences.insert(self.index, seq)
        return MoveSequence(self.sequence_id, old_index, self.label)


# --------------------------------------------------------------------------- characters, styles


@dataclass
class InsertCharacter:
    index: int
    character: Character
    label: str = "Add character"

    def apply(self, project: Project) -> Command:
        _check_index(self.index, len(project.characters), "character")
        if any(c.id == self.character.id for c in project.characters):
            raise CommandError(f"a character with id {self.character.id!r} already exists")
        project.characters.insert(self.index, copy.deepcopy(self.character))
        return RemoveCharacter(self.character.id, self.label)


@dataclass
class RemoveCharacter:
    """Remove the character object only; ``remove_character`` also clears its references."""

    character_id: str
    label: str = "Delete character"

    def apply(self, project: Project) -> Command:
        index, ch = _find_by_id(project.characters, self.character_id, "character")
        del project.characters[index]
        return InsertCharacter(index, ch, self.label)


@dataclass
class InsertStyle:
    index: int
    style: Style
    label: str = "Add style"

    def apply(self, project: Project) -> Command:
        _check_index(self.index, len(project.styles), "style")
        if any(s.id == self.style.id for s in project.styles):
            raise CommandError(f"a style with id {self.style.id!r} already exists")
        project.styles.insert(self.index, copy.deepcopy(self.style))
        return RemoveStyle(self.style.id, self.label)


@dataclass
class RemoveStyle:
    style_id: str
    label: str = "Delete style"

    def apply(self, project: Project) -> Command:
        index, st = _find_by_id(project.styles, self.style_id, "style")
        del project.styles[index]
        return InsertStyle(index, st, self.label)


# --------------------------------------------------------------------------- dialogue, takes


@dataclass
class InsertLine:
    shot_id: str
    index: int
    line: DialogueLine
    label: str = "Add dialogue line"

    def apply(self, project: Project) -> Command:
        shot = _find_shot(project, self.shot_id)[2]
        _check_index(self.index, len(shot.dialogue), "dialogue line")
        if any(ln.id == self.line.id for ln in shot.dialogue):
            raise CommandError(f"a dialogue line with id {self.line.id!r} already exists")
        shot.dialogue.insert(self.index, copy.deepcopy(self.line))
        return RemoveLine(self.shot_id, self.line.id, self.label)


@dataclass
class RemoveLine:
    shot_id: str
    line_id: str
    label: str = "Delete dialogue line"

    def apply(self, project: Project) -> Command:
        shot = _find_shot(project, self.shot_id)[2]
        index, line = _find_by_id(shot.dialogue, self.line_id, "dialogue line")
        del shot.dialogue[index]
        return InsertLine(self.shot_id, index, line, self.label)


@dataclass
class MoveLine:
    shot_id: str
    line_id: str
    index: int
    label: str = "Move dialogue line"

    def apply(self, project: Project) -> Command:
        shot = _find_shot(project, self.shot_id)[2]
        old_index, line = _find_by_id(shot.dialogue, self.line_id, "dialogue line")
        _check_index(self.index, len(shot.dialogue) - 1, "dialogue line")
        del shot.dialogue[old_index]
        shot.dialogue.insert(self.index, line)
        return MoveLine(self.shot_id, self.line_id, old_index, self.label)


@dataclass
class InsertTake:
    shot_id: str
    index: int
    take: Take
    label: str = "Add take"

    def apply(self, project: Project) -> Command:
        shot = _find_shot(project, self.shot_id)[2]
        _check_index(self.index, len(shot.takes), "take")
        if any(t.id == self.take.id for t in shot.takes):
            raise CommandError(f"a take with id {self.take.id!r} already exists")
        shot.takes.insert(self.index, copy.deepcopy(self.take))
        return RemoveTake(self.shot_id, self.take.id, self.label)


@dataclass
class RemoveTake:
    shot_id: str
    take_id: str
    label: str = "Delete take"

    def apply(self, project: Project) -> Command:
        shot = _find_shot(project, self.shot_id)[2]
        index, take = _find_by_id(shot.takes, self.take_id, "take")
        del shot.takes[index]
        return InsertTake(self.shot_id, index, take, self.label)


# --------------------------------------------------------------------------- compound


@dataclass
class Compound:
    """Several commands as one undo step; all-or-nothing."""

    commands: list[Command]
    label: str = "Edit"

    def apply(self, project: Project) -> Compound:
        inverses: list[Command] = []
        try:
            for command in self.commands:
                inverses.append(command.apply(project))
        except Exception:
            for inverse in reversed(inverses):
                inverse.apply(project)
            raise
        return Compound(list(reversed(inverses)), self.label)


# --------------------------------------------------------------------------- helpers
# Functions that look at the project and build the right command; they change nothing.


def _find_shot(project: Project, shot_id: str) -> tuple[Sequence, int, Shot]:
    try:
        return project.find_shot(shot_id)
    except KeyError:
        raise CommandError(f"no shot with id {shot_id!r}") from None


def _sequence(project: Project, sequence_id: str) -> Sequence:
    try:
        return project.sequence(sequence_id)
    except KeyError:
        raise CommandError(f"no scene with id {sequence_id!r}") from None


def set_shot(shot_id: str, field: str, value: Any, label: str = "") -> SetField:
    return SetField(shot_ref(shot_id), field, value, label or f"Set shot {field}")


def next_shot_number(project: Project) -> str:
    """The next free integer shot number, after the highest numeric prefix in use."""
    highest = 0
    for shot in project.all_shots():
        digits = "".join(ch for ch in shot.number if ch.isdigit())
        if digits and shot.number[: len(digits)] == digits:
            highest = max(highest, int(digits))
    return str(highest + 1)


def add_shot(
    project: Project, sequence_id: str, index: int | None = None, **fields: Any
) -> InsertShot:
    seq = _sequence(project, sequence_id)
    fields.setdefault("number", next_shot_number(project))
    shot = Shot(id=new_id("shot"), **fields)
    return InsertShot(seq.id, len(seq.shots) if index is None else index, shot)


def duplicate_shot(project: Project, shot_id: str) -> InsertShot:
    """A copy right after the original, without its takes (they belong to the original)."""
    seq, index, shot = _find_shot(project, shot_id)
    clone = copy.deepcopy(shot)
    clone.id = new_id("shot")
    clone.number = _suffixed_number(project, shot.number)
    clone.takes = []
    clone.selected_take_id = None
    clone.take_pinned = False
    for line in clone.dialogue:
        line.id = new_id("line")
    return InsertShot(seq.id, index + 1, clone, "Duplicate shot")


def split_shot(project: Project, shot_id: str, at_frame: int) -> Compound:
    """Cut a shot in two at ``at_frame``; the second half starts with a cut and no takes.

    Dialogue stays with the first half: a line cannot be split, and the director moves it.
    """
    seq, index, shot = _find_shot(project, shot_id)
    if not 0 < at_frame < shot.duration:
        raise CommandError(f"split point {at_frame} must lie inside the shot (1..{shot.duration - 1})")
    second = copy.deepcopy(shot)
    second.id = new_id("shot")
    second.number = _suffixed_number(project, shot.number)
    second.duration = shot.duration - at_frame
    second.dialogue = []
    second.takes = []
    second.selected_take_id = None
    second.take_pinned = False
    second.transition_in = type(shot.transition_in)()
    parts: list[Command] = [set_shot(shot.id, "duration", at_frame)]
    if shot.transition_in.frames > at_frame:
        # A dissolve/fade cannot outlast the (now shorter) first half; the loader would refuse it.
        shortened = dataclasses.replace(shot.transition_in, frames=at_frame)
        parts.append(set_shot(shot.id, "transition_in", shortened))
    parts.append(InsertShot(seq.id, index + 1, second))
    return Compound(parts, "Split shot")


def renumber_shots(project: Project) -> Compound | None:
    """Number every shot 1, 2, 3… in timeline order, as one undo step; None when already so.

    After reordering, numbers read 1, 2, 3, 5, 4 (a number belongs to its shot, so takes and
    notes keep pointing at the right one); renumbering is the director's explicit choice.
    """
    parts: list[Command] = [
        set_shot(shot.id, "number", str(i))
        for i, shot in enumerate(project.all_shots(), start=1)
        if shot.number != str(i)
    ]
    return Compound(parts, "Renumber shots") if parts else None


def _suffixed_number(project: Project, number: str) -> str:
    """"3" → "3A", "3A" → "3B": the next free letter after the shot's number."""
    used = {s.number for s in project.all_shots()}
    base = number.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or number
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        candidate = f"{base}{letter}"
        if candidate not in used:
            return candidate
    return f"{number}'"


def remove_character(project: Project, character_id: str) -> Compound:
    """Remove a character and every reference to it (shots' casts, dialogue speakers)."""
    parts: list[Command] = []
    for shot in project.all_shots():
        if character_id in shot.characters:
            cast = [c for c in shot.characters if c != character_id]
            parts.append(set_shot(shot.id, "characters", cast))
        for line in shot.dialogue:
            if line.speaker == character_id:
                parts.append(SetField(Ref("line", (shot.id, line.id)), "speaker", ""))
    parts.append(RemoveCharacter(character_id))
    return Compound(parts, "Delete character")


def remove_style(project: Project, style_id: str) -> Compound:
    """Remove a style and fall back to no style wherever it was in use."""
    parts: list[Command] = []
    if project.style_id == style_id:
        parts.append(SetField(Ref("project"), "style_id", None))
    for shot in project.all_shots():
        if shot.style_id == style_id:
            parts.append(set_shot(shot.id, "style_id", None))
    parts.append(RemoveStyle(style_id))
    return Compound(parts, "Delete style")


def select_take(project: Project, shot_id: str, take_id: str | None, pin: bool = True) -> Compound:
    """Make ``take_id`` the shot's selected take; pinned, so later generations don't replace it."""
    shot = _find_shot(project, shot_id)[2]
    if take_id is not None and shot.take(take_id) is None:
        raise CommandError(f"shot {shot.number or shot.id} has no take {take_id!r}")
    return Compound(
        [set_shot(shot_id, "selected_take_id", take_id), set_shot(shot_id, "take_pinned", pin)],
        "Select take",
    )


def record_take(project: Project, shot_id: str, take: Take) -> Compound:
    """Add a finished (or failed) take; a successful one becomes selected unless one is pinned or
    it is ``outdated`` (made for an earlier version of the shot).

    A take with the same id already on the shot (one a remote service accepted and that was
    recorded as running, so a restart could resume it) is replaced in place by its outcome.
    """
    shot = _find_shot(project, shot_id)[2]
    index = next((i for i, t in enumerate(shot.takes) if t.id == take.id), None)
    if index is not None:
        parts: list[Command] = [RemoveTake(shot_id, take.id), InsertTake(shot_id, index, take)]
    else:
        parts = [InsertTake(shot_id, len(shot.takes), take)]
    if take.status == "done" and not shot.take_pinned and not take.outdated:
        parts.append(set_shot(shot_id, "selected_take_id", take.id))
    return Compound(parts, "Generate take")


def remove_take(project: Project, shot_id: str, take_id: str) -> Compound:
    """Delete a take; if it was selected, the newest remaining successful take is selected."""
    shot = _find_shot(project, shot_id)[2]
    parts: list[Command] = []
    if shot.selected_take_id == take_id:
        remaining = [t for t in shot.takes if t.id != take_id and t.status == "done"]
        parts.append(set_shot(shot_id, "selected_take_id", remaining[-1].id if remaining else None))
        parts.append(set_shot(shot_id, "take_pinned", False))
    parts.append(RemoveTake(shot_id, take_id))
    return Compound(parts, "Delete take")


# --------------------------------------------------------------------------- import an edited cut
# (issue 17: the editor's new order, durations and removals back into the boards, one undo step)

CUT_FROM_EDIT_SCENE = "Cut from edit"


@dataclass(frozen=True)
class CutClip:
    """One clip of an editor's cut, as read from an EDL/XML/OTIO file (no OTIO types here)."""

    name: str  # the clip name (exports use the shot number)
    media: str = ""  # the media file's stem ("shot_3A"), "" when unknown
    frames: int = 0  # duration in project frames
    shot_id: str = ""  # where the format kept our metadata (OTIO), the shot's id


@dataclass
class CutReport:
    """What importing a cut changes, for the user to read before/after (and the CLI to print)."""

    order_changed: bool = False
    moved: list[str] = dataclasses.field(default_factory=list)  # shot numbers in a new position
    durations: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)  # (number, old, new)
    removed: list[str] = dataclasses.field(default_factory=list)  # moved to the "Cut from edit" scene
    restored: list[str] = dataclasses.field(default_factory=list)  # back from "Cut from edit" into the cut
    unknown: list[str] = dataclasses.field(default_factory=list)  # clips that match no shot (listed, not guessed)
    repeated: list[str] = dataclasses.field(default_factory=list)  # a shot used twice: the first use counts

    @property
    def changed(self) -> bool:
        return bool(self.order_changed or self.durations or self.removed or self.restored)

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.moved:
            out.append("new order: " + ", ".join(self.moved) + " moved")
        out += [f"shot {n}: {old} → {new} frames" for n, old, new in self.durations]
        if self.removed:
            out.append(f"to scene '{CUT_FROM_EDIT_SCENE}': " + ", ".join(self.removed))
        if self.restored:
            out.append("back in the cut: " + ", ".join(self.restored))
        if self.unknown:
            out.append("unknown clips (not matched to any shot): " + ", ".join(self.unknown))
        if self.repeated:
            out.append("used more than once (first use kept): " + ", ".join(self.repeated))
        return out or ["no changes"]


def _match_clip(clip: CutClip, by_id: dict[str, Shot], by_number: dict[str, Shot],
                by_media: dict[str, Shot]) -> Shot | None:
    """Our metadata first, then the clip name (shot number or "shot_3A.mp4"), then the media
    file's name; never a fuzzy guess. The name wins over the media because OTIO's EDL reader
    gives the clip after a dissolve the outgoing clip's media."""
    if clip.shot_id and clip.shot_id in by_id:
        return by_id[clip.shot_id]
    name = clip.name.strip()
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0] if "." in name else name
    for candidate in (name, stem, stem.removeprefix("shot_")):
        if candidate in by_number:
            return by_number[candidate]
        if f"shot_{candidate}" in by_media:
            return by_media[f"shot_{candidate}"]
    if clip.media and clip.media in by_media:
        return by_media[clip.media]
    return None


def apply_edited_cut(project: Project, clips: list[CutClip],
                     media_names: dict[str, str] | None = None) -> tuple[Compound | None, CutReport]:
    """The one undoable edit that makes the boards follow an editor's cut, and its report.

    Matched shots take the cut's order and durations; shots the editor dropped move, in their
    old order, to a "Cut from edit" scene (created at the end if missing), never deleted. Order
    is kept per scene: a shot stays in its scene unless the cut put it after a later scene had
    started, in which case it joins the scene it now plays in, so the boards read in the cut's
    order. ``media_names`` maps shot id → media stem (the export's stable names).
    """
    report = CutReport()
    shots = project.all_shots()
    by_id = {s.id: s for s in shots}
    by_number = {s.number: s for s in shots if s.number}
    by_media = {name: by_id[sid] for sid, name in (media_names or {}).items() if sid in by_id}
    order: list[Shot] = []
    durations: dict[str, int] = {}
    for clip in clips:
        shot = _match_clip(clip, by_id, by_number, by_media)
        if shot is None:
            report.unknown.append(clip.name or clip.media or "(unnamed)")
        elif shot.id in durations:
            report.repeated.append(shot.number or shot.id)
        else:
            order.append(shot)
            durations[shot.id] = max(int(clip.frames), 1)
    if not order:
        return None, report

    cut_scene = next((s for s in project.sequences if s.name == CUT_FROM_EDIT_SCENE), None)
    scene_of = {shot.id: seq.id for seq in project.sequences for shot in seq.shots}
    regular = [seq.id for seq in project.sequences if seq is not cut_scene]
    parts: list[Command] = []
    if not regular:  # every shot sits in "Cut from edit": the cut needs a scene to play in
        edit_scene = Sequence(id=new_id("seq"), name="Edit")
        parts.append(InsertSequence(0, edit_scene))
        regular = [edit_scene.id]
    # target layout: scene id → shot ids, built in cut order
    layout: dict[str, list[str]] = {sid: [] for sid in regular}
    started: list[str] = []  # scenes in the order the cut reaches them
    current: str | None = None
    for shot in order:
        own = scene_of[shot.id]
        if own == (cut_scene.id if cut_scene else None):
            report.restored.append(shot.number or shot.id)
            own = current or (regular[0] if regular else own)
        if current is None or (own != current and own not in started):
            current = own
            if own not in started:
                started.append(own)
        layout.setdefault(current, []).append(shot.id)
    kept = set(durations)
    dropped = [s for s in shots if s.id not in kept and scene_of[s.id] != (cut_scene.id if cut_scene else None)]
    report.removed = [s.number or s.id for s in dropped]

    if cut_scene is None and dropped:
        cut_scene = Sequence(id=new_id("seq"), name=CUT_FROM_EDIT_SCENE)
        parts.append(InsertSequence(len(project.sequences), cut_scene))
    scene_order = started + [sid for sid in regular if sid not in started]
    for index, sid in enumerate(scene_order):
        parts.append(MoveSequence(sid, index))
    for sid in scene_order:
        for index, shot_id in enumerate(layout.get(sid, [])):
            parts.append(MoveShot(shot_id, sid, index))
    if dropped:
        # the cut scene's shots that stay there (restored ones have moved out by now)
        existing = sum(1 for s in cut_scene.shots if s.id not in kept) if cut_scene in project.sequences else 0
        for offset, shot in enumerate(dropped):
            parts.append(MoveShot(shot.id, cut_scene.id, existing + offset))
    for shot in order:
        new = durations[shot.id]
        if new != shot.duration:
            report.durations.append((shot.number or shot.id, shot.duration, new))
            if shot.transition_in.frames > new:  # a dissolve cannot outlast its (shorter) shot
                parts.append(set_shot(shot.id, "transition_in",
                                      dataclasses.replace(shot.transition_in, frames=new)))
            parts.append(set_shot(shot.id, "duration", new))
    old_positions = [s.id for s in shots if s.id in kept]
    new_positions = [shot_id for sid in scene_order for shot_id in layout.get(sid, [])]
    new_scene = {shot_id: sid for sid in scene_order for shot_id in layout.get(sid, [])}
    report.moved = [by_id[b].number or b for a, b in zip(old_positions, new_positions, strict=True) if a != b]
    report.order_changed = bool(report.moved) or any(new_scene[i] != scene_of[i] for i in new_positions)
    if not report.changed:
        return None, report
    return Compound(parts, "Import edited cut"), report
