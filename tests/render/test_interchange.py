"""Editorial interchange: every format reads back through OpenTimelineIO's own adapters, the
media beside it is what the clips say, an edited cut comes back, and 23.976 does not drift."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from editorial_fixtures import DURATIONS, LEAD, LINES, build_editorial_document

from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import Project, Sequence, Shot, project_json
from storyboard_app.model.commands import CUT_FROM_EDIT_SCENE, apply_edited_cut
from storyboard_app.render.interchange import (
    FORMATS,
    InterchangeError,
    InterchangeOptions,
    export_interchange,
    parse_rate,
    read_cut,
)
from storyboard_app.render.stills import stable_shot_names

NUMBERS = list(DURATIONS)
DISSOLVE = 8  # into shot 2 (editorial_fixtures)


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory):
    return build_editorial_document(tmp_path_factory.mktemp("interchange"))


def _read(path: Path, rate: float = 24):
    kwargs = {"rate": rate} if path.suffix == ".edl" else {}
    timeline = otio.adapters.read_from_file(str(path), **kwargs)
    if isinstance(timeline, otio.schema.SerializableCollection):
        timeline = next(iter(timeline.find_children(descended_from_type=otio.schema.Timeline)))
    return timeline


def _video_clips(timeline) -> list:
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    return [item for item in video if isinstance(item, otio.schema.Clip)]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_reads_back_with_one_clip_per_shot(doc, tmp_path, fmt) -> None:
    out = tmp_path / f"cut{FORMATS[fmt][1]}"
    report = export_interchange(doc.project, doc.paths.root, out, fmt, InterchangeOptions(media=False))
    assert report.clips == 5
    clips = _video_clips(_read(out))
    assert [c.name for c in clips] == NUMBERS
    durations = [round(c.source_range.duration.rescaled_to(24).value) for c in clips]
    expected = list(DURATIONS.values())
    if fmt == "edl":  # CMX 3600: a dissolve starts at the cut, so the EDL event boundary sits
        expected[0] -= DISSOLVE // 2  # half a dissolve earlier than our centred cut
        expected[1] += DISSOLVE // 2
    assert durations == expected
    assert all(c.source_range.duration.rate == pytest.approx(24) for c in clips)
    # and our own reader turns it back into the boards' durations, to the frame
    assert [c.frames for c in read_cut(out, doc.project)] == list(DURATIONS.values())


@pytest.mark.parametrize("fmt", ["otio", "fcp7xml"])
def test_dissolves_markers_and_voice_track(doc, tmp_path, fmt) -> None:
    out = tmp_path / f"cut{FORMATS[fmt][1]}"
    export_interchange(doc.project, doc.paths.root, out, fmt, InterchangeOptions(media=False))
    timeline = _read(out)
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    transitions = [item for item in video if isinstance(item, otio.schema.Transition)]
    assert len(transitions) == 1
    tr = transitions[0]
    assert (tr.in_offset + tr.out_offset).to_frames() == DISSOLVE
    assert video.index(tr) == 1  # between shot 1 and shot 2
    clips = _video_clips(timeline)
    markers = {c.name: [m.name for m in c.markers] for c in clips}
    assert "Мария: Ключ у меня." in markers["2"] and "Ana: Καλά, πάμε!" in markers["2"]
    assert "山田花子: 鍵はここにある" in markers["4"]
    assert any(m.startswith("NOTE: Hold on the door") for m in markers["3"])
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert audio, "no voiceover track"
    voice = [item for t in audio for item in t if isinstance(item, otio.schema.Clip)]
    assert len(voice) == sum(len(v) for v in LINES.values())
    # the first line plays LEAD frames into shot 1, for 12 frames (0.5 s WAV at 24 fps)
    first = min(voice, key=lambda c: c.range_in_parent().start_time.to_frames())
    assert first.range_in_parent().start_time.to_frames() == LEAD
    assert first.source_range.duration.to_frames() == 12


def test_media_written_beside_the_edit_with_stable_names_and_handles(doc, tmp_path) -> None:
    out = tmp_path / "cut.otio"
    report = export_interchange(doc.project, doc.paths.root, out, "otio", InterchangeOptions(handles=6))
    media = tmp_path / "cut_media"
    assert report.media_dir == media
    names = stable_shot_names(doc.project)
    timeline = _read(out)
    for clip, shot in zip(_video_clips(timeline), doc.project.all_shots(), strict=True):
        file = media / f"{names[shot.id]}.mp4"
        assert file.name == f"shot_{shot.number}.mp4"
        assert Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url)) == file.resolve()
        info = probe(file)
        frames = round(info.duration * 24)
        assert frames == shot.duration + 2 * 6 == clip.media_reference.available_range.duration.to_frames()
        assert clip.source_range.start_time.to_frames() == 6
        assert (info.width, info.height) == (320, 180)
        text = run_ffmpeg_probe(file)
        # ffmpeg prints one "bt709" only when matrix, primaries and transfer are all BT.709
        # (output flags alone tag only the matrix: "bt709/unknown/unknown")
        assert "yuv420p(tv, bt709," in text
    wavs = sorted(p.name for p in media.glob("line_*.wav"))
    assert wavs == ["line_1_1.wav", "line_2_1.wav", "line_2_2.wav", "line_4_1.wav"]
    # a re-export replaces the same files rather than adding new ones
    export_interchange(doc.project, doc.paths.root, out, "otio", InterchangeOptions(handles=6))
    assert len(list(media.iterdir())) == 5 + 4


def run_ffmpeg_probe(path: Path) -> str:
    import subprocess

    from storyboard_app.media.ffmpeg import ffmpeg_exe

    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True).stderr


@pytest.mark.parametrize("fmt", ["otio", "edl", "fcp7xml", "fcpxml"])
def test_round_trip_reorder_two_and_trim_one(doc, tmp_path, fmt) -> None:
    """Export → in the edit swap shots 4 and 5, trim shot 1 by 10 frames, drop shot 3 → import."""
    suffix = FORMATS[fmt][1]
    exported = tmp_path / f"cut{suffix}"
    export_interchange(doc.project, doc.paths.root, exported, fmt, InterchangeOptions(media=False))
    timeline = _read(exported)
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    clips = {c.name: c for c in _video_clips(timeline)}
    one = clips["1"]
    one.source_range = otio.opentime.TimeRange(one.source_range.start_time,
                                               one.source_range.duration - otio.opentime.RationalTime(10, 24))
    video.remove(clips["3"])
    four, five = video.index(clips["4"]), video.index(clips["5"])
    moved = video.pop(five)
    video.insert(four, moved)
    for track in [t for t in timeline.tracks if t.kind != otio.schema.TrackKind.Video]:
        timeline.tracks.remove(track)
    edited = tmp_path / f"edited{suffix}"
    kwargs = {"rate": 24} if fmt == "edl" else {}
    otio.adapters.write_to_file(timeline, str(edited), **kwargs)

    project = _copy(doc.project)
    before = project_json(project)
    clips_in = read_cut(edited, project)
    command, report = apply_edited_cut(project, clips_in, stable_shot_names(project))
    assert command is not None
    inverse = command.apply(project)
    layout = [(seq.name, [(s.number, s.duration) for s in seq.shots]) for seq in project.sequences]
    one_expected = DURATIONS["1"] - 10
    assert layout == [
        ("Street", [("1", one_expected), ("2", 36)]),
        ("Shop", [("5", 40), ("4", 30)]),
        (CUT_FROM_EDIT_SCENE, [("3", 24)]),
    ]
    assert report.removed == ["3"] and report.unknown == []
    assert ("1", 48, 38) in report.durations
    assert report.moved == ["5", "4"]
    inverse.apply(project)
    assert project_json(project) == before  # one undo step restores the boards exactly


def _copy(project: Project) -> Project:
    import copy

    return copy.deepcopy(project)


def _long_project(fps: int, minutes: float, seed: int = 7) -> Project:
    rng = random.Random(seed)
    shots, total = [], 0
    while total < minutes * 60 * fps:
        duration = rng.randint(fps, 7 * fps) + rng.randint(0, fps - 1)
        shots.append(Shot(id=f"s{len(shots)}", number=str(len(shots) + 1), duration=duration))
        total += duration
    return Project(title="Long", fps=fps, sequences=[Sequence("q", "All", shots)])


@pytest.mark.parametrize("fmt", ["otio", "edl", "fcp7xml"])
def test_23976_round_trip_has_no_drift_over_ten_minutes(tmp_path, fmt) -> None:
    project = _long_project(24, 10.5)
    rate = parse_rate("23.976", 24)
    assert rate == Fraction(24000, 1001)
    out = tmp_path / f"long{FORMATS[fmt][1]}"
    export_interchange(project, tmp_path / "none.sbproj", out, fmt, InterchangeOptions(rate=rate, media=False))
    timeline = _read(out, rate=float(rate))
    clips = _video_clips(timeline)
    assert len(clips) == len(project.all_shots())
    assert clips[0].source_range.duration.rate == pytest.approx(24000 / 1001)
    # the last clip ends exactly on the total frame count: no accumulated rounding
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    end = video.range_of_child(clips[-1]).end_time_exclusive()
    assert round(end.rescaled_to(float(rate)).value) == project.total_frames
    assert end.to_timecode(float(rate)) == otio.opentime.RationalTime(
        project.total_frames, float(rate)).to_timecode()
    assert project.total_frames / float(rate) > 600  # really more than ten minutes of 23.976
    back = read_cut(out, project, rate)
    assert [c.frames for c in back] == [s.duration for s in project.all_shots()]


def test_rate_change_maps_cut_points_without_drift(tmp_path) -> None:
    """25 fps boards delivered as a 24 fps edit: each cut lands on its nearest frame, never drifts."""
    project = _long_project(25, 10.5, seed=3)
    out = tmp_path / "long.otio"
    export_interchange(project, tmp_path / "none.sbproj", out, "otio",
                       InterchangeOptions(rate=Fraction(24), media=False))
    clips = _video_clips(_read(out))
    at = 0
    for clip, shot in zip(clips, project.all_shots(), strict=True):
        at_project = sum(s.duration for s in project.all_shots()[: int(shot.number)])
        at += clip.source_range.duration.to_frames()
        assert abs(at - at_project * 24 / 25) <= 0.5  # each cut within half a frame of exact
    assert round(sum(c.frames for c in read_cut(out, project))) == project.total_frames


def test_unsupported_rates_and_files_are_one_line_errors(doc, tmp_path) -> None:
    with pytest.raises(InterchangeError, match="fcpxml is written at 24, 25, 30, 50, 60 fps only"):
        export_interchange(doc.project, doc.paths.root, tmp_path / "x.fcpxml", "fcpxml",
                           InterchangeOptions(rate=parse_rate("23.976", 24), media=False))
    with pytest.raises(InterchangeError, match="needs an SMPTE timecode rate"):
        export_interchange(doc.project, doc.paths.root, tmp_path / "x.edl", "edl",
                           InterchangeOptions(rate=Fraction(12), media=False))
    with pytest.raises(InterchangeError, match="rate: 'fast'"):
        parse_rate("fast", 24)
    bad = tmp_path / "bad.xml"
    bad.write_text("<xmeml><nonsense", encoding="utf-8")
    with pytest.raises(InterchangeError, match=r"bad\.xml: cannot read the edit"):
        read_cut(bad, doc.project)
    with pytest.raises(InterchangeError, match=r"cut\.mov: not an edit"):
        (tmp_path / "cut.mov").write_bytes(b"x")
        read_cut(tmp_path / "cut.mov", doc.project)
    assert not list(tmp_path.glob("x.*"))
