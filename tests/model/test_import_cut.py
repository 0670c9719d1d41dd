"""Applying an editor's cut: new order, durations, removals to "Cut from edit", one undo step."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyboard_app.model import History, project_json
from storyboard_app.model.commands import CUT_FROM_EDIT_SCENE, CutClip, apply_edited_cut
from storyboard_app.model.validation import semantic_problems


def _layout(project) -> list[tuple[str, list[str]]]:  # noqa: ANN001
    return [(seq.name, [s.number for s in seq.shots]) for seq in project.sequences]


def _cut(*spec: tuple[str, int]) -> list[CutClip]:
    return [CutClip(name=name, frames=frames) for name, frames in spec]


def test_reorder_trim_and_remove_is_one_undo_step(project) -> None:
    before = project_json(project)
    history = History()
    # Market: 1 2 3, Alley: 4 5 — the editor swaps 2 and 3, trims 4, drops 5
    command, report = apply_edited_cut(project, _cut(("1", 96), ("3", 60), ("2", 48), ("4", 50)))
    assert command is not None
    history.push(project, command)
    assert _layout(project) == [("Market", ["1", "3", "2"]), ("Alley", ["4"]), ("Empty scene", []),
                                (CUT_FROM_EDIT_SCENE, ["5"])]
    assert project.shot("sh_4").duration == 50
    assert report.moved == ["3", "2"]
    assert report.durations == [("4", 72, 50)]
    assert report.removed == ["5"]
    assert history.undo_label == "Import edited cut"
    assert semantic_problems(project, "project.json") == []
    history.undo(project)
    assert project_json(project) == before
    history.redo(project)
    assert _layout(project)[-1] == (CUT_FROM_EDIT_SCENE, ["5"])


def test_unknown_clips_are_listed_not_guessed(project) -> None:
    clips = _cut(("1", 96), ("2", 48), ("3", 60), ("4", 72), ("5", 36), ("3X", 10), ("VFX_001", 20))
    command, report = apply_edited_cut(project, clips)
    assert command is None  # everything else already matches
    assert report.unknown == ["3X", "VFX_001"]
    assert "unknown clips (not matched to any shot): 3X, VFX_001" in report.lines()


def test_matches_by_media_name_and_metadata(project) -> None:
    names = {"sh_1": "shot_1", "sh_2": "shot_2", "sh_3": "shot_3", "sh_4": "shot_4", "sh_5": "shot_5"}
    clips = [CutClip("A001_renamed", media="shot_5", frames=36), CutClip("whatever", shot_id="sh_4", frames=72),
             CutClip("shot_1.mp4", frames=96), CutClip("2", frames=48), CutClip("3", frames=60)]
    command, report = apply_edited_cut(project, clips, names)
    command.apply(project)
    # 5 and 4 open the cut: the Alley scene now comes first, Market follows
    assert _layout(project)[:2] == [("Alley", ["5", "4"]), ("Market", ["1", "2", "3"])]
    assert report.unknown == []


def test_a_shot_moved_into_a_later_scene_joins_it(project) -> None:
    command, _ = apply_edited_cut(project, _cut(("2", 48), ("3", 60), ("4", 72), ("1", 96), ("5", 36)))
    command.apply(project)
    # the flat order is the cut's order; 1 plays inside Alley now, so it sits there
    assert [s.number for s in project.all_shots()] == ["2", "3", "4", "1", "5"]
    assert _layout(project)[:2] == [("Market", ["2", "3"]), ("Alley", ["4", "1", "5"])]


def test_a_shot_back_in_the_cut_leaves_cut_from_edit(project) -> None:
    first, _ = apply_edited_cut(project, _cut(("1", 96), ("2", 48), ("3", 60), ("4", 72)))
    first.apply(project)
    assert _layout(project)[-1] == (CUT_FROM_EDIT_SCENE, ["5"])
    second, report = apply_edited_cut(project, _cut(("1", 96), ("2", 48), ("3", 60), ("4", 72), ("5", 36)))
    second.apply(project)
    assert report.restored == ["5"]
    assert [s.number for s in project.all_shots()] == ["1", "2", "3", "4", "5"]
    assert _layout(project)[-1] == (CUT_FROM_EDIT_SCENE, [])  # the scene stays, empty
    assert sum(seq.name == CUT_FROM_EDIT_SCENE for seq in project.sequences) == 1


def test_trim_shorter_than_its_dissolve_shortens_the_dissolve(project) -> None:
    # shot 4 dissolves in over 24 frames; the editor cuts it down to 10
    command, _ = apply_edited_cut(project, _cut(("1", 96), ("2", 48), ("3", 60), ("4", 10), ("5", 36)))
    command.apply(project)
    assert project.shot("sh_4").duration == 10
    assert project.shot("sh_4").transition_in.frames == 10
    assert semantic_problems(project, "project.json") == []


def test_repeated_clip_keeps_the_first_use(project) -> None:
    _, report = apply_edited_cut(project, _cut(("1", 96), ("2", 48), ("1", 30), ("3", 60), ("4", 72), ("5", 36)))
    assert report.repeated == ["1"]


def test_an_empty_cut_changes_nothing(project) -> None:
    command, report = apply_edited_cut(project, _cut(("nothing", 10)))
    assert command is None and report.unknown == ["nothing"]


@pytest.mark.parametrize("frames", [0, -5])
def test_durations_are_at_least_one_frame(project, frames) -> None:
    command, _ = apply_edited_cut(project, _cut(("1", frames), ("2", 48), ("3", 60), ("4", 72), ("5", 36)))
    command.apply(project)
    assert project.shot("sh_1").duration == 1


def test_restore_one_and_drop_another_in_the_same_import(project) -> None:
    first, _ = apply_edited_cut(project, _cut(("1", 96), ("2", 48), ("3", 60), ("4", 72)))
    first.apply(project)  # 5 is in "Cut from edit"
    before = project_json(project)
    second, report = apply_edited_cut(project, _cut(("1", 96), ("3", 60), ("4", 72), ("5", 36)))
    inverse = second.apply(project)
    assert report.restored == ["5"] and report.removed == ["2"]
    assert _layout(project)[-1] == (CUT_FROM_EDIT_SCENE, ["2"])
    assert [s.number for s in project.all_shots()] == ["1", "3", "4", "5", "2"]
    inverse.apply(project)
    assert project_json(project) == before


def test_a_cut_of_shots_that_were_all_cut_gets_a_scene(project) -> None:
    first, _ = apply_edited_cut(project, _cut(("VFX", 10)))
    assert first is None
    drop_all, _ = apply_edited_cut(project, _cut(("1", 96)))
    drop_all.apply(project)
    for seq in [s for s in project.sequences if s.name != CUT_FROM_EDIT_SCENE]:
        from storyboard_app.model.commands import RemoveSequence

        RemoveSequence(seq.id).apply(project)  # only "Cut from edit" is left
    assert [seq.name for seq in project.sequences] == [CUT_FROM_EDIT_SCENE]
    command, report = apply_edited_cut(project, _cut(("2", 48), ("3", 60)))
    command.apply(project)
    assert _layout(project)[0] == ("Edit", ["2", "3"])
    assert report.restored == ["2", "3"]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_cut_plays_in_cut_order_and_undoes_exactly(project_factory, data) -> None:
    project = project_factory()
    numbers = [s.number for s in project.all_shots()]
    kept = data.draw(st.lists(st.sampled_from(numbers), unique=True, min_size=1))
    cut = [(n, data.draw(st.integers(1, 300))) for n in kept]
    before = project_json(project)
    command, report = apply_edited_cut(project, _cut(*cut))
    if command is None:
        return
    inverse = command.apply(project)
    playing = [s for seq in project.sequences if seq.name != CUT_FROM_EDIT_SCENE for s in seq.shots]
    assert [(s.number, s.duration) for s in playing] == cut
    cut_scene = [seq for seq in project.sequences if seq.name == CUT_FROM_EDIT_SCENE]
    dropped = sorted(set(numbers) - set(kept))
    assert sorted(s.number for seq in cut_scene for s in seq.shots) == dropped
    assert semantic_problems(project, "project.json") == []
    inverse.apply(project)
    assert project_json(project) == before
