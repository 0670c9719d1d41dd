"""The undo history shared by the GUI and the CLI: order, labels, typing merges, dirty flag."""

from __future__ import annotations

import copy

import pytest

from storyboard_app.model import CommandError, Document, History, project_json
from storyboard_app.model import commands as cmd
from storyboard_app.model.bundle import load_project


class FakeClock:
    """A clock the test moves by hand, so merge windows don't depend on machine speed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def history(clock) -> History:
    return History(clock=clock, merge_window=1.5)


def type_title(history, project, clock, texts, key="title:sh_2", step=0.3):
    """Simulate typing: one SetField per keystroke, ``step`` seconds apart."""
    for text in texts:
        history.push(project, cmd.set_shot("sh_2", "title", text, "Edit title"), merge_key=key)
        clock.now += step


def test_undo_redo_walks_the_states_in_order(project, history):
    states = [project_json(project)]
    edits = [
        cmd.set_shot("sh_1", "title", "One"),
        cmd.RemoveShot("sh_2"),
        cmd.MoveSequence("sq_c", 0),
        cmd.remove_character(project, "ch_cy"),
    ]
    for edit in edits:
        history.push(project, edit)
        states.append(project_json(project))
    for expected in reversed(states[:-1]):
        history.undo(project)
        assert project_json(project) == expected
    assert history.undo(project) is None and not history.can_undo
    for expected in states[1:]:
        history.redo(project)
        assert project_json(project) == expected
    assert history.redo(project) is None and not history.can_redo


def test_labels(project, history):
    assert (history.undo_label, history.redo_label) == (None, None)
    history.push(project, cmd.RemoveShot("sh_2"))
    history.push(project, cmd.split_shot(project, "sh_3", 10))
    history.push(project, cmd.set_shot("sh_1", "title", "x", "Rename shot"))
    assert history.labels() == (["Delete shot", "Split shot", "Rename shot"], [])
    assert history.undo(project) == "Rename shot"
    assert history.undo(project) == "Split shot"
    assert history.labels() == (["Delete shot"], ["Split shot", "Rename shot"])
    assert (history.undo_label, history.redo_label) == ("Delete shot", "Split shot")
    assert history.redo(project) == "Split shot"
    assert history.redo_label == "Rename shot"


def test_a_new_edit_drops_the_redo_steps(project, history):
    history.push(project, cmd.set_shot("sh_1", "title", "a"))
    history.push(project, cmd.set_shot("sh_1", "title", "b"))
    history.undo(project)
    assert history.can_redo
    history.push(project, cmd.set_shot("sh_1", "title", "c"))
    assert not history.can_redo
    history.undo(project)
    assert project.shot("sh_1").title == "a"


def test_a_failed_edit_changes_nothing_and_is_not_recorded(project, history):
    history.push(project, cmd.set_shot("sh_1", "title", "a"))
    history.undo(project)
    before = (copy.deepcopy(project), history.labels())
    bad = cmd.Compound([cmd.set_shot("sh_1", "title", "b"), cmd.RemoveShot("nope")])
    with pytest.raises(CommandError):
        history.push(project, bad)
    assert project == before[0]
    assert history.labels() == before[1]  # the redo step survives a refused edit


def test_typing_within_the_window_merges_into_one_step(project, history, clock):
    original = project.shot("sh_2").title
    type_title(history, project, clock, ["B", "Bo", "Bo ", "Bo c", "Bo co"])
    assert project.shot("sh_2").title == "Bo co"
    assert history.labels() == (["Edit title"], [])
    history.undo(project)
    assert project.shot("sh_2").title == original and not history.can_undo
    history.redo(project)
    assert project.shot("sh_2").title == "Bo co"


def test_a_pause_longer_than_the_window_starts_a_new_step(project, history, clock):
    type_title(history, project, clock, ["B", "Bo"])
    clock.now += 5
    type_title(history, project, clock, ["Bo!", "Bo!!"])
    assert len(history.labels()[0]) == 2
    history.undo(project)
    assert project.shot("sh_2").title == "Bo"


def test_different_merge_keys_do_not_merge(project, history, clock):
    type_title(history, project, clock, ["B"], key="title:sh_2")
    history.push(project, cmd.set_shot("sh_2", "prompt", "p"), merge_key="prompt:sh_2")
    history.push(project, cmd.set_shot("sh_2", "prompt", "pr"))  # no key: never merges
    assert len(history.labels()[0]) == 3


def test_no_merge_across_a_save(project, history, clock):
    type_title(history, project, clock, ["B", "Bo"])
    history.mark_saved()
    type_title(history, project, clock, ["Bob"])
    assert len(history.labels()[0]) == 2
    history.undo(project)
    assert project.shot("sh_2").title == "Bo" and not history.dirty


def test_no_merge_into_a_redone_step(project, history, clock):
    type_title(history, project, clock, ["B"])
    history.undo(project)
    history.redo(project)
    type_title(history, project, clock, ["Bo"])
    assert len(history.labels()[0]) == 2


def test_dirty_flag(project, history, clock):
    assert not history.dirty
    history.push(project, cmd.set_shot("sh_1", "title", "a"))
    assert history.dirty
    history.undo(project)
    assert not history.dirty  # back at the state that was opened
    history.redo(project)
    history.mark_saved()
    assert not history.dirty
    history.push(project, cmd.set_shot("sh_1", "title", "b"))
    assert history.dirty
    history.undo(project)
    assert not history.dirty  # back at the saved state
    history.undo(project)
    assert history.dirty
    history.redo(project)
    assert not history.dirty  # redo back to the saved state is clean too
    history.redo(project)
    assert history.dirty


def test_dirty_stays_set_when_the_saved_state_is_abandoned(project, history):
    history.push(project, cmd.set_shot("sh_1", "title", "a"))
    history.mark_saved()
    history.undo(project)
    history.push(project, cmd.set_shot("sh_1", "title", "a"))  # same text, new history branch
    assert history.dirty  # the saved step is gone from the history: only a save cleans it


def test_merged_typing_after_save_is_dirty(project, history, clock):
    history.mark_saved()
    type_title(history, project, clock, ["B", "Bo"])
    assert history.dirty
    history.undo(project)
    assert not history.dirty


def test_listeners_hear_every_change(project, history):
    heard: list[str] = []
    history.listeners.append(heard.append)
    history.push(project, cmd.RemoveShot("sh_2"))
    history.undo(project)
    history.redo(project)
    history.mark_saved()
    history.clear()
    assert heard == ["Delete shot", "Delete shot", "Delete shot", "saved", "cleared"]


def test_limit_drops_the_oldest_steps(project, clock):
    history = History(limit=3, clock=clock)
    for i in range(5):
        history.push(project, cmd.set_shot("sh_1", "title", f"t{i}"))
    assert len(history.labels()[0]) == 3
    while history.can_undo:
        history.undo(project)
    assert project.shot("sh_1").title == "t1"


def test_document_applies_through_the_history_and_saves(project, tmp_path):
    doc = Document(project, tmp_path / "doc.sbproj")
    assert doc.autosave() is None  # nothing to protect yet
    doc.apply(cmd.set_shot("sh_1", "title", "Edited"))
    assert doc.dirty
    autosave = doc.autosave()
    assert autosave is not None and autosave.exists()
    doc.save()
    assert not doc.dirty and not autosave.exists()
    assert load_project(tmp_path / "doc.sbproj").shot("sh_1").title == "Edited"
    assert doc.undo() == "Set shot title"
    assert doc.dirty and project.shot("sh_1").title == "Market wide"
    assert doc.redo() == "Set shot title"
    assert not doc.dirty


def test_document_save_as_copies_media(project, tmp_path):
    first = tmp_path / "first.sbproj"
    doc = Document(project, first)
    doc.save()
    (first / "media" / "clip.mp4").write_bytes(b"not really a clip")
    (first / "cache").mkdir()
    (first / "cache" / "scratch.bin").write_bytes(b"regenerable")
    doc.save(tmp_path / "second")
    second = tmp_path / "second.sbproj"
    assert doc.bundle == second
    assert (second / "media" / "clip.mp4").read_bytes() == b"not really a clip"
    assert not (second / "cache").exists()  # the cache is regenerable and stays behind
    assert load_project(second) == load_project(first)
