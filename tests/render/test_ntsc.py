"""Issue 17: a 23.976 project (timebase 24, NTSC) is carried exactly end to end.

The MP4 is encoded at 24000/1001 (what ffprobe reports as r_frame_rate), every cut and every
voiceover line lands at frames x 1001/24000 s after ten minutes (no drift), the SRT agrees with
the audio, and each interchange format reads back at the project's rate, frame for frame.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from editorial_fixtures import make_clip, make_tone

from storyboard_app.media.ffmpeg import decode_audio, ffmpeg_exe
from storyboard_app.model import DialogueLine, Document, Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.interchange import (
    FORMATS,
    InterchangeError,
    export_interchange,
    read_cut,
)
from storyboard_app.render.service import render_animatic
from storyboard_app.render.subtitles import export_subtitles

RATE = Fraction(24000, 1001)
W, H = 160, 90
COLOURS = [(220, 40, 40), (40, 200, 60), (40, 80, 230), (230, 200, 40)]
DURATIONS = [3600, 3601, 3599, 3700]  # 14500 frames: 604.8 s at 23.976, 604.2 s at 24
LEAD = 6
_SRT_TIME = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) -->")


def _ntsc_document(root: Path) -> Document:
    bundle = root / "ntsc.sbproj"
    shots = []
    for i, (colour, frames) in enumerate(zip(COLOURS, DURATIONS, strict=True)):
        clip = bundle / "media" / "takes" / f"s{i}.mp4"
        make_clip(clip, colour, frames)  # generated at the timebase: 24 frames a "second"
        wav = bundle / "media" / "audio" / f"l{i}.wav"
        make_tone(wav, 0.5, 400 + 100 * i)
        shots.append(Shot(id=f"s{i}", number=str(i + 1), duration=frames,
                          takes=[Take(id=f"t{i}", generator_id="test", status=TakeStatus.DONE,
                                      media_path=f"media/takes/{clip.name}")],
                          selected_take_id=f"t{i}",
                          dialogue=[DialogueLine(f"l{i}", "", f"line {i + 1}", audio=f"media/audio/{wav.name}")]))
    project = Project(title="NTSC", fps=24, ntsc=True, width=W, height=H, sequences=[Sequence("q", "All", shots)])
    project.render.dialogue_lead_frames = LEAD
    doc = Document(project, bundle)
    doc.save()
    return doc


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return _ntsc_document(tmp_path_factory.mktemp("ntsc"))


def _packets(path: Path) -> tuple[Fraction, list[int], list[int]]:
    """(stream time base, packet pts, packet durations) of the video stream, read without
    decoding (``-c copy -f framemd5``): the numbers ffprobe's r_frame_rate comes from."""
    import subprocess

    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:v:0",
                          "-c", "copy", "-f", "framemd5", "-"], capture_output=True, text=True, check=True).stdout
    tb = Fraction(re.search(r"#tb 0: (\d+/\d+)", out).group(1))
    rows = [line.split(",") for line in out.splitlines() if line and not line.startswith("#")]
    return tb, [int(r[2]) for r in rows], [int(r[3]) for r in rows]


def _first_frame_of_colour(path: Path, colour: tuple[int, int, int], near: float) -> int:
    """Index (in the whole file) of the first decoded frame of ``colour`` within 2 s of ``near``."""
    import subprocess

    start_frame = int((near - 2) * RATE)
    start = float(start_frame / RATE)  # seek to a frame time exactly: frame n is n x 1001/24000 s
    raw = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-ss", f"{start:.6f}", "-i", str(path),
                          "-frames:v", "120", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
    centre = frames[:, H // 2 - 4 : H // 2 + 4, W // 2 - 4 : W // 2 + 4].reshape(len(frames), -1, 3).mean(axis=1)
    close = np.abs(centre - np.array(colour)).max(axis=1) < 40
    return start_frame + int(np.argmax(close))


def test_mp4_plays_at_24000_1001_without_drift_over_ten_minutes(doc, tmp_path) -> None:
    mp4 = tmp_path / "ntsc.mp4"
    report = render_animatic(doc, mp4, options=ExportOptions(burnins=BurnIns.none()), generate=False)
    total = sum(DURATIONS)
    assert report.frames == total and report.seconds == pytest.approx(total * 1001 / 24000)
    assert report.seconds > 600

    tb, pts, durations = _packets(mp4)
    assert len(pts) == total
    assert {d * tb for d in durations} == {1 / RATE}  # r_frame_rate 24000/1001, every frame
    last_start = sum(DURATIONS[:-1])
    # the last clip starts on frame 10800: within half a frame of 10800 x 1001/24000 s
    assert abs(sorted(pts)[last_start] * tb - last_start / RATE) < Fraction(1, 2) / RATE
    assert _first_frame_of_colour(mp4, COLOURS[-1], float(last_start / RATE)) == last_start

    # the voiceover: the last line starts LEAD frames into the last shot, at the real rate
    audio = decode_audio(mp4, rate=8000, channels=1)
    assert len(audio) / 8000 == pytest.approx(total * 1001 / 24000, abs=0.05)
    loud = np.abs(audio) > 0.05
    onsets = [i / 8000 for i in range(1, len(loud)) if loud[i] and not loud[max(0, i - 800) : i].any()]
    expected = [float((sum(DURATIONS[:i]) + LEAD) / RATE) for i in range(len(DURATIONS))]
    assert len(onsets) == len(expected)
    for onset, want in zip(onsets, expected, strict=True):
        assert abs(onset - want) < 0.5 / float(RATE), (onset, want)  # at 24 fps: 0.6 s off

    # the SRT says the same times
    srt, count = export_subtitles(doc.project, doc.paths.root, tmp_path / "ntsc.srt")
    starts = [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
              for h, m, s, ms in _SRT_TIME.findall(srt.read_text(encoding="utf-8"))]
    assert count == 4
    assert starts == pytest.approx(expected, abs=0.0005)  # rounded to the millisecond only
    for onset, start in zip(onsets, starts, strict=True):
        assert abs(onset - start) < 0.5 / float(RATE)


def _read(path: Path, rate: float):
    kwargs = {"rate": rate} if path.suffix == ".edl" else {}
    timeline = otio.adapters.read_from_file(str(path), **kwargs)
    if isinstance(timeline, otio.schema.SerializableCollection):
        timeline = next(iter(timeline.find_children(descended_from_type=otio.schema.Timeline)))
    return timeline


@pytest.mark.parametrize("fmt", ["otio", "edl", "fcp7xml"])
def test_interchange_is_written_at_the_projects_own_rate(doc, tmp_path, fmt) -> None:
    """No --rate: an NTSC project goes out at 24000/1001 and comes back frame for frame."""
    from storyboard_app.render.interchange import InterchangeOptions

    out = tmp_path / f"cut{FORMATS[fmt][1]}"
    export_interchange(doc.project, doc.paths.root, out, fmt, InterchangeOptions(media=False, voice=False))
    timeline = _read(out, float(RATE))
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    clips = [c for c in video if isinstance(c, otio.schema.Clip)]
    assert [c.source_range.duration.rate for c in clips] == [pytest.approx(24000 / 1001)] * 4
    assert [c.source_range.duration.value for c in clips] == DURATIONS
    end = video.range_of_child(clips[-1]).end_time_exclusive()
    assert end.value == sum(DURATIONS) and end.rate == pytest.approx(24000 / 1001)
    if fmt == "fcp7xml":
        text = out.read_text(encoding="utf-8")
        assert "<timebase>24</timebase>" in text and "<ntsc>TRUE</ntsc>" in text
    # an EDL does not say its rate: read_cut takes the project's (23.976) by default
    assert [c.frames for c in read_cut(out, doc.project)] == DURATIONS


def test_fcpxml_refuses_ntsc_with_a_clear_error(doc, tmp_path) -> None:
    from storyboard_app.render.interchange import InterchangeOptions

    with pytest.raises(InterchangeError, match=r"fcpxml is written at .* cannot carry 23\.976 exactly"):
        export_interchange(doc.project, doc.paths.root, tmp_path / "x.fcpxml", "fcpxml", InterchangeOptions(media=False))
    assert not (tmp_path / "x.fcpxml").exists()


def test_interchange_media_keeps_every_frame_of_the_take_at_23976(tmp_path) -> None:
    """A take generated at the timebase (24) goes into the edit's media frame for frame at
    24000/1001, as the animatic plays it: resampled by time, frame ~500 of 600 would be dropped."""
    import subprocess

    from storyboard_app.media.ffmpeg import run_ffmpeg
    from storyboard_app.render.interchange import InterchangeOptions

    frames, handles = 600, 4
    bundle = tmp_path / "ramp.sbproj"
    take = bundle / "media" / "takes" / "ramp.mp4"
    take.parent.mkdir(parents=True)
    # each frame's luma says its number (32 + 4 x (n mod 48)): a dropped or doubled frame shows
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=black:s={W}x{H}:r=24", "-vf", "geq=lum='32+mod(N,48)*4':cb=128:cr=128",
                "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
                str(take)])
    shot = Shot(id="s1", number="1", duration=frames, selected_take_id="t1",
                takes=[Take(id="t1", generator_id="test", status=TakeStatus.DONE, media_path="media/takes/ramp.mp4")])
    project = Project(title="Ramp", fps=24, ntsc=True, width=W, height=H, sequences=[Sequence("q", "All", [shot])])
    Document(project, bundle).save()
    out = tmp_path / "ramp.otio"
    export_interchange(project, bundle, out, "otio", InterchangeOptions(handles=handles, voice=False))
    media = tmp_path / "ramp_media" / "shot_1.mp4"
    tb, pts, durations = _packets(media)
    assert len(pts) == frames + 2 * handles and {d * tb for d in durations} == {1 / RATE}
    raw = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(media), "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout
    luma = np.frombuffer(raw, np.uint8).reshape(-1, H * W * 3 // 2)[:, (H // 2) * W + W // 2].astype(int)
    assert len(luma) == frames + 2 * handles
    got = np.round((luma - 32) / 4).astype(int)
    want = np.r_[[0] * handles, np.arange(frames) % 48, [(frames - 1) % 48] * handles]  # handles: held
    wrong = np.flatnonzero(got != want)
    assert not len(wrong), (wrong[:5], got[wrong[:5]], want[wrong[:5]])
