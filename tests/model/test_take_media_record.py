"""Takes record what their media should be; projects written before that still load."""

from __future__ import annotations

import pytest

from storyboard_app.model import Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.model.validation import ProjectError, parse_project, project_to_data


def data_with_take(**fields) -> dict:  # noqa: ANN003
    take = Take("take_1", "sketch", media_path="media/takes/s1/take_1.mp4", status=TakeStatus.DONE)
    project = Project(sequences=[Sequence("q", "Scene", [Shot("s1", takes=[take], selected_take_id="take_1")])])
    data = project_to_data(project)
    data["sequences"][0]["shots"][0]["takes"][0].update(fields)
    return data


def test_a_take_without_a_media_record_loads_with_none():
    data = data_with_take()
    for key in ("frames", "duration_s", "size_bytes"):
        del data["sequences"][0]["shots"][0]["takes"][0][key]
    take = parse_project(data, "p.json").sequences[0].shots[0].takes[0]
    assert (take.frames, take.duration_s, take.size_bytes) == (None, None, None)


def test_the_media_record_round_trips():
    data = data_with_take(frames=72, duration_s=3.0, size_bytes=12345)
    take = parse_project(data, "p.json").sequences[0].shots[0].takes[0]
    assert (take.frames, take.duration_s, take.size_bytes) == (72, 3.0, 12345)


@pytest.mark.parametrize("field, value", [("frames", -1), ("size_bytes", -5), ("duration_s", -0.5)])
def test_a_negative_record_is_refused_naming_the_field(field, value):
    with pytest.raises(ProjectError) as info:
        parse_project(data_with_take(**{field: value}), "p.json")
    assert f"$.sequences[0].shots[0].takes[0].{field}" in str(info.value)


def test_a_record_of_the_wrong_type_is_refused():
    with pytest.raises(ProjectError, match=r"takes\[0\]\.frames"):
        parse_project(data_with_take(frames="72"), "p.json")
