"""A take's remote job record: plain JSON, never a secret, and refused on the way in."""

from __future__ import annotations

import pytest

from storyboard_app.model import Document, Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.model.commands import record_take
from storyboard_app.model.validation import remote_job_problem

JOB = {"service": "fal", "endpoint": "fal-ai/veo3.1", "job_id": "80e7", "status_url": "https://queue.fal.run/x/status"}


@pytest.mark.parametrize("job, why", [
    ({"service": "fal"}, "job_id"),
    ({**JOB, "api_key": "abc"}, "credential"),
    ({**JOB, "headers": {"Authorization": "x"}}, "credential"),
    ({**JOB, "note": "Bearer r8_abcdefghijkl"}, "credential"),
    ({**JOB, "when": float("nan")}, "JSON"),
    ({**JOB, "blob": "x" * 20000}, "too large"),
    ({**JOB, "endpoint": "https://studio:hunter2@gpu-box:8188"}, "credential"),
])
def test_bad_records_are_named(job, why):
    assert why in remote_job_problem(job)


def test_a_plain_record_passes():
    assert remote_job_problem(JOB) is None


def _project(take: Take) -> Project:
    return Project(title="t", sequences=[Sequence("q", "S", [Shot(id="s1", number="1", takes=[take])])])


def test_a_project_with_a_secret_in_a_take_is_refused_on_save(tmp_path):
    from storyboard_app.model import ProjectError

    take = Take(id="t1", generator_id="fal", status=TakeStatus.RUNNING, remote_job={**JOB, "token": "sekrit"})
    with pytest.raises(ProjectError, match=r"takes\[0\]\.remote_job"):
        Document(_project(take), tmp_path / "p.sbproj").save()


def test_a_running_take_round_trips_and_its_outcome_replaces_it(tmp_path):
    running = Take(id="t1", generator_id="fal", status=TakeStatus.RUNNING, remote_job=dict(JOB))
    doc = Document(_project(running), tmp_path / "p.sbproj")
    doc.save()
    loaded = Document.open(tmp_path / "p.sbproj")
    assert loaded.project.all_shots()[0].takes[0].remote_job == JOB
    done = Take(id="t1", generator_id="fal", status=TakeStatus.DONE, remote_job=dict(JOB),
                media_path="media/takes/s1/t1.mp4")
    doc.apply(record_take(doc.project, "s1", done))
    shot = doc.project.all_shots()[0]
    assert [t.status for t in shot.takes] == [TakeStatus.DONE] and shot.selected_take_id == "t1"
    doc.undo()  # one step back: the running take again
    assert [t.status for t in doc.project.all_shots()[0].takes] == [TakeStatus.RUNNING]
