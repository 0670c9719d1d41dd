"""Placing lines in a shot, spotting overlong shots, and the undoable "fit shot to dialogue"."""

from __future__ import annotations

from storyboard_app.model import Document, load_project
from storyboard_app.model.commands import Compound
from storyboard_app.voice import VoiceService
from storyboard_app.voice.timing import (
    ShotTiming,
    fit_shot_to_dialogue,
    fit_shots_to_dialogue,
    line_offsets,
    overlong_shots,
    samples_to_frames,
    vo_frames,
)


def test_samples_round_up_to_whole_frames():
    assert samples_to_frames(22050, 22050, 24) == 24
    assert samples_to_frames(22051, 22050, 24) == 25
    assert samples_to_frames(1, 48000, 24) == 1
    assert samples_to_frames(0, 48000, 24) == 0


def test_lines_follow_the_lead_and_the_gaps():
    assert line_offsets([30, 20, 10], lead=6, gap=4) == [6, 40, 64]
    assert vo_frames([30, 20, 10], lead=6, gap=4) == 6 + 60 + 8
    assert vo_frames([], lead=6, gap=4) == 0


def test_overlong_shots_are_reported_in_order():
    timings = [ShotTiming("a", "1", 50, 48, 1), ShotTiming("b", "2", 20, 48, 1),
               ShotTiming("c", "3", 100, 72, 2)]
    assert [t.shot_id for t in overlong_shots(timings)] == ["a", "c"]
    assert timings[2].excess_frames == 28 and timings[1].excess_frames == 0


def test_fit_shot_to_dialogue_extends_and_undoes(bundle, tone):
    doc = Document.open(bundle)
    doc.project.shot("s2").duration = 10  # "Listen." needs 18 frames with the lead
    service = VoiceService(bundle)
    vo = service.shot_vo_frames(doc.project, "s2")
    assert vo == 18
    command = fit_shot_to_dialogue(doc.project.shot("s2"), vo, tail=12)
    doc.apply(command)
    assert doc.project.shot("s2").duration == 30
    assert doc.history.undo_label == "Fit shot to dialogue" and doc.dirty
    doc.undo()
    assert doc.project.shot("s2").duration == 10
    doc.redo()
    assert doc.project.shot("s2").duration == 30


def test_fit_never_shortens_and_ignores_shots_without_dialogue(bundle, tone):
    project = load_project(bundle)
    assert fit_shot_to_dialogue(project.shot("s1"), 40, tail=12) is None  # 120 >= 52
    assert fit_shot_to_dialogue(project.shot("s3"), 0) is None


def test_fitting_several_shots_is_one_undo_step(bundle, tone):
    doc = Document.open(bundle)
    doc.project.shot("s1").duration = 20
    doc.project.shot("s2").duration = 10
    report = VoiceService(bundle).synthesize(doc.project)
    assert {t.shot_id for t in report.overlong} == {"s1", "s2"}
    command = fit_shots_to_dialogue(doc.project, report.shots, tail=6)
    assert isinstance(command, Compound)
    doc.apply(command)
    vo = {t.shot_id: t.vo_frames for t in report.shots}
    assert doc.project.shot("s1").duration == vo["s1"] + 6
    assert doc.project.shot("s2").duration == vo["s2"] + 6
    assert doc.project.shot("s3").duration == 48
    doc.undo()
    assert (doc.project.shot("s1").duration, doc.project.shot("s2").duration) == (20, 10)
    assert not doc.history.can_undo


def test_nothing_to_fit_gives_no_command(bundle, tone):
    project = load_project(bundle)
    report = VoiceService(bundle).synthesize(project)
    assert report.overlong == []
    assert fit_shots_to_dialogue(project, report.shots) is None
