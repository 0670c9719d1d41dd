"""Issue 17: a project's rate may be NTSC (23.976, 29.97, 59.94): a whole timebase plus a flag,
the real rate an exact fraction; validated on load and on every edit."""

from __future__ import annotations

from fractions import Fraction

import pytest

from storyboard_app.model import EditRefused, History, Project, Ref, SetField
from storyboard_app.model.timecode import (
    COMMON_RATES,
    format_rate,
    frame_rate,
    parse_frame_rate,
    rate_label,
)
from storyboard_app.model.validation import semantic_problems
from storyboard_app.voice.estimate import estimate_line_frames
from storyboard_app.voice.timing import samples_to_frames


@pytest.mark.parametrize(("text", "expected"), [
    ("24", (24, False)), ("25", (25, False)), ("12", (12, False)), ("23.976", (24, True)), ("23.98", (24, True)),
    ("29.97", (30, True)), ("59.94", (60, True)), ("24000/1001", (24, True)), (" 30000/1001 ", (30, True)),
])
def test_parse_frame_rate(text, expected) -> None:
    assert parse_frame_rate(text) == expected


@pytest.mark.parametrize("text", ["23.5", "fast", "", "24.5", "25/1001"])
def test_parse_frame_rate_refuses_what_is_not_a_rate(text) -> None:
    with pytest.raises(ValueError, match="frame rate"):
        parse_frame_rate(text)


def test_real_rate_is_exact_and_labelled_as_editors_write_it() -> None:
    project = Project(fps=24, ntsc=True)
    assert project.frame_rate == Fraction(24000, 1001) and project.rate_label == "23.976"
    assert Project(fps=25).frame_rate == 25 and Project(fps=25).rate_label == "25"
    assert [rate_label(fps, ntsc) for _label, fps, ntsc in COMMON_RATES] == [label for label, _f, _n in COMMON_RATES]
    assert format_rate(frame_rate(30, True)) == "29.97" and format_rate(frame_rate(60, True)) == "59.94"


def test_ntsc_only_with_a_timebase_that_has_one() -> None:
    problems = semantic_problems(Project(fps=25, ntsc=True), "p.json")
    assert [(p.path, p.reason) for p in problems] == [("$.ntsc", "ntsc (x1000/1001) needs fps 24, 30 or 60 (got 25)")]
    assert semantic_problems(Project(fps=30, ntsc=True), "p.json") == []


def test_an_edit_that_would_make_an_invalid_rate_is_refused() -> None:
    project = Project(fps=25)
    history = History()
    with pytest.raises(EditRefused, match=r"\$\.ntsc"):
        history.push(project, SetField(Ref("project"), "ntsc", True))
    assert project.ntsc is False  # rolled back
    history.push(project, SetField(Ref("project"), "fps", 24))
    history.push(project, SetField(Ref("project"), "ntsc", True))
    assert project.frame_rate == Fraction(24000, 1001)
    history.undo(project)
    assert (project.fps, project.ntsc) == (24, False)


def test_seconds_become_frames_at_the_real_rate() -> None:
    """Ten minutes of speech are 14386 frames at 23.976 (14400 at 24): voice fitting uses the real rate."""
    assert samples_to_frames(600 * 48000, 48000, Fraction(24000, 1001)) == 14386
    assert samples_to_frames(600 * 48000, 48000, 24) == 14400
    assert samples_to_frames(48000, 48000, Fraction(24000, 1001)) == 24  # 23.976 frames: still 24 to hold it
    long_text = "word " * 2000
    assert estimate_line_frames(long_text, Fraction(24000, 1001)) < estimate_line_frames(long_text, 24)
