"""VoiceService: the line cache, recorded lines, errors, cancel, placement in the shot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from storyboard_app.media.ffmpeg import Cancelled, read_wav, run_ffmpeg
from storyboard_app.model import Document, load_project
from storyboard_app.model.commands import Ref, SetField
from storyboard_app.voice import VoiceError, VoiceService
from storyboard_app.voice.timing import samples_to_frames


def cache_files(root: Path) -> list[Path]:
    folder = root / "cache" / "voice"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_second_run_is_served_from_the_cache(bundle, tone):
    project = load_project(bundle)
    service = VoiceService(bundle)
    first = service.synthesize(project)
    assert (first.synthesized, first.cached, first.errors) == (3, 0, [])
    files = cache_files(bundle)
    assert len(files) == 3 and all(f.suffix == ".wav" for f in files)  # no partial files left
    calls = len(tone.calls)
    second = VoiceService(bundle).synthesize(load_project(bundle))
    assert (second.synthesized, second.cached) == (0, 3)
    assert len(tone.calls) == calls  # the engine was not asked again
    assert second.shots == first.shots


def test_a_text_change_misses_and_its_undo_hits_again(bundle, tone):
    doc = Document.open(bundle)
    service = VoiceService(bundle)
    service.synthesize(doc.project)
    doc.apply(SetField(Ref("line", ("s1", "l2")), "text", "Then we cook by moonlight."))
    report = service.synthesize(doc.project)
    assert (report.synthesized, report.cached) == (1, 2)
    assert tone.calls[-1] == "Then we cook by moonlight."
    doc.undo()
    assert (lambda r: (r.synthesized, r.cached))(service.synthesize(doc.project)) == (0, 3)


def test_a_voice_setting_change_misses_only_that_characters_lines(bundle, tone):
    doc = Document.open(bundle)
    service = VoiceService(bundle)
    service.synthesize(doc.project)
    voice = doc.project.character("ch_mara").voice
    doc.apply(SetField(Ref("character", ("ch_mara",)), "voice",
                       type(voice)(voice.engine, voice.voice, voice.rate, 7.0, voice.volume_db)))
    report = service.synthesize(doc.project)
    assert (report.synthesized, report.cached) == (1, 2)


def test_plan_places_lines_after_the_lead_separated_by_the_gap(bundle, tone):
    project = load_project(bundle)
    project.render.dialogue_lead_frames = 5
    project.render.dialogue_gap_frames = 7
    service = VoiceService(bundle)
    first, second = service.plan(project, project.shot("s1"))
    assert (first.speaker_name, second.speaker_name) == ("Mara", "Teo")
    for placed in (first, second):
        samples, rate = read_wav(placed.audio_path)
        assert placed.audio_path.is_absolute() and rate == placed.sample_rate == tone.rate
        assert placed.duration_frames == samples_to_frames(len(samples), rate, 24)
        assert placed.duration_frames / 24 >= len(samples) / rate  # rounded up, never cut
    assert first.offset_frames == 5
    assert second.offset_frames == 5 + first.duration_frames + 7
    vo = service.shot_vo_frames(project, "s1")
    assert vo == second.offset_frames + second.duration_frames
    assert service.shot_vo_frames(project, "s3") == 0  # no dialogue, no voiceover


def test_report_flags_shots_whose_voiceover_is_too_long(bundle, tone):
    project = load_project(bundle)
    report = VoiceService(bundle).synthesize(project)
    by_id = {t.shot_id: t for t in report.shots}
    # "Listen." is 7 chars * 60 ms / 0.9 = 0.47 s = 12 frames; with the 6-frame lead: 18 < 24
    assert by_id["s2"].vo_frames == 6 + 12 and not by_id["s2"].overlong
    assert by_id["s1"].vo_frames > 0 and by_id["s3"].vo_frames == 0
    project.shot("s2").duration = 10
    assert [t.shot_id for t in VoiceService(bundle).synthesize(project).overlong] == ["s2"]


def _encode(target: Path, seconds: float, freq: int = 440) -> None:
    """Make a real recording with the bundled ffmpeg (format from the extension)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate=44100",
                "-y", str(target)])


@pytest.mark.parametrize("suffix", ["wav", "mp3", "m4a", "flac"])
def test_a_recorded_file_replaces_tts_for_its_line(bundle, tone, suffix):
    _encode(bundle / "media" / "lines" / f"take1.{suffix}", 1.5)
    doc = Document.open(bundle)
    doc.apply(SetField(Ref("line", ("s1", "l1")), "audio", f"media/lines/take1.{suffix}"))
    doc.save()
    service = VoiceService(bundle)
    first, second = service.plan(doc.project, "s1")
    assert first.recorded and not second.recorded
    assert "The lanterns are out tonight." not in tone.calls  # TTS was not used for it
    samples, rate = read_wav(first.audio_path)
    assert rate == 48000
    assert len(samples) / rate == pytest.approx(1.5, abs=0.06)  # mp3/m4a add a little padding
    assert first.duration_frames == samples_to_frames(len(samples), rate, 24)
    assert np.sqrt(np.mean(samples**2)) > 0.05  # lavfi's sine is at 1/8 full scale
    report = service.synthesize(doc.project, ["s1"])
    assert (report.synthesized, report.cached) == (0, 2)  # the decoded recording is cached too


def test_replacing_the_recording_is_noticed(bundle, tone):
    rec = bundle / "media" / "line.wav"
    _encode(rec, 1.0)
    project = load_project(bundle)
    project.shot("s2").dialogue[0].audio = "media/line.wav"
    service = VoiceService(bundle)
    assert service.plan(project, "s2")[0].duration_frames == 24
    _encode(rec, 2.0)
    assert service.plan(project, "s2")[0].duration_frames == 48


def test_an_unreadable_recording_is_a_clear_error_naming_file_and_line(bundle, tone):
    bad = bundle / "media" / "broken.mp3"
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes(b"ID3 this is not audio at all" * 10)
    project = load_project(bundle)
    project.shot("s1").dialogue[1].audio = "media/broken.mp3"
    service = VoiceService(bundle)
    report = service.synthesize(project)
    assert len(report.errors) == 1 and report.synthesized == 2  # the other lines still voiced
    message = report.errors[0]
    assert str(bad) in message and "shot 1, line 2 (l2)" in message and "\n" not in message
    with pytest.raises(VoiceError, match=r"broken\.mp3: shot 1, line 2 \(l2\): cannot decode"):
        service.plan(project, "s1")


def test_a_missing_recording_is_a_clear_error(bundle, tone):
    project = load_project(bundle)
    project.shot("s2").dialogue[0].audio = "media/gone.wav"
    with pytest.raises(VoiceError, match=r"gone\.wav: shot 2, line 1 \(l3\): .*not found"):
        VoiceService(bundle).plan(project, "s2")


def test_an_engine_that_is_not_installed_names_the_line(bundle, tone):
    project = load_project(bundle)
    project.character("ch_teo").voice.engine = "festival"
    report = VoiceService(bundle).synthesize(project)
    assert len(report.errors) == 2
    assert "shot 1, line 2 (l2): voice engine 'festival' is not installed" in report.errors[0]


def test_cancel_stops_between_lines_and_leaves_no_partial_file(bundle, tone):
    project = load_project(bundle)
    seen: list[int] = []

    def progress(done: int, total: int, what: str) -> None:
        seen.append(done)

    with pytest.raises(Cancelled):
        VoiceService(bundle).synthesize(project, progress=progress, cancelled=lambda: len(seen) >= 2)
    files = cache_files(bundle)
    assert len(files) == 2 and not [f for f in files if ".part" in f.name]


def test_empty_placeholder_lines_are_skipped(bundle, tone):
    project = load_project(bundle)
    project.shot("s2").dialogue[0].text = "   "
    assert VoiceService(bundle).plan(project, "s2") == []
    assert VoiceService(bundle).shot_vo_frames(project, "s2") == 0


def test_real_voices_end_to_end(tmp_path, piper, new_project, pitch_of):
    """Two characters voiced by piper: cached, plausible, and measurably different."""
    from storyboard_app.model import save_project

    root = save_project(new_project(), tmp_path / "real.sbproj")
    project = load_project(root)
    service = VoiceService(root)
    progress: list[tuple[int, int]] = []
    report = service.synthesize(project, progress=lambda d, t, w: progress.append((d, t)))
    assert (report.synthesized, report.cached, report.errors) == (3, 0, [])
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)
    mara, teo = service.plan(project, "s1")
    a, rate_a = read_wav(mara.audio_path)
    b, rate_b = read_wav(teo.audio_path)
    assert rate_a == rate_b == 22050
    for placed, samples in ((mara, a), (teo, b)):
        assert 5 <= len(placed.text) / (len(samples) / 22050) <= 25
    # The same words in Teo's voice (-3 semitones, slower) against Mara's (+3): sentences have
    # their own melody, so the comparison is on one text; a ratio of 1.41 is expected.
    as_teo = piper.synthesize(mara.text, project.character("ch_teo").voice)
    assert 1.25 < pitch_of(a, rate_a) / pitch_of(as_teo.samples, as_teo.sample_rate) < 1.6
    assert VoiceService(root).synthesize(load_project(root)).cached == 3
