"""SRT/WebVTT times are where the voiceover plays: checked against the exported MP4's audio."""

from __future__ import annotations

import re

import numpy as np
import pytest
from editorial_fixtures import DURATIONS, GAP, LEAD, build_editorial_document

from storyboard_app.media.ffmpeg import decode_audio
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic
from storyboard_app.render.subtitles import export_subtitles

FPS = 24
_SRT_TIME = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory):
    return build_editorial_document(tmp_path_factory.mktemp("subs"))


def test_srt_times_follow_the_voiceover_placement(doc, tmp_path) -> None:
    path, count = export_subtitles(doc.project, doc.paths.root, tmp_path / "d.srt")
    assert count == 4
    text = path.read_text(encoding="utf-8")
    cues = [(_seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])) for m in _SRT_TIME.finditer(text)]
    # shot 1 starts at 0: its line LEAD frames in; shot 2 (after 48 frames) has two lines 12 + GAP apart
    s2 = DURATIONS["1"]
    s4 = DURATIONS["1"] + DURATIONS["2"] + DURATIONS["3"]
    expected_frames = [LEAD, s2 + LEAD, s2 + LEAD + 12 + GAP, s4 + LEAD]
    assert [round(c[0] * FPS, 3) for c in cues] == pytest.approx(expected_frames, abs=0.03)
    assert all(round((end - start) * FPS) == 12 for start, end in cues)
    assert "Мария: Ключ у меня." in text and "山田花子: 鍵はここにある" in text
    vtt, _ = export_subtitles(doc.project, doc.paths.root, tmp_path / "d.vtt", slate_frames=48)
    body = vtt.read_text(encoding="utf-8")
    assert body.startswith("WEBVTT\n")
    assert "00:00:02.083 --> 00:00:02.583\n<v Ana>Where is the key?" in body  # 2 s slate + 2 frames


def test_srt_matches_the_audio_of_the_exported_mp4(doc, tmp_path) -> None:
    """The subtitle for each line starts where the rendered animatic's audio for it starts."""
    mp4 = tmp_path / "a.mp4"
    render_animatic(doc, mp4, options=ExportOptions(burnins=BurnIns(subtitles=False, slate=True)),
                    generate=False)
    srt, _ = export_subtitles(doc.project, doc.paths.root, tmp_path / "a.srt", slate_frames=2 * FPS)
    starts = [_seconds(*m.groups()[:4]) for m in _SRT_TIME.finditer(srt.read_text(encoding="utf-8"))]
    audio = decode_audio(mp4, rate=8000, channels=1)
    loud = np.abs(audio) > 0.02
    onsets = [i / 8000 for i in range(1, len(loud)) if loud[i] and not loud[max(0, i - 400) : i].any()]
    assert len(onsets) == len(starts)
    for onset, start in zip(onsets, starts, strict=True):
        assert abs(onset - start) < 1.0 / FPS, (onset, start)


def _srt_cues(text: str) -> list[tuple[float, str]]:
    """(start seconds, text) of each SRT cue."""
    cues = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        lines = block.splitlines()
        m = _SRT_TIME.search(lines[1])
        assert m, block
        cues.append((_seconds(*m.groups()[:4]), "\n".join(lines[2:])))
    return cues


def test_soft_subtitle_track_matches_the_srt(doc, tmp_path) -> None:
    """``soft_subtitles``: a mov_text stream whose cues (text and start) are the SRT's."""
    from storyboard_app.media.ffmpeg import probe, run_ffmpeg

    mp4 = tmp_path / "soft.mp4"
    render_animatic(doc, mp4, options=ExportOptions(burnins=BurnIns(slate=True), soft_subtitles=True),
                    generate=False)
    srt, count = export_subtitles(doc.project, doc.paths.root, tmp_path / "s.srt", slate_frames=2 * FPS)
    extracted = tmp_path / "extracted.srt"
    run_ffmpeg(["-y", "-i", str(mp4), "-map", "0:s:0", str(extracted)])
    expected = _srt_cues(srt.read_text(encoding="utf-8"))
    got = _srt_cues(extracted.read_text(encoding="utf-8"))
    assert len(got) == count == 4
    assert [text for _, text in got] == [text for _, text in expected]
    assert [start for start, _ in got] == pytest.approx([start for start, _ in expected], abs=0.002)
    info = probe(mp4)
    assert info.video_codec == "h264" and info.audio_codec == "aac"  # video and voice still there
    import subprocess

    from storyboard_app.media.ffmpeg import ffmpeg_exe

    streams = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(mp4)], capture_output=True,
                             text=True).stderr
    assert re.search(r"Stream #0:2\[[^\]]*\]\(und\): Subtitle: mov_text", streams), streams


def test_no_subtitle_stream_without_the_option(doc, tmp_path) -> None:
    import subprocess

    from storyboard_app.media.ffmpeg import ffmpeg_exe

    mp4 = tmp_path / "hard.mp4"
    render_animatic(doc, mp4, options=ExportOptions(burnins=BurnIns.none()), generate=False)
    streams = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(mp4)], capture_output=True,
                             text=True).stderr
    assert "Subtitle:" not in streams and "Audio: aac" in streams
