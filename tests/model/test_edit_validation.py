"""Every command is validated when it is pushed, every save before it is written (issue 12, 4).

The app must never hold, and so never save, a project that it refuses to open.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time

import pytest

from storyboard_app.model import (
    CommandError,
    Document,
    EditRefused,
    History,
    ProjectError,
    Ref,
    SetField,
    Shot,
    Take,
    Transition,
    TransitionKind,
    load_project,
    project_json,
    save_project,
)
from storyboard_app.model import commands as cmd
from storyboard_app.model.validation import check_id


def snapshot(project) -> str:
    return project_json(project)


@pytest.mark.parametrize(("command", "path", "reason"), [
    (cmd.set_shot("sh_4", "duration", 10), "$.sequences[1].shots[0].transition_in.frames",
     "dissolve length must be 1..10"),  # shorter than its 24-frame dissolve
    (cmd.set_shot("sh_2", "duration", -5), "$.sequences[0].shots[1].duration", "at least 1 frame"),
    (cmd.set_shot("sh_2", "transition_in", Transition(TransitionKind.DISSOLVE, 500)),
     "$.sequences[0].shots[1].transition_in.frames", "1..48 frames"),
    (SetField(Ref("character", ("ch_bo",)), "voice",
              dataclasses.replace(__import__("storyboard_app.model", fromlist=["VoiceSettings"]).VoiceSettings(),
                                  volume_db=1000.0)),
     "$.characters[1].voice.volume_db", "volume must be -60..+24 dB"),
    (SetField(Ref("render"), "music_volume_db", 1000.0), "$.render.music_volume_db", "volume"),
    (cmd.InsertShot("sq_a", 0, Shot(id="../../../ESCAPED")), "$.sequences[0].shots[0].id", "unsafe id"),
    (cmd.InsertTake("sh_2", 0, Take(id="a/b", generator_id="sketch")), "$.sequences[0].shots[1].takes[0].id",
     "unsafe id"),
    (SetField(Ref("shot", ("sh_2",)), "style_id", "st_gone"), "$.sequences[0].shots[1].style_id", "unknown style"),
], ids=["shorter-than-transition", "negative-duration", "transition-too-long", "voice-volume",
        "music-volume", "escaping-shot-id", "take-id-with-slash", "dangling-style"])
def test_an_invalid_edit_is_refused_and_changes_nothing(project, command, path, reason):
    history = History()
    history.push(project, cmd.set_shot("sh_1", "title", "before"))
    before = snapshot(project)
    with pytest.raises(EditRefused) as exc:
        history.push(project, command)
    assert isinstance(exc.value, CommandError)  # the GUI shows CommandErrors in its status bar
    assert [(p.path, reason in p.reason) for p in exc.value.problems][:1] == [(path, True)], exc.value.problems
    assert path in str(exc.value) and reason in str(exc.value)
    assert snapshot(project) == before
    assert history.labels() == (["Set shot title"], []) and history.undo_label == "Set shot title"


def test_a_refused_edit_inside_a_compound_rolls_back_every_part(project):
    history = History()
    before = snapshot(project)
    bad = cmd.Compound([cmd.set_shot("sh_2", "title", "x"), cmd.set_shot("sh_2", "duration", 0)], "Two")
    with pytest.raises(EditRefused):
        history.push(project, bad)
    assert snapshot(project) == before and not history.can_undo


@pytest.mark.parametrize(("field", "value"), [
    ("duration", "five"), ("duration", 2.5), ("title", 5), ("camera_strength", float("nan")),
    ("size", "HUGE"), ("characters", "ch_ana"),
])
def test_a_value_of_the_wrong_type_is_refused(project, field, value):
    history = History()
    before = snapshot(project)
    with pytest.raises(CommandError, match=f"Shot.{field}"):
        history.push(project, cmd.set_shot("sh_2", field, value))
    assert snapshot(project) == before


def test_an_enum_given_as_its_string_is_stored_as_the_enum(project):
    History().push(project, cmd.set_shot("sh_2", "size", "CU"))
    assert type(project.shot("sh_2").size).__name__ == "ShotSize"


def test_a_project_built_invalid_stays_editable_for_unrelated_edits(project):
    project.shot("sh_3").duration = 0  # built in code, never loaded
    history = History()
    history.push(project, cmd.set_shot("sh_1", "title", "still editable"))
    assert project.shot("sh_1").title == "still editable"
    with pytest.raises(EditRefused):  # but a new problem is still refused
        history.push(project, cmd.set_shot("sh_2", "duration", 0))


def test_document_apply_validates_too(project, tmp_path):
    doc = Document(project, tmp_path / "d.sbproj")
    with pytest.raises(EditRefused):
        doc.apply(cmd.set_shot("sh_4", "duration", 3))
    assert not doc.dirty


@pytest.mark.parametrize("value", ["../x", "a/b", "a\\b", "..", "a..b", "", " x", "x" * 65, "é", ".hidden",
                                   "nul\x00"])
def test_unsafe_ids(value):
    assert check_id(value) is not None


@pytest.mark.parametrize("value", ["shot_01", "take_c1e00df3", "s1", "3A", "a.b-c_d", "x" * 64])
def test_safe_ids(value):
    assert check_id(value) is None


@pytest.mark.parametrize(("where", "path"), [
    (lambda d: d["sequences"][0], "$.sequences[0].id"),
    (lambda d: d["sequences"][0]["shots"][0], "$.sequences[0].shots[0].id"),
    (lambda d: d["characters"][0], "$.characters[0].id"),
    (lambda d: d["sequences"][0]["shots"][0]["takes"][0], "$.sequences[0].shots[0].takes[0].id"),
])
def test_unsafe_ids_are_refused_on_load(project, tmp_path, where, path):
    root = save_project(project, tmp_path / "ids.sbproj")
    data = json.loads((root / "project.json").read_text(encoding="utf-8"))
    where(data)["id"] = "../../../ESCAPED"
    (root / "project.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    assert path in [p.path for p in exc.value.problems]


def test_json_nested_too_deeply_is_a_project_error(project, tmp_path):
    root = save_project(project, tmp_path / "deep.sbproj")
    (root / "project.json").write_text('{"schema_version": 1, "title": ' + "[" * 50_000 + "]" * 50_000 + "}",
                                       encoding="utf-8")
    with pytest.raises(ProjectError, match="nested too deeply"):
        load_project(root)


# --------------------------------------------------------------------------- saves


@pytest.mark.parametrize("damage", [
    lambda p: setattr(p.shot("sh_2"), "duration", -1),
    lambda p: setattr(p.shot("sh_2"), "id", "../../x"),
    lambda p: setattr(p.character("ch_ana").voice, "volume_db", 1000.0),
    lambda p: setattr(p.shot("sh_2"), "title", 5),
    lambda p: setattr(p.shot("sh_2"), "camera_strength", float("inf")),
], ids=["negative-duration", "unsafe-id", "volume", "wrong-type", "infinite"])
def test_a_save_is_validated_before_anything_is_written(project, tmp_path, damage):
    root = save_project(project, tmp_path / "v.sbproj")
    old = (root / "project.json").read_bytes()
    listing = sorted(p.name for p in root.iterdir())
    damage(project)
    with pytest.raises(ProjectError):
        save_project(project, root)
    assert (root / "project.json").read_bytes() == old
    assert sorted(p.name for p in root.iterdir()) == listing
    load_project(root)


def test_a_save_with_nothing_changed_rewrites_nothing(project, tmp_path):
    root = save_project(project, tmp_path / "same.sbproj")
    project.title = "Second"
    save_project(project, root)
    file, backup = root / "project.json", root / "project.json.bak"
    stat, previous = file.stat(), backup.read_bytes()
    save_project(project, root)
    assert (file.stat().st_ino, file.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert backup.read_bytes() == previous  # still the version before, not a copy of the current


# --------------------------------------------------------------------------- speed


def test_validation_is_fast_enough_for_typing_on_a_1000_shot_project(project):
    seq = project.sequences[0]
    template = project.shot("sh_1")
    for i in range(1000):
        shot = copy.deepcopy(template)
        shot.id = f"bulk_{i}"
        for take in shot.takes:
            take.media_path = take.media_path and f"media/takes/bulk_{i}/{take.id}.mp4"
        seq.shots.append(shot)
    history = History()
    history.push(project, cmd.set_shot("bulk_5", "title", "warm"))
    pushes = 50
    started = time.process_time()  # CPU time: other processes on a busy runner don't count
    for i in range(pushes):
        history.push(project, cmd.set_shot("bulk_5", "title", f"t{i}"), merge_key="typing")
    per_push = (time.process_time() - started) / pushes
    print(f"push with validation on {len(project.all_shots())} shots: {per_push * 1000:.1f} ms CPU")
    # ~9 ms CPU here (1005 shots, 3 takes and 3 lines each); the bound leaves room for slow CI.
    assert per_push < 0.05
