"""Camera moves go the way they are named: a marker tracked between the first and last frame."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from camera_markers import EXPECTED_MOTION, assert_motion, marker, marker_still  # noqa: E402

from storyboard_app.media.camera import animate_still, move_filter, still_size  # noqa: E402
from storyboard_app.media.ffmpeg import run_ffmpeg  # noqa: E402

W, H, FPS, FRAMES = 160, 96, 12, 10


def first_and_last(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
    assert len(frames) == FRAMES
    return frames[0], frames[-1]


@pytest.mark.parametrize("move", sorted(EXPECTED_MOTION))
def test_each_move_moves_the_content_the_named_way(move, tmp_path):
    still = tmp_path / "still.png"
    marker_still(still_size(W, H)).save(still)
    out = animate_still(still, tmp_path / f"{move}.mp4", width=W, height=H, fps=FPS, frames=FRAMES,
                        move=move, strength=1.0)
    first, last = first_and_last(out)
    assert_motion(move, first, last, min_shift=8)


@pytest.mark.parametrize("move", ["pan_right", "tilt_up", "push_in"])
def test_a_still_of_another_size_is_scaled_first_and_moves_the_same_way(move, tmp_path):
    still = tmp_path / "still.png"
    marker_still((300, 300)).save(still)  # square, not the overscan size: the scale path
    out = animate_still(still, tmp_path / "m.mp4", width=W, height=H, fps=FPS, frames=FRAMES, move=move, strength=0.6)
    assert_motion(move, *first_and_last(out), min_shift=4)


def test_the_axis_that_does_not_move_stays_centred(tmp_path):
    still = tmp_path / "still.png"
    marker_still(still_size(W, H)).save(still)
    out = animate_still(still, tmp_path / "t.mp4", width=W, height=H, fps=FPS, frames=FRAMES, move="tilt_down", strength=1.0)
    first, _ = first_and_last(out)
    assert marker(first)[0] == pytest.approx(W / 2, abs=1.5)


def test_strength_zero_is_static_and_the_chain_names_a_crop():
    chain = move_filter("truck_right", 0.0, src_w=208, src_h=126, width=W, height=H, frames=FRAMES, fps=FPS, seed=0)
    assert "crop=" in chain and "+0.000*" in chain


@pytest.mark.parametrize("move", ["push_in", "pull_out"])
def test_a_push_stays_centred_on_every_frame(move, tmp_path):
    """The crop used the first frame's size, so a push in slid towards the top left and jittered."""
    still = tmp_path / "still.png"
    marker_still(still_size(W, H)).save(still)
    out = animate_still(still, tmp_path / "p.mp4", width=W, height=H, fps=FPS, frames=FRAMES, move=move, strength=1.0)
    raw = run_ffmpeg(["-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    for frame in np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3):
        x, y, _ = marker(frame)
        assert abs(x - (W - 1) / 2) <= 1.0 and abs(y - (H - 1) / 2) <= 1.0
