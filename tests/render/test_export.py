from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from render_fixtures import COLOURS, DURATIONS, FPS, H, W, make_clip, make_tone

from storyboard_app.media.ffmpeg import Cancelled, decode_audio, probe, run_ffmpeg
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic
from storyboard_app.render.timeline import build_timeline


def decode_frames(path: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def render(document, tmp_path, **kwargs) -> Path:
    out = tmp_path / "out.mp4"
    options = kwargs.pop("options", ExportOptions(burnins=BurnIns.none()))
    render_animatic(document, out, options=options, generate=False, **kwargs)
    return out


def shot_starts() -> dict[str, int]:
    starts, t = {}, 0
    for sid, frames in DURATIONS.items():
        starts[sid] = t
        t += frames
    return starts


def test_duration_is_the_sum_of_shot_durations_to_the_frame(document, tmp_path):
    out = render(document, tmp_path)
    frames = decode_frames(out)
    assert len(frames) == sum(DURATIONS.values())
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height, info.pixel_format) == (W, H, "yuv420p")
    assert info.audio_rate == 48000


def test_the_middle_of_each_shot_shows_that_shots_take(document, tmp_path):
    frames = decode_frames(render(document, tmp_path)).astype(int)
    starts = shot_starts()
    for sid, colour in COLOURS.items():
        middle = frames[starts[sid] + DURATIONS[sid] // 2]
        centre = middle[H // 4 : 3 * H // 4, W // 4 : 3 * W // 4].reshape(-1, 3).mean(axis=0)
        if colour is None:  # placeholder card: dark grey, not a neighbour's colour
            assert centre.max() < 120 and np.ptp(centre) < 40
        else:
            assert np.abs(centre - colour).max() < 25, (sid, centre)


def test_dissolve_is_centred_on_the_cut_with_held_handles(document, tmp_path):
    frames = decode_frames(render(document, tmp_path)).astype(int)
    cut = DURATIONS["s1"]
    red, green = np.array(COLOURS["s1"]), np.array(COLOURS["s2"])
    colour = lambda n: frames[n][H // 2, W // 2]  # noqa: E731
    assert np.abs(colour(cut - 4) - red).max() < 25  # before the dissolve: red (a held handle)
    mid = colour(cut)
    assert np.abs(mid - (red + green) / 2).max() < 40  # at the cut: half way
    assert np.abs(colour(cut + 3) - green).max() < 25  # after it: green


def test_voiceover_is_heard_during_lines_and_silent_elsewhere(document, tmp_path):
    out = render(document, tmp_path)
    audio = decode_audio(out, 48000)
    assert len(audio) == pytest.approx(sum(DURATIONS.values()) / FPS * 48000, abs=48000 * 0.05)

    def rms(t0: float, t1: float) -> float:
        part = audio[int(t0 * 48000) : int(t1 * 48000)]
        return float(np.sqrt(np.mean(part**2)))

    lead = 2 / FPS
    starts = shot_starts()
    line1 = starts["s1"] / FPS + lead
    line2 = starts["s4"] / FPS + lead
    assert rms(line1 + 0.05, line1 + 0.45) > 0.05
    assert rms(line2 + 0.05, line2 + 0.45) > 0.05
    assert rms(line1 + 0.6, line2 - 0.1) < 0.002  # between the lines: silence
    assert rms(0, line1 - 0.02) < 0.002


def test_slate_adds_exactly_its_length(document, tmp_path):
    options = ExportOptions(burnins=BurnIns(slate=True), slate_seconds=1.0)
    frames = decode_frames(render(document, tmp_path, options=options))
    assert len(frames) == sum(DURATIONS.values()) + FPS


def test_burnins_change_only_their_regions(document, tmp_path):
    plain = decode_frames(render(document, tmp_path)).astype(int)
    (tmp_path / "out.mp4").unlink()
    options = ExportOptions(burnins=BurnIns(slate=False))
    burnt = decode_frames(render(document, tmp_path, options=options)).astype(int)
    n = DURATIONS["s1"] // 2
    diff = np.abs(plain[n] - burnt[n]).sum(axis=2) > 30
    assert diff[: H // 4].any()  # shot label / timecode at the top
    assert not diff[H // 3 : 2 * H // 3, W // 3 : 2 * W // 3].any()  # the picture itself untouched


def test_a_still_take_gets_its_camera_move(document, tmp_path):
    from PIL import Image

    shot = document.project.all_shots()[2]
    image = Image.new("RGB", (320, 180))
    image.paste((250, 250, 0), (0, 0, 160, 180))  # left half yellow, right half black
    path = document.paths.root / "media" / "refs" / "still.png"
    path.parent.mkdir(parents=True)
    image.save(path)
    from storyboard_app.model import CameraMove, Take, TakeStatus

    shot.takes.append(Take(id="tstill", generator_id="import", media_path="media/refs/still.png", status=TakeStatus.DONE))
    shot.selected_take_id = "tstill"
    shot.camera_move, shot.camera_strength = CameraMove.PAN_RIGHT, 1.0
    frames = decode_frames(render(document, tmp_path)).astype(int)
    start = shot_starts()["s3"]
    first, last = frames[start + 1], frames[start + DURATIONS["s3"] - 1]
    assert np.abs(first - last).mean() > 3  # the picture moved


def test_cancelled_export_leaves_no_partial_file_and_no_temp_files(document, tmp_path):
    for sid in ("s1", "s2", "s4"):  # longer clips so the export is still running when cancelled
        make_clip(document.paths.root / "media" / "takes" / f"{sid}.mp4", COLOURS[sid], 200)
        document.project.shot(sid).duration = 200
    before = set(Path(tempfile.gettempdir()).glob("storyboard-export-*"))
    cancel = threading.Event()

    def progress(stage, fraction, message):
        if stage == "export" and fraction > 0.2:
            cancel.set()

    out = tmp_path / "out.mp4"
    with pytest.raises(Cancelled):
        render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False,
                        progress=progress, cancelled=cancel.is_set)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "tiny.sbproj"] == []
    assert set(Path(tempfile.gettempdir()).glob("storyboard-export-*")) == before


def test_timeline_keeps_at_most_two_decoders_open(document):
    from storyboard_app.render.export import FrameComposer

    project = document.project
    timeline = build_timeline(project, document.paths.root)
    composer = FrameComposer(project, timeline, W, H, ExportOptions(burnins=BurnIns.none()), [], {})
    most = 0
    for n in range(timeline.total_frames):
        composer.frame(n)
        most = max(most, len(composer._sources))
    composer.close()
    assert most <= 2


@pytest.mark.parametrize("fps", [24, 25])
def test_export_fps_keeps_the_length_and_the_cuts(document, tmp_path, fps):
    options = ExportOptions(burnins=BurnIns.none(), fps=fps)
    out = render(document, tmp_path, options=options)
    frames = decode_frames(out).astype(int)
    total = sum(DURATIONS.values())
    assert len(frames) == round(total * fps / FPS)
    assert probe(out).fps == fps
    middle_of_blue = round((total - DURATIONS["s4"] / 2) * fps / FPS)
    assert np.abs(frames[middle_of_blue][H // 2, W // 2] - COLOURS["s4"]).max() < 25


def test_slow_conform_stretches_a_short_take_instead_of_holding(document, tmp_path):
    from storyboard_app.model import ConformMode

    path = document.paths.root / "media" / "takes" / "s4.mp4"
    # a take whose first half is black and second half blue, half as long as the shot
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=black:s={W}x{H}:r={FPS}:d=0.5", "-f", "lavfi", "-i",
                f"color=c=0x2850e6:s={W}x{H}:r={FPS}:d=0.5", "-filter_complex", "[0:v][1:v]concat=n=2:v=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])
    start = shot_starts()["s4"]
    quarter = start + DURATIONS["s4"] // 4
    held = decode_frames(render(document, tmp_path)).astype(int)
    (tmp_path / "out.mp4").unlink()
    document.project.render.conform = ConformMode.SLOW
    slowed = decode_frames(render(document, tmp_path)).astype(int)
    late = start + int(DURATIONS["s4"] * 0.4)  # 40 % in: hold mode is already blue, slow mode still black
    assert held[late][H // 2, W // 2].max() > 100 and slowed[late][H // 2, W // 2].max() < 40
    assert slowed[quarter][H // 2, W // 2].max() < 40


def test_music_bed_plays_throughout_and_ducks_under_dialogue(document, tmp_path):
    music = tmp_path / "music.wav"
    make_tone(music, 0.7, 110)  # shorter than the animatic: it loops
    options = ExportOptions(burnins=BurnIns.none(), music=music)
    audio = decode_audio(render(document, tmp_path, options=options), 48000)

    def level_of_110hz(t0: float, t1: float) -> float:
        part = audio[int(t0 * 48000) : int(t1 * 48000)]
        spectrum = np.abs(np.fft.rfft(part))
        freqs = np.fft.rfftfreq(len(part), 1 / 48000)
        return float(spectrum[(freqs > 100) & (freqs < 120)].max() / len(part))

    line1 = 2 / FPS
    between = shot_starts()["s2"] / FPS + 0.3
    total = sum(DURATIONS.values()) / FPS
    assert level_of_110hz(total - 0.6, total - 0.1) > 0  # still there at the end (looped)
    assert level_of_110hz(between, between + 0.4) > 2 * level_of_110hz(line1 + 0.1, line1 + 0.4)
