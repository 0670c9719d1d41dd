"""Issue 13.3: dialogue longer than its shot is fitted, trimmed at the cut, or (only when chosen)
allowed to run over the next shot — measured on the decoded export."""

from __future__ import annotations

import numpy as np
import pytest
from render_fixtures import DURATIONS, FPS, H, W, make_tone

from storyboard_app.media.ffmpeg import decode_audio, run_ffmpeg
from storyboard_app.model import DialogueLine
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic
from storyboard_app.voice.timing import DEFAULT_TAIL_FRAMES

LINE_SECONDS = 2.0  # on shot 3, which lasts 1 s (12 frames at 12 fps)


@pytest.fixture
def overlong(document):
    make_tone(document.paths.root / "media" / "audio" / "long.wav", LINE_SECONDS, 880)
    shot = document.project.shot("s3")
    shot.dialogue = [DialogueLine("l3", "", "a line much too long for its shot", audio="media/audio/long.wav")]
    document.save()
    return document


def export(document, tmp_path, policy):  # noqa: ANN001, ANN201
    out = tmp_path / f"{policy}.mp4"
    report = render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False,
                             dialogue_overflow=policy)
    raw = run_ffmpeg(["-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
    return report, frames, decode_audio(out, 48000)


def rms(audio: np.ndarray, t0: float, t1: float) -> float:
    part = audio[int(t0 * 48000) : int(t1 * 48000)]
    return float(np.sqrt(np.mean(part**2)))


def s4_start(s3_frames: int) -> float:
    return (DURATIONS["s1"] + DURATIONS["s2"] + s3_frames) / FPS


def test_fit_lengthens_the_shot_in_the_export_only(overlong, tmp_path):
    report, frames, audio = export(overlong, tmp_path, "fit")
    vo_end = overlong.project.render.dialogue_lead_frames + int(LINE_SECONDS * FPS)
    fitted = vo_end + DEFAULT_TAIL_FRAMES
    assert len(frames) == sum(DURATIONS.values()) - DURATIONS["s3"] + fitted
    assert report.overflowing == ["3"] and "fitted" in report.overflow_note()
    assert overlong.project.shot("s3").duration == DURATIONS["s3"]  # the project is untouched
    cut = s4_start(fitted)
    assert rms(audio, cut + 0.01, cut + 0.15) < 0.002  # the line ended before the cut
    assert frames[int(cut * FPS) + 6][H // 2, W // 2][2] > 150  # then shot 4 (blue)
    assert report.elapsed > 0


def test_trim_cuts_the_line_at_the_cut(overlong, tmp_path):
    report, frames, audio = export(overlong, tmp_path, "trim")
    assert len(frames) == sum(DURATIONS.values())
    cut = s4_start(DURATIONS["s3"])
    assert rms(audio, cut - 0.4, cut - 0.1) > 0.05  # heard inside its shot
    assert rms(audio, cut + 0.02, cut + 0.15) < 0.002  # silent after the cut
    assert "trimmed" in report.overflow_note()


def test_run_over_plays_across_the_cut_only_when_chosen(overlong, tmp_path):
    report, frames, audio = export(overlong, tmp_path, "run-over")
    assert len(frames) == sum(DURATIONS.values())
    cut = s4_start(DURATIONS["s3"])
    assert rms(audio, cut + 0.02, cut + 0.15) > 0.05
    assert "runs over" in report.overflow_note()


def test_unknown_policy_is_refused(overlong, tmp_path):
    with pytest.raises(ValueError, match="dialogue_overflow"):
        render_animatic(overlong, tmp_path / "x.mp4", generate=False, dialogue_overflow="squeeze")
