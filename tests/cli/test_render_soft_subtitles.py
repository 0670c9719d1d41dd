"""``render --soft-subtitles``: a mov_text track with the dialogue, cut like the sound is."""

from __future__ import annotations

import re

from test_render_dialogue_overflow import bundle  # noqa: F401 - the fixture

from storyboard_app.cli import main
from storyboard_app.media.ffmpeg import run_ffmpeg


def test_soft_subtitles_follow_the_dialogue_overflow_policy(bundle, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "soft.mp4"
    assert main(["render", str(bundle), "-o", str(out), "--no-burnins", "--soft-subtitles",
                 "--dialogue-overflow", "trim"]) == 0
    srt = tmp_path / "out.srt"
    run_ffmpeg(["-y", "-i", str(out), "-map", "0:s:0", str(srt)])
    text = srt.read_text(encoding="utf-8")
    times = re.findall(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)", text)
    assert len(times) == 1 and ": far too long" in text
    assert times[0][1] == "00:00:01,000"  # the 2 s line ends at the cut after shot 1 (12 frames at 12 fps)
