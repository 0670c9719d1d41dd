"""The fields a script import fills (issue 16): defaults load old files, bad values are refused
on load and on edit like their neighbours."""

from __future__ import annotations

import json

import pytest

from storyboard_app.model import (
    DialogueLine,
    Document,
    EditRefused,
    Project,
    Sequence,
    Shot,
    load_project,
)
from storyboard_app.model.commands import Ref, SetField


def project() -> Project:
    shot = Shot("shot_1", dialogue=[DialogueLine("line_1", text="Hi")])
    return Project(sequences=[Sequence("seq_1", "INT. ROOM - DAY", [shot], "ROOM", "DAY", "12A")])


def test_round_trip_and_old_files_without_the_fields(tmp_path):
    document = Document(project(), tmp_path / "p.sbproj")
    document.project.shot("shot_1").dialogue[0].delivery = "V.O.; quietly"
    document.save()
    loaded = load_project(tmp_path / "p.sbproj")
    assert (loaded.sequences[0].location, loaded.sequences[0].time_of_day, loaded.sequences[0].scene_number) == (
        "ROOM", "DAY", "12A")
    assert loaded.all_shots()[0].dialogue[0].delivery == "V.O.; quietly"
    data = json.loads((tmp_path / "p.sbproj" / "project.json").read_text())
    for key in ("location", "time_of_day", "scene_number"):
        del data["sequences"][0][key]
    del data["sequences"][0]["shots"][0]["dialogue"][0]["delivery"]
    (tmp_path / "p.sbproj" / "project.json").write_text(json.dumps(data))
    old = load_project(tmp_path / "p.sbproj")
    assert (old.sequences[0].scene_number, old.all_shots()[0].dialogue[0].delivery) == ("", "")


@pytest.mark.parametrize(("ref", "field", "value", "path"), [
    (Ref("sequence", ("seq_1",)), "scene_number", "12 A", "$.sequences[0].scene_number"),
    (Ref("sequence", ("seq_1",)), "scene_number", "../x", "$.sequences[0].scene_number"),
    (Ref("sequence", ("seq_1",)), "location", "ROOM\nHALL", "$.sequences[0].location"),
    (Ref("sequence", ("seq_1",)), "time_of_day", "DAY\n", "$.sequences[0].time_of_day"),
    (Ref("line", ("shot_1", "line_1")), "delivery", "a\nb", "$.sequences[0].shots[0].dialogue[0].delivery"),
])
def test_bad_values_are_refused_naming_the_field(ref, field, value, path):
    document = Document(project())
    with pytest.raises(EditRefused) as caught:
        document.apply(SetField(ref, field, value))
    assert caught.value.problems[0].path == path


def test_good_scene_numbers():
    document = Document(project())
    for number in ("1", "3A", "I-1.A", ""):
        document.apply(SetField(Ref("sequence", ("seq_1",)), "scene_number", number))
