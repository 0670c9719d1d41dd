"""Issue 13.17 (Renumber shots, one undo step) and 13.8 (a generation batch folds into one undo
step however long it runs, labelled with its count; an edit in between starts a new step)."""

from __future__ import annotations

import copy
import math

from storyboard_app.model import History, project_json
from storyboard_app.model import commands as cmd


def numbers(project) -> list[str]:  # noqa: ANN001
    return [s.number for s in project.all_shots()]


def test_renumber_numbers_in_timeline_order_and_undoes_exactly(project):
    shots = project.all_shots()
    seq, index, _ = project.find_shot(shots[-1].id)
    cmd.MoveShot(shots[-1].id, seq.id, 0).apply(project)  # the last shot first
    before = project_json(project)
    assert numbers(project) != [str(i) for i in range(1, len(shots) + 1)]
    command = cmd.renumber_shots(project)
    assert command is not None and command.label == "Renumber shots"
    inverse = command.apply(project)
    assert numbers(project) == [str(i) for i in range(1, len(shots) + 1)]
    assert cmd.renumber_shots(project) is None  # already in order: nothing to do
    inverse.apply(project)
    assert project_json(project) == before


def test_a_batch_folds_into_one_step_whatever_its_length(project):
    clock = [0.0]
    history = History(clock=lambda: clock[0], merge_window=1.5)
    shots = project.all_shots()
    original = copy.deepcopy(project)
    for i, shot in enumerate(shots[:3], start=1):
        command = cmd.set_shot(shot.id, "notes", f"take {i}")
        command.label = f"Generate {i} takes"
        history.push(project, command, merge_key="batch:1", window=math.inf)
        clock[0] += 60.0  # a minute between takes: far beyond the typing window
    assert history.labels()[0] == ["Generate 3 takes"] and history.top_merge_key == "batch:1"
    history.undo(project)
    assert project_json(project) == project_json(original)


def test_an_edit_between_takes_starts_a_new_step(project):
    history = History(clock=lambda: 0.0)
    shots = project.all_shots()
    history.push(project, cmd.set_shot(shots[0].id, "notes", "a"), merge_key="batch:1", window=math.inf)
    history.push(project, cmd.set_shot(shots[1].id, "title", "mine", "Edit title"))
    history.push(project, cmd.set_shot(shots[2].id, "notes", "b"), merge_key="batch:1", window=math.inf)
    assert len(history.labels()[0]) == 3  # the director's edit is not buried in the batch
