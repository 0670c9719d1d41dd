"""Every edit command applies, and its inverse restores the project exactly.

"Exactly" is checked two ways: dataclass equality with a deep copy taken before the edit, and the
canonical ``project_json`` text (which also catches enum-vs-string and int-vs-float drift that
``==`` would forgive). The inverse of the inverse must redo the edit to the same result.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storyboard_app.model import (
    Character,
    CommandError,
    Compound,
    DialogueLine,
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
from storyboard_app.model.validation import semantic_problems


def snapshot(project: Project) -> tuple[Project, str]:
    return copy.deepcopy(project), project_json(project)


def assert_same(project: Project, snap: tuple[Project, str]) -> None:
    assert project == snap[0]
    assert project_json(project) == snap[1]


def assert_undoable(project: Project, command: Any) -> Any:
    """Apply, undo, redo; each step lands on the exact expected state. Returns the inverse.

    Leaves ``project`` in the edited state, so a test can go on to check what the edit did.
    """
    before = snapshot(project)
    inverse = command.apply(project)
    after = snapshot(project)
    assert after[1] != before[1], "the command changed nothing"
    assert semantic_problems(project, "<test>") == [], "the edit left an invalid project"
    redo = inverse.apply(project)
    assert_same(project, before)
    redo.apply(project)
    assert_same(project, after)
    return inverse


def shot_ids(project: Project, seq_id: str) -> list[str]:
    return [s.id for s in project.sequence(seq_id).shots]


# --------------------------------------------------------------------------- SetField

SET_FIELD_CASES = [
    (Ref("project"), "title", "Renamed"),
    (Ref("project"), "fps", 25),
    (Ref("project"), "style_id", "st_neon"),
    (Ref("project"), "generator_settings", {"sketch": {"line_weight": 5}, "other": {}}),
    (Ref("render"), "music_volume_db", -6.0),
    (Ref("sequence", ("sq_a",)), "name", "Night market"),
    (Ref("shot", ("sh_2",)), "duration", 50),
    (Ref("shot", ("sh_2",)), "size", ShotSize.OTS),
    (Ref("shot", ("sh_2",)), "characters", ["ch_bo", "ch_ana"]),
    (Ref("shot", ("sh_2",)), "transition_in", Transition(TransitionKind.DISSOLVE, 8)),
    (Ref("shot", ("sh_2",)), "seed_locked", True),
    (Ref("character", ("ch_bo",)), "description", "a cook with a ladle"),
    (Ref("character", ("ch_ana",)), "reference_images", []),
    (Ref("style", ("st_ink",)), "palette", ["#000000"]),
    (Ref("line", ("sh_1", "ln_2")), "text", "Right away."),
    (Ref("line", ("sh_1", "ln_2")), "audio", None),
    (Ref("take", ("sh_1", "tk_2")), "status", TakeStatus.CANCELLED),
]


@pytest.mark.parametrize(("target", "name", "value"), SET_FIELD_CASES,
                         ids=[f"{t.kind}.{n}" for t, n, _ in SET_FIELD_CASES])
def test_set_field_on_every_object_kind(project, target, name, value):
    inverse = assert_undoable(project, SetField(target, name, value))
    assert isinstance(inverse, SetField) and inverse.field == name
    assert getattr(target.resolve(project), name) == value


def test_set_field_keeps_its_own_copy_of_the_value(project):
    cast = ["ch_ana"]
    cmd.SetField(Ref("shot", ("sh_2",)), "characters", cast).apply(project)
    cast.append("ch_cy")  # the caller mutating its list must not reach into the project
    assert project.shot("sh_2").characters == ["ch_ana"]


@pytest.mark.parametrize(
    ("target", "name", "message"),
    [
        (Ref("shot", ("sh_2",)), "id", "no editable field 'id'"),
        (Ref("shot", ("sh_2",)), "colour", "no editable field 'colour'"),
        (Ref("shot", ("nope",)), "title", "^no shot with id 'nope'$"),
        (Ref("line", ("sh_1", "nope")), "text", "no dialogue line"),
        (Ref("take", ("sh_1", "nope")), "status", "no take"),
        (Ref("sequence", ("nope",)), "name", "^no sequence with id 'nope'$"),
    ],
)
def test_set_field_refuses_bad_targets_and_changes_nothing(project, target, name, message):
    before = snapshot(project)
    with pytest.raises(CommandError, match=message):
        SetField(target, name, "x").apply(project)
    assert_same(project, before)


# --------------------------------------------------------------------------- shots


def test_insert_and_remove_shot(project):
    new = Shot(id="sh_new", number="9", duration=30)
    inverse = assert_undoable(project, cmd.InsertShot("sq_a", 1, new))
    assert isinstance(inverse, cmd.RemoveShot)
    assert_undoable(project, cmd.RemoveShot("sh_3"))
    # the removed shot comes back whole (takes, dialogue) and in its place
    removed = copy.deepcopy(project.shot("sh_1"))
    inverse = cmd.RemoveShot("sh_1").apply(project)
    assert "sh_1" not in shot_ids(project, "sq_a")
    inverse.apply(project)
    assert shot_ids(project, "sq_a")[0] == "sh_1" and project.shot("sh_1") == removed


def test_insert_shot_refuses_duplicate_id_and_bad_index(project):
    before = snapshot(project)
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertShot("sq_b", 0, Shot(id="sh_1")).apply(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.InsertShot("sq_a", 4, Shot(id="sh_x")).apply(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.InsertShot("sq_a", -1, Shot(id="sh_x")).apply(project)
    with pytest.raises(CommandError, match="no scene"):
        cmd.InsertShot("sq_zz", 0, Shot(id="sh_x")).apply(project)
    with pytest.raises(CommandError, match="no shot"):
        cmd.RemoveShot("sh_zz").apply(project)
    assert_same(project, before)


def test_inserted_shot_is_a_copy(project):
    new = Shot(id="sh_new")
    cmd.InsertShot("sq_c", 0, new).apply(project)
    new.title = "changed afterwards"
    assert project.shot("sh_new").title == ""


@pytest.mark.parametrize(
    ("shot", "seq", "index", "expected_a", "expected_b"),
    [
        ("sh_1", "sq_a", 2, ["sh_2", "sh_3", "sh_1"], ["sh_4", "sh_5"]),  # forward, to the end
        ("sh_3", "sq_a", 0, ["sh_3", "sh_1", "sh_2"], ["sh_4", "sh_5"]),  # backward
        ("sh_2", "sq_a", 1, None, None),  # to where it already is: a no-op
        ("sh_2", "sq_b", 1, ["sh_1", "sh_3"], ["sh_4", "sh_2", "sh_5"]),  # across scenes
        ("sh_5", "sq_a", 3, ["sh_1", "sh_2", "sh_3", "sh_5"], ["sh_4"]),  # across, at the end
    ],
)
def test_move_shot(project, shot, seq, index, expected_a, expected_b):
    command = cmd.MoveShot(shot, seq, index)
    if expected_a is None:
        before = snapshot(project)
        command.apply(project).apply(project)
        assert_same(project, before)
        return
    assert_undoable(project, command)
    assert shot_ids(project, "sq_a") == expected_a
    assert shot_ids(project, "sq_b") == expected_b


def test_move_shot_into_an_empty_scene_and_back(project):
    assert_undoable(project, cmd.MoveShot("sh_4", "sq_c", 0))


def test_move_shot_refuses_bad_index(project):
    before = snapshot(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.MoveShot("sh_1", "sq_a", 3).apply(project)  # 3 shots: 0..2 after removal
    with pytest.raises(CommandError, match="out of range"):
        cmd.MoveShot("sh_1", "sq_b", 3).apply(project)  # 2 shots: 0..2 from outside
    with pytest.raises(CommandError):
        cmd.MoveShot("sh_zz", "sq_a", 0).apply(project)
    assert_same(project, before)


def test_add_shot_numbers_after_the_highest(project):
    project.shot("sh_5").number = "12B"
    command = cmd.add_shot(project, "sq_c", title="New")
    assert command.shot.number == "13" and command.index == 0
    assert_undoable(project, command)


def test_duplicate_shot(project):
    command = cmd.duplicate_shot(project, "sh_1")
    assert_undoable(project, command)
    ids = shot_ids(project, "sq_a")
    assert ids[0] == "sh_1" and ids[2] == "sh_2"
    original, clone = project.shot("sh_1"), project.sequence("sq_a").shots[1]
    assert clone.id != original.id and clone.number == "1A"
    assert clone.prompt == original.prompt and clone.characters == original.characters
    assert clone.takes == [] and clone.selected_take_id is None
    assert [ln.text for ln in clone.dialogue] == [ln.text for ln in original.dialogue]
    assert not {ln.id for ln in clone.dialogue} & {ln.id for ln in original.dialogue}
    # duplicating again picks the next free letter
    assert cmd.duplicate_shot(project, "sh_1").shot.number == "1B"


def test_split_shot(project):
    command = cmd.split_shot(project, "sh_3", 20)
    assert_undoable(project, command)
    first, second = project.sequence("sq_a").shots[2:4]
    assert first.id == "sh_3" and (first.duration, second.duration) == (20, 40)
    assert second.number == "3A" and second.dialogue == [] and second.takes == []
    assert first.dialogue and second.transition_in == Transition()


def test_split_shot_shortens_a_transition_longer_than_the_first_half(project):
    # sh_4 dissolves in over 24 frames; splitting at 10 must leave a loadable project
    assert_undoable(project, cmd.split_shot(project, "sh_4", 10))


@pytest.mark.parametrize("at", [0, 60, -3, 61])
def test_split_shot_refuses_points_outside_the_shot(project, at):
    with pytest.raises(CommandError, match="inside the shot"):
        cmd.split_shot(project, "sh_3", at)


# --------------------------------------------------------------------------- scenes


def test_insert_remove_move_sequence(project):
    assert_undoable(project, cmd.InsertSequence(1, Sequence(id="sq_new", name="New")))
    assert_undoable(project, cmd.MoveSequence("sq_a", 3))
    assert_undoable(project, cmd.MoveSequence("sq_c", 0))
    assert [s.id for s in project.sequences] == ["sq_c", "sq_new", "sq_b", "sq_a"]
    assert_undoable(project, cmd.RemoveSequence("sq_new"))
    assert_undoable(project, cmd.RemoveSequence("sq_a"))  # with its shots, takes and lines
    assert [s.id for s in project.sequences] == ["sq_c", "sq_b"]


def test_sequence_commands_refuse_bad_input(project):
    before = snapshot(project)
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertSequence(0, Sequence(id="sq_a")).apply(project)
    with pytest.raises(CommandError, match="shot with id 'sh_1' already exists"):
        cmd.InsertSequence(0, Sequence(id="sq_new", shots=[Shot(id="sh_1")])).apply(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.InsertSequence(4, Sequence(id="sq_new")).apply(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.MoveSequence("sq_a", 3).apply(project)
    with pytest.raises(CommandError, match="no scene"):
        cmd.RemoveSequence("sq_zz").apply(project)
    assert_same(project, before)


# --------------------------------------------------------------------------- characters, styles


def test_insert_and_remove_character(project):
    assert_undoable(project, cmd.InsertCharacter(3, Character(id="ch_new", name="Dee")))
    assert_undoable(project, cmd.RemoveCharacter("ch_new"))
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertCharacter(0, Character(id="ch_bo", name="Bo 2")).apply(project)


def test_remove_character_clears_every_reference(project):
    command = cmd.remove_character(project, "ch_ana")
    assert_undoable(project, command)
    assert all(c.id != "ch_ana" for c in project.characters)
    for shot in project.all_shots():
        assert "ch_ana" not in shot.characters
        assert all(line.speaker != "ch_ana" for line in shot.dialogue)
    assert project.shot("sh_5").characters == ["ch_cy"]  # billing order of the rest kept
    assert project.shot("sh_1").dialogue[0].speaker == ""
    assert project.shot("sh_1").dialogue[0].text == "Two bowls, please."  # the line stays


def test_insert_and_remove_style(project):
    assert_undoable(project, cmd.InsertStyle(0, Style(id="st_new", name="New")))
    assert_undoable(project, cmd.RemoveStyle("st_new"))  # unused: the bare command is enough
    assert_undoable(project, cmd.remove_style(project, "st_neon"))
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertStyle(0, Style(id="st_ink", name="x")).apply(project)


def test_remove_style_clears_project_and_shot_references(project):
    command = cmd.remove_style(project, "st_ink")
    assert_undoable(project, command)
    assert project.style_id is None and project.shot("sh_4").style_id is None
    assert project.shot("sh_1").style_id == "st_neon"
    assert [s.id for s in project.styles] == ["st_neon"]


# --------------------------------------------------------------------------- dialogue, takes


def test_dialogue_line_commands(project):
    line = DialogueLine(id="ln_new", speaker="ch_bo", text="Next!")
    assert_undoable(project, cmd.InsertLine("sh_2", 0, line))
    assert_undoable(project, cmd.InsertLine("sh_1", 3, line))
    assert_undoable(project, cmd.RemoveLine("sh_1", "ln_2"))
    assert_undoable(project, cmd.MoveLine("sh_1", "ln_1", 2))
    assert_undoable(project, cmd.MoveLine("sh_1", "ln_new", 0))
    assert [ln.id for ln in project.shot("sh_1").dialogue] == ["ln_new", "ln_3", "ln_1"]
    before = snapshot(project)
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertLine("sh_1", 0, DialogueLine(id="ln_1")).apply(project)
    with pytest.raises(CommandError, match="out of range"):
        cmd.MoveLine("sh_1", "ln_1", 3).apply(project)
    with pytest.raises(CommandError, match="no dialogue line"):
        cmd.RemoveLine("sh_1", "ln_zz").apply(project)
    assert_same(project, before)


def test_take_commands(project):
    take = Take(id="tk_new", generator_id="sketch", status=TakeStatus.RUNNING)
    assert_undoable(project, cmd.InsertTake("sh_2", 0, take))
    assert_undoable(project, cmd.InsertTake("sh_1", 1, take))
    assert_undoable(project, cmd.RemoveTake("sh_1", "tk_2"))
    with pytest.raises(CommandError, match="already exists"):
        cmd.InsertTake("sh_1", 0, Take(id="tk_1", generator_id="x")).apply(project)


def test_select_take_pins_it(project):
    command = cmd.select_take(project, "sh_1", "tk_1")
    assert_undoable(project, command)
    shot = project.shot("sh_1")
    assert shot.selected_take_id == "tk_1" and shot.take_pinned
    assert shot.selected_take is shot.takes[0]
    assert_undoable(project, cmd.select_take(project, "sh_1", None, pin=False))
    with pytest.raises(CommandError, match="no take"):
        cmd.select_take(project, "sh_1", "tk_zz")


def test_record_take_selects_a_successful_take_unless_pinned(project):
    done = Take(id="tk_new", generator_id="sketch", status=TakeStatus.DONE,
                media_path="media/takes/new.mp4")
    command = cmd.record_take(project, "sh_2", done)
    assert_undoable(project, command)
    assert project.shot("sh_2").selected_take_id == "tk_new"

    failed = Take(id="tk_fail", generator_id="sketch", status=TakeStatus.FAILED, error="oom")
    cmd.record_take(project, "sh_2", failed).apply(project)
    assert project.shot("sh_2").selected_take_id == "tk_new"  # a failure is not selected
    assert project.shot("sh_2").takes[-1].id == "tk_fail"

    cmd.select_take(project, "sh_1", "tk_1").apply(project)  # the user pins tk_1
    later = Take(id="tk_later", generator_id="sketch", status=TakeStatus.DONE)
    cmd.record_take(project, "sh_1", later).apply(project)
    assert project.shot("sh_1").selected_take_id == "tk_1"


def test_remove_selected_take_falls_back_to_newest_successful(project):
    cmd.select_take(project, "sh_1", "tk_3").apply(project)
    command = cmd.remove_take(project, "sh_1", "tk_3")
    assert_undoable(project, command)
    shot = project.shot("sh_1")
    assert shot.selected_take_id == "tk_1" and not shot.take_pinned  # tk_2 failed: skipped
    cmd.remove_take(project, "sh_1", "tk_1").apply(project)
    assert shot.selected_take_id is None and [t.id for t in shot.takes] == ["tk_2"]


def test_remove_unselected_take_keeps_the_selection(project):
    assert_undoable(project, cmd.remove_take(project, "sh_1", "tk_2"))
    assert project.shot("sh_1").selected_take_id == "tk_3"


# --------------------------------------------------------------------------- compound


def test_compound_is_one_step_with_an_exact_inverse(project):
    command = Compound(
        [
            cmd.set_shot("sh_2", "title", "A"),
            cmd.set_shot("sh_2", "title", "B"),  # the same field twice: order matters on undo
            cmd.MoveShot("sh_2", "sq_b", 0),
            cmd.InsertLine("sh_2", 0, DialogueLine(id="ln_x", text="hi")),
            cmd.RemoveSequence("sq_c"),
        ],
        "Several things",
    )
    inverse = assert_undoable(project, command)
    assert inverse.label == "Several things"


@pytest.mark.parametrize("failing_at", [0, 1, 3, 5])
def test_compound_rolls_back_on_failure(project, failing_at):
    parts: list[Any] = [
        cmd.remove_character(project, "ch_ana"),  # itself a compound, touching three shots
        cmd.set_shot("sh_2", "title", "A"),
        cmd.RemoveShot("sh_3"),
        cmd.MoveShot("sh_1", "sq_b", 1),
        cmd.InsertSequence(0, Sequence(id="sq_new")),
    ]
    parts.insert(failing_at, cmd.RemoveShot("sh_does_not_exist"))
    before = snapshot(project)
    with pytest.raises(CommandError, match="no shot with id 'sh_does_not_exist'$"):
        Compound(parts).apply(project)
    assert_same(project, before)


def test_nested_compound_failure_rolls_back_the_outer_parts_too(project):
    inner = Compound([cmd.set_shot("sh_1", "title", "X"), SetField(Ref("shot", ("sh_1",)), "nope", 1)])
    before = snapshot(project)
    with pytest.raises(CommandError):
        Compound([cmd.RemoveSequence("sq_b"), inner]).apply(project)
    assert_same(project, before)


def test_next_shot_number_ignores_non_numeric_numbers(project):
    for shot, number in zip(project.all_shots(), ["A", "2", "x7", "10C", ""], strict=True):
        shot.number = number
    assert cmd.next_shot_number(project) == "11"
    assert cmd.next_shot_number(Project()) == "1"
