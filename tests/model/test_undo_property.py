"""Property: any sequence of edits, undone as many times, gives back the original project exactly.

Each edit is drawn against the *current* project (``st.data()``), so shots that were moved,
split or deleted earlier in the sequence are what later edits see, as in a real session. The
edits go through ``History`` with typing merges enabled, so merged steps are covered too. Edits
that must fail (a compound whose last part refers to nothing) are mixed in: they must leave both
the project and the history untouched.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyboard_app.model import (
    CameraMove,
    Character,
    CommandError,
    Compound,
    DialogueLine,
    History,
    Project,
    Ref,
    Sequence,
    SetField,
    Shot,
    ShotSize,
    Style,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
    project_json,
)
from storyboard_app.model import commands as cmd
from storyboard_app.model.validation import parse_project, semantic_problems

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
)
# names: a blank one is refused on every edit ("a character needs a name"), as it is on load
words = st.text(alphabet="abcdefghij ", min_size=1, max_size=8).filter(lambda s: s.strip())
Draw = Callable[[st.SearchStrategy[Any]], Any]


class Ids:
    """Fresh ids drawn deterministically, so a failing example replays the same way."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_p{self.n}"


def _pick(draw: Draw, items: list[Any]) -> Any:
    return draw(st.sampled_from(items))


def _shot(project: Project, draw: Draw) -> Shot:
    return _pick(draw, project.all_shots())


def set_shot_field(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    shot = _shot(p, draw)
    name = _pick(draw, ["title", "prompt", "notes", "duration", "size", "camera_move",
                        "camera_strength", "characters", "transition_in", "seed_locked",
                        "seed", "style_id", "number"])
    if name in ("title", "prompt", "notes", "number"):
        # typing: a merge key per field, so consecutive keystrokes fold into one step
        value = draw(texts)
        return cmd.set_shot(shot.id, name, value), draw(st.sampled_from([None, f"{name}:{shot.id}"]))
    if name == "duration":
        value = draw(st.integers(max(1, shot.transition_in.frames), 400))
    elif name == "size":
        value = draw(st.sampled_from(list(ShotSize)))
    elif name == "camera_move":
        value = draw(st.sampled_from(list(CameraMove)))
    elif name == "camera_strength":
        value = draw(st.floats(0, 1))
    elif name == "characters":
        value = draw(st.lists(st.sampled_from([c.id for c in p.characters] or ["-"]),
                              unique=True, max_size=3)) if p.characters else []
    elif name == "transition_in":
        kind = draw(st.sampled_from(list(TransitionKind)))
        frames = 0 if kind == TransitionKind.CUT else draw(st.integers(1, shot.duration))
        value = Transition(kind, frames)
    elif name == "seed_locked":
        value = draw(st.booleans())
    elif name == "seed":
        value = draw(st.integers(0, 2**32 - 1))
    else:
        value = draw(st.sampled_from([None, *[s.id for s in p.styles]]))
    return cmd.set_shot(shot.id, name, value), None


def set_other_field(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    choices: list[tuple[Ref, str, st.SearchStrategy[Any]]] = [
        (Ref("project"), "title", texts),
        (Ref("project"), "seed", st.integers(0, 2**32 - 1)),
        (Ref("project"), "style_id", st.sampled_from([None, *[s.id for s in p.styles]])),
        (Ref("render"), "dialogue_gap_frames", st.integers(0, 48)),
    ]
    for seq in p.sequences:
        choices.append((Ref("sequence", (seq.id,)), "name", words))
    for ch in p.characters:
        choices.append((Ref("character", (ch.id,)), "description", texts))
        choices.append((Ref("character", (ch.id,)), "seed", st.integers(0, 2**32 - 1)))
    for style in p.styles:
        choices.append((Ref("style", (style.id,)), "palette",
                        st.lists(st.from_regex(r"\A#[0-9a-f]{6}\Z"), max_size=3)))
    for shot in p.all_shots():
        for line in shot.dialogue:
            choices.append((Ref("line", (shot.id, line.id)), "text", texts))
    ref, name, values = _pick(draw, choices)
    return SetField(ref, name, draw(values)), None


def add_shot(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    seq = _pick(draw, p.sequences)
    index = draw(st.integers(0, len(seq.shots)))
    shot = Shot(id=ids("shot"), number=draw(words), duration=draw(st.integers(1, 200)))
    return cmd.InsertShot(seq.id, index, shot), None


def remove_shot(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    return cmd.RemoveShot(_shot(p, draw).id), None


def move_shot(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    shot = _shot(p, draw)
    target = _pick(draw, p.sequences)
    same = any(s.id == shot.id for s in target.shots)
    index = draw(st.integers(0, len(target.shots) - (1 if same else 0)))
    return cmd.MoveShot(shot.id, target.id, index), None


def duplicate_shot(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    return cmd.duplicate_shot(p, _shot(p, draw).id), None


def split_shot(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    candidates = [s for s in p.all_shots() if s.duration > 1]
    if not candidates:
        return add_shot(p, draw, ids)
    shot = _pick(draw, candidates)
    return cmd.split_shot(p, shot.id, draw(st.integers(1, shot.duration - 1))), None


def scene_edit(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    kind = draw(st.sampled_from(["insert", "remove", "move"]))
    if kind == "insert" or len(p.sequences) < 2:
        shots = [Shot(id=ids("shot"), duration=24) for _ in range(draw(st.integers(0, 2)))]
        seq = Sequence(id=ids("seq"), name=draw(words), shots=shots)
        return cmd.InsertSequence(draw(st.integers(0, len(p.sequences))), seq), None
    seq = _pick(draw, p.sequences)
    if kind == "remove":
        return cmd.RemoveSequence(seq.id), None
    return cmd.MoveSequence(seq.id, draw(st.integers(0, len(p.sequences) - 1))), None


def character_edit(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    if p.characters and draw(st.booleans()):
        return cmd.remove_character(p, _pick(draw, p.characters).id), None
    character = Character(id=ids("ch"), name=draw(words), seed=draw(st.integers(0, 99)))
    return cmd.InsertCharacter(draw(st.integers(0, len(p.characters))), character), None


def style_edit(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    if p.styles and draw(st.booleans()):
        return cmd.remove_style(p, _pick(draw, p.styles).id), None
    style = Style(id=ids("st"), name=draw(words), prompt_suffix=draw(texts))
    return cmd.InsertStyle(draw(st.integers(0, len(p.styles))), style), None


def line_edit(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    shot = _shot(p, draw)
    kind = draw(st.sampled_from(["insert", "remove", "move"]))
    if kind == "insert" or not shot.dialogue:
        speaker = draw(st.sampled_from(["", *[c.id for c in p.characters]]))
        line = DialogueLine(id=ids("line"), speaker=speaker, text=draw(texts))
        return cmd.InsertLine(shot.id, draw(st.integers(0, len(shot.dialogue))), line), None
    line = _pick(draw, shot.dialogue)
    if kind == "remove":
        return cmd.RemoveLine(shot.id, line.id), None
    return cmd.MoveLine(shot.id, line.id, draw(st.integers(0, len(shot.dialogue) - 1))), None


def take_edit(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    shot = _shot(p, draw)
    kind = draw(st.sampled_from(["record", "select", "remove"]))
    if kind == "record" or not shot.takes:
        status = draw(st.sampled_from(list(TakeStatus)))
        take = Take(id=ids("take"), generator_id="sketch", seed=draw(st.integers(0, 9)),
                    status=status, media_path=f"media/takes/{ids('clip')}.mp4")
        return cmd.record_take(p, shot.id, take), None
    take = _pick(draw, shot.takes)
    if kind == "select":
        return cmd.select_take(p, shot.id, take.id, pin=draw(st.booleans())), None
    return cmd.remove_take(p, shot.id, take.id), None


def failing_compound(p: Project, draw: Draw, ids: Ids) -> tuple[Any, str | None]:
    """A valid edit followed by one that cannot apply: the whole edit must be refused."""
    valid, _ = draw(st.sampled_from(EDITS[:-1]).map(lambda make: make(p, draw, ids)))
    return Compound([valid, cmd.RemoveShot("no_such_shot")], "Doomed"), None


EDITS = [
    set_shot_field, set_shot_field, set_other_field, add_shot, remove_shot, move_shot,
    duplicate_shot, split_shot, scene_edit, character_edit, style_edit, line_edit, take_edit,
    failing_compound,  # keep last: failing_compound draws from the others
]


def _state(project: Project) -> tuple[Project, str]:
    return copy.deepcopy(project), project_json(project)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_undo_all_restores_original_and_redo_all_restores_edit(project_factory, data):
    project = project_factory()
    original = _state(project)
    clock_now = [0.0]
    history = History(clock=lambda: clock_now[0], merge_window=1.0)
    ids = Ids()
    steps = data.draw(st.integers(1, 14), label="steps")
    for _ in range(steps):
        if not project.all_shots():  # most edits need a shot; put one back
            make = add_shot if project.sequences else scene_edit
        else:
            make = data.draw(st.sampled_from(EDITS), label="edit")
        command, merge_key = make(project, data.draw, ids)
        before = (_state(project), history.labels())
        clock_now[0] += data.draw(st.sampled_from([0.2, 5.0]), label="pause")
        try:
            history.push(project, command, merge_key=merge_key)
        except CommandError:
            assert make is failing_compound, f"a valid edit was refused: {command}"
            assert project == before[0][0] and project_json(project) == before[0][1]
            assert history.labels() == before[1]
            continue
        assert make is not failing_compound
        # every edit keeps the project valid: it saves and loads back to the same thing
        assert semantic_problems(project, "<edited>") == []
    edited = _state(project)
    text = project_json(project)
    assert parse_project(json.loads(text), "<edited>") == project

    undone = 0
    while history.can_undo:
        history.undo(project)
        undone += 1
    assert undone <= steps
    assert project == original[0]
    assert project_json(project) == original[1]
    assert not history.dirty

    for _ in range(undone):
        history.redo(project)
    assert not history.can_redo
    assert project == edited[0]
    assert project_json(project) == edited[1]
