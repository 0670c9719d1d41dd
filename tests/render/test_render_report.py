"""``render_animatic`` says which shots are placeholders and why (issue 12, point 3).

Generation is replaced by a stand-in report here (the real batch is tested in tests/generation
and end to end in tests/cli), so only the service's accounting is under test.
"""

from __future__ import annotations

import pytest

from storyboard_app.generation import service as generation_service
from storyboard_app.generation.service import GenerationReport
from storyboard_app.model import Take, TakeStatus
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic

OPTIONS = ExportOptions(burnins=BurnIns.none())


def fake_generation(monkeypatch, report: GenerationReport, concluded: tuple[str, ...]) -> None:
    def generate_shots(document, shots, *, on_event=None, **kwargs):  # noqa: ANN001, ANN202
        for shot_id in concluded:
            shot = document.project.shot(shot_id)
            on_event(generation_service.BatchEvent(shot_id, shot.number, generation_service.JobState.DONE,
                                                   1.0, "", outcome="up_to_date"))
        return report

    monkeypatch.setattr(generation_service, "generate_shots", generate_shots)


def test_without_generation_a_placeholder_names_its_reason(document, tmp_path):
    report = render_animatic(document, tmp_path / "a.mp4", options=OPTIONS, generate=False)
    assert report.placeholders == 1
    assert report.placeholder_shots == [("3", "no take")]
    assert report.generation_failed is False


def test_a_failed_take_is_the_reason(document, tmp_path):
    document.project.shot("s3").takes.append(Take(id="tk_f", generator_id="x", status=TakeStatus.FAILED,
                                                  error="CUDA out of memory"))
    report = render_animatic(document, tmp_path / "a.mp4", options=OPTIONS, generate=False)
    assert report.placeholder_shots == [("3", "no take (last attempt failed: CUDA out of memory)")]


def test_failed_generation_is_reported_per_shot(document, tmp_path, monkeypatch):
    fake_generation(monkeypatch, GenerationReport(up_to_date=3, failed=[("3", "model x is not present")]),
                    concluded=("s1", "s2", "s3", "s4"))
    report = render_animatic(document, tmp_path / "a.mp4", options=OPTIONS)
    assert report.placeholder_shots == [("3", "generation failed: model x is not present")]
    assert report.generation_failed is True


@pytest.mark.parametrize("concluded", [(), ("s1", "s2", "s4")])
def test_a_batch_that_stopped_early_is_a_failure_not_silence(document, tmp_path, monkeypatch, concluded):
    fake_generation(monkeypatch, GenerationReport(up_to_date=len(concluded)), concluded)
    report = render_animatic(document, tmp_path / "a.mp4", options=OPTIONS)
    assert report.placeholder_shots == [("3", "generation stopped before this shot finished")]
    assert report.generation_failed is True
