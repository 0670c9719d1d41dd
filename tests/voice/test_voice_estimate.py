"""Speaking time estimated from text (the inspector's live dialogue-overflow warning)."""

from __future__ import annotations

import pytest

from storyboard_app.model import Character, DialogueLine, Project, Sequence, Shot, VoiceSettings
from storyboard_app.voice.estimate import (
    estimate_line_frames,
    estimate_line_seconds,
    estimate_shot_timing,
)
from storyboard_app.voice.timing import vo_frames

# Lengths of these lines synthesised by the bundled piper voice (en_US-joe-medium, rate 1.0),
# measured on 2026-11-25; the estimate's constants were fitted to them.
PIPER_SECONDS = {
    "You're late again, Mara. The broth doesn't wait for anyone.": 3.66,
    "Someone left this for you.": 1.36,
    "For me? Nobody knows I come here.": 2.46,
    "Your father's shop. Tonight, before the tide.": 3.03,
    "Then you know what it opens.": 1.43,
}


@pytest.mark.parametrize(("text", "seconds"), PIPER_SECONDS.items())
def test_estimate_is_close_to_the_bundled_voice(text: str, seconds: float) -> None:
    assert abs(estimate_line_seconds(text) - seconds) <= 0.35


def test_estimate_scales_with_rate_and_skips_empty_lines() -> None:
    text = "Someone left this for you."
    assert estimate_line_seconds(text, rate=2.0) == pytest.approx(estimate_line_seconds(text) / 2)
    assert estimate_line_seconds("   ") == 0.0
    assert estimate_line_frames(text, 24) == -(-int(estimate_line_seconds(text) * 24 * 1000) // 1000)


def test_shot_timing_uses_lead_gap_and_speaker_rate() -> None:
    fast = Character("ch_a", "A", voice=VoiceSettings(rate=2.0))
    lines = [DialogueLine("l1", "ch_a", "Someone left this for you."), DialogueLine("l2", "", ""),
             DialogueLine("l3", "", "For me? Nobody knows I come here.")]
    shot = Shot("s1", "1", duration=24, dialogue=lines)
    project = Project(title="t", characters=[fast], sequences=[Sequence("q1", "Scene", shots=[shot])])
    timing = estimate_shot_timing(project, shot)
    expected = vo_frames([estimate_line_frames(lines[0].text, 24, 2.0), estimate_line_frames(lines[2].text, 24)],
                         project.render.dialogue_lead_frames, project.render.dialogue_gap_frames)
    assert timing.lines == 2 and timing.vo_frames == expected and timing.overlong
