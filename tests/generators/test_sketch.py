from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "generation"))
sys.path.insert(0, str(Path(__file__).parents[1] / "media"))
from camera_markers import EXPECTED_MOTION, assert_motion, marker_still  # noqa: E402
from generation_fixtures import make_project  # noqa: E402

from generators.sketch import SketchGenerator  # noqa: E402
from generators.sketch import painter as painter_module  # noqa: E402
from generators.sketch.figure import look_for  # noqa: E402
from generators.sketch.painter import paint  # noqa: E402
from generators.sketch.scene import read_scene  # noqa: E402
from storyboard_app.generation.protocol import CancelToken, GenerationCancelled  # noqa: E402
from storyboard_app.generation.request import build_request  # noqa: E402
from storyboard_app.media.ffmpeg import probe, run_ffmpeg  # noqa: E402


def frames_of(path: Path, width: int, height: int) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def request_for(index: int = 0, prompts=("night market in rain", "alley", "a brass key")):
    project = make_project(list(prompts))
    return project, build_request(project, project.all_shots()[index], None, "sketch")


def generate(request, path: Path) -> None:
    SketchGenerator().generate(request, path, lambda f, m: None, CancelToken())


def test_clip_has_requested_size_frames_and_duration(tmp_path):
    _, request = request_for(0)
    out = tmp_path / "a.mp4"
    generate(request, out)
    info = probe(out)
    assert (info.width, info.height, info.video_codec) == (160, 90, "h264")
    assert len(frames_of(out, 160, 90)) == request.frames
    assert info.duration == pytest.approx(request.frames / request.fps, abs=0.01)


def test_same_request_same_frames_and_seed_changes_the_picture(tmp_path):
    _, request = request_for(2)
    generate(request, tmp_path / "a.mp4")
    generate(request, tmp_path / "b.mp4")
    generate(dataclasses.replace(request, seed=request.seed + 1), tmp_path / "c.mp4")
    a, b, c = (frames_of(tmp_path / n, 160, 90) for n in ("a.mp4", "b.mp4", "c.mp4"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_camera_move_moves_the_picture(tmp_path):
    _, request = request_for(0)  # push in
    generate(request, tmp_path / "a.mp4")
    frames = frames_of(tmp_path / "a.mp4", 160, 90).astype(int)
    assert np.abs(frames[0] - frames[-1]).mean() > 2


@pytest.mark.parametrize("move", sorted(EXPECTED_MOTION))
def test_sketch_camera_moves_go_the_named_way(move, tmp_path, monkeypatch):
    """A marker painted into the sketch still, tracked from the first to the last frame."""
    monkeypatch.setattr(painter_module, "paint", lambda request, w, h: marker_still((w, h)))
    _, request = request_for(0)
    request = dataclasses.replace(request, camera_move=move, camera_strength=1.0)
    generate(request, tmp_path / "m.mp4")
    frames = frames_of(tmp_path / "m.mp4", 160, 90)
    assert_motion(move, frames[0], frames[-1], min_shift=8)


def test_a_character_looks_the_same_in_every_shot():
    project = make_project(["market at night", "alley in rain", "x", "harbour at dawn"])
    coat = look_for("a woman in a red coat", 1111).coat
    for shot in [s for s in project.all_shots() if "ch_a" in s.characters]:
        request = build_request(project, shot, None, "sketch")
        image = np.asarray(paint(dataclasses.replace(request, style_palette=()), 400, 226)).astype(int)
        shade = 0.75 if read_scene(shot.prompt).time == "night" else 1.0  # night darkens figures
        expected = np.array([int(v * shade) for v in coat])
        assert (np.abs(image - expected).sum(axis=2) < 12).sum() > 50, shot.prompt
    assert look_for("x", 1111) == look_for("x", 1111) != look_for("x", 2222)


def test_scene_reading():
    scene = read_scene("INTERIOR kitchen at dawn, steam rising")
    assert scene.interior and scene.time == "dawn" and scene.fog
    scene = read_scene("exterior night market in heavy rain, paper lanterns")
    assert not scene.interior and scene.time == "night" and scene.rain
    assert {"stalls", "lanterns"} <= scene.sets


def test_cancel_stops_and_raises(tmp_path):
    _, request = request_for(0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(GenerationCancelled):
        SketchGenerator().generate(request, tmp_path / "x.mp4", lambda f, m: None, token)
    assert not (tmp_path / "x.mp4").exists()
