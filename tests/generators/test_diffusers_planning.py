"""The rules real checkpoints impose, tested as rules (tiny models have none of them)."""

from __future__ import annotations

import pytest

from generators.diffusers_local.adapter import DiffusersGenerator, conform_indices
from generators.diffusers_local.planning import native_dims, plan_video, valid_frames
from generators.diffusers_local.presets import PRESETS


@pytest.mark.parametrize(("preset", "size", "expected"), [
    ("sd-turbo", (1280, 720), (680, 384)),  # not 1664x936: the 512x512 area at 16:9
    ("sd-turbo", (1080, 1920), (384, 680)),
    ("sdxl-turbo", (1024, 1024), (512, 512)),
    ("flux-schnell", (1280, 720), (1360, 768)),
    ("ltx-video", (1280, 720), (832, 480)),
    ("wan2.1-t2v-1.3b", (1920, 1080), (848, 480)),
])
def test_native_size_is_the_presets_area_at_the_projects_aspect(preset, size, expected):
    p = PRESETS[preset]
    w, h = native_dims(p.native_size, p.size_multiple, *size)
    assert (w, h) == expected and w % p.size_multiple == 0 and h % p.size_multiple == 0
    assert abs(w * h / (p.native_size[0] * p.native_size[1]) - 1) < 0.1


def test_frame_counts_follow_the_models_rule():
    assert [valid_frames(n, 8) for n in (1, 2, 9, 10, 97, 120)] == [1, 9, 9, 17, 97, 121]
    assert [valid_frames(n, 4) for n in (5, 6, 80)] == [5, 9, 81]


def test_ltx_shots_get_their_length_and_long_ones_continue():
    ltx = PRESETS["ltx-video"]
    five = plan_video(5.0, 24, step=8, max_frames=ltx.max_frames, can_continue=True)
    assert five.segments == (121,) and five.needed == 120  # 5 s, not the preset's 97 frames then a freeze
    ten = plan_video(10.0, 24, step=8, max_frames=ltx.max_frames, can_continue=True)
    assert ten.segments == (161, 81) and ten.frames == 241 >= ten.needed == 240
    assert all((s - 1) % 8 == 0 for s in ten.segments)


def test_models_that_cannot_continue_are_slowed_then_repeated_by_the_documented_rule():
    wan = plan_video(8.0, 16, step=4, max_frames=81, can_continue=False)
    assert wan.segments == (81,) and wan.stretch == pytest.approx(128 / 81)
    long = plan_video(20.0, 16, step=4, max_frames=81, can_continue=False)
    assert long.stretch == 2.0 and long.loops
    order = conform_indices(81, 320, 2.0)
    assert order[:4] == [0, 0, 1, 1] and max(order) == 80 and order[162] == 0  # plays again, no held frame
    assert len(set(order[-40:])) == 20


def test_prompt_limits_come_from_the_selected_model():
    assert DiffusersGenerator.prompt_limit({"model": "sd-turbo"}) == ("sd-turbo", 77, True)
    assert DiffusersGenerator.prompt_limit({"mode": "video", "video_model": "ltx-video"}) == ("ltx-video", 128, False)
    assert DiffusersGenerator.prompt_limit({"model": "/no/such/folder"}) is None
