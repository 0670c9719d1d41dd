"""The sketch previz shows the story: looks from descriptions, the scene heading's setting,
OTS/POV/two-shot staging, and no text baked into the clip (issue 13, items 9-12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sketch_pixels import colour_pixels

from generators.sketch import SketchGenerator
from generators.sketch import painter as painter_module
from generators.sketch.describe import COLOURS, read_description
from generators.sketch.figure import look_for, look_for_seed
from generators.sketch.painter import paint, staging
from generators.sketch.scene import read_setting
from storyboard_app.generation.protocol import CancelToken
from storyboard_app.generation.request import ShotRequest, build_request
from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import CameraMove, Character, Project, Sequence, Shot, ShotSize

W, H = 320, 180
WOMAN = Character("ch_w", "Ada", "a tall woman in a red coat", 2)  # seed 2 alone gives a blue coat
MAN = Character("ch_m", "Bo", "a short man in a blue raincoat with a grey beard", 1)  # seed 1: olive


def project(shots: list[Shot], heading: str = "EXT. MARKET - DAY") -> Project:
    return Project(title="t", fps=12, width=W, height=H, seed=3, characters=[WOMAN, MAN],
                   sequences=[Sequence("q", heading, shots)])


def shot(prompt: str, size: ShotSize, cast: list[str], move: CameraMove = CameraMove.STATIC) -> Shot:
    return Shot(id="s1", number="1", prompt=prompt, duration=6, size=size, camera_move=move, characters=cast)


def request_of(prompt: str, size: ShotSize, cast: list[str], heading: str = "EXT. MARKET - DAY") -> ShotRequest:
    p = project([shot(prompt, size, cast)], heading)
    return build_request(p, p.all_shots()[0], None, "sketch")


def first_frame(request: ShotRequest, tmp_path: Path) -> np.ndarray:
    out = tmp_path / "clip.mp4"
    SketchGenerator().generate(request, out, lambda f, m: None, CancelToken())
    raw = run_ffmpeg(["-i", str(out), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(H, W, 3)


# ------------------------------------------------------------------ 9: looks from descriptions


def test_described_coat_colours_are_drawn_in_the_frame(tmp_path):
    """A two-shot of two described characters: each coat is measured where that figure stands."""
    assert colour_pixels(np.array([[look_for_seed(2).coat]], np.uint8), "blue") == 1  # the seed says blue
    # an interior (beige walls, no blue sky, no striped awnings) so only the coats are saturated
    frame = first_frame(request_of("a quiet room", ShotSize.WS, ["ch_w", "ch_m"], "INT. HALL - DAY"), tmp_path)
    left, right = frame[int(H * 0.3):, int(W * 0.2):int(W * 0.47)], frame[int(H * 0.3):, int(W * 0.53):int(W * 0.8)]
    assert colour_pixels(left, "red") > 150, "the woman in a red coat is not in red"
    assert colour_pixels(left, "blue") < 20
    assert colour_pixels(right, "blue") > 150, "the man in a blue raincoat is not in blue"
    assert colour_pixels(right, "red") < 20


def test_a_grey_beard_is_drawn_and_a_tall_woman_is_taller(tmp_path):
    request = request_of("a quiet street", ShotSize.CU, ["ch_m"])
    image = np.asarray(paint(request, W, H)).astype(int)
    grey = np.array(COLOURS["grey"])
    beard = (np.abs(image - grey).sum(axis=2) < 20)
    assert beard.sum() > 300, "no grey beard in the close-up"
    without = dataclasses.replace(request, characters=(dataclasses.replace(request.characters[0], description="a short man in a blue raincoat"),))
    assert (np.abs(np.asarray(paint(without, W, H)).astype(int) - grey).sum(axis=2) < 20).sum() < 20
    assert look_for(WOMAN.description, 2).height > 1.1 > look_for_seed(2).height
    assert look_for(MAN.description, 1).height < 0.9


def test_the_seed_fills_only_what_the_description_leaves_open():
    a, b = look_for("a woman in a red coat", 11), look_for("a woman in a red coat", 12)
    assert a.coat == b.coat == COLOURS["red"]
    assert (a.trousers, a.hair, a.skin, a.hat) != (b.trousers, b.hair, b.skin, b.hat)
    assert look_for("someone", 11) == look_for_seed(11)


@pytest.mark.parametrize(("description", "expected"), [
    ("a young bicycle courier in a bright yellow raincoat, short black hair",
     {"hair": COLOURS["black"], "hair_style": "short", "height": None}),
    ("an old noodle-stall owner with a grey beard and a white apron",
     {"beard": COLOURS["grey"], "has_beard": True, "apron": COLOURS["white"], "age": "old"}),
    ("a tall figure in a dark trench coat and a wide-brimmed hat",
     {"coat": COLOURS["charcoal"], "hat": "wide_hat", "height": 1.13}),
    ("a dark-skinned girl with red hair, glasses, in blue jeans and a green hoodie",
     {"skin": (100, 62, 42), "hair": COLOURS["red"], "glasses": "glasses", "trousers": COLOURS["blue"],
      "coat": COLOURS["green"], "age": "child"}),
    ("a stocky man in a navy suit, sunglasses, bald", {"coat": COLOURS["navy"], "glasses": "sunglasses",
                                                      "hair_style": "bald", "build": 1.25}),
    # the benchmark screenplay's characters (bench/data/five_pages.fountain), as its import keeps them
    ("70s, the harbourmaster, stooped, in a yellow oilskin two sizes too big", {"coat": COLOURS["yellow"]}),
    ("60s, weathered, in a navy peacoat and a salt-white cap", {"coat": COLOURS["navy"], "hat": "cap"}),
    ("a fisherman in a navy pea coat", {"coat": COLOURS["navy"]}),
])
def test_description_vocabulary(description, expected):
    traits = read_description(description)
    for name, value in expected.items():
        assert getattr(traits, name) == value, (description, name)


def test_bright_yellow_is_still_yellow_and_old_means_grey_hair():
    look = look_for("a courier in a bright yellow raincoat", 5)
    assert colour_pixels(np.array([[look.coat]], np.uint8), "yellow") == 1
    assert look_for("an old man", 9).hair == COLOURS["grey"]
    assert look_for("an old man with black hair", 9).hair == COLOURS["black"]


# ------------------------------------------------------------------ 10: the heading's setting


def sky_brightness(request: ShotRequest) -> float:
    return float(np.asarray(paint(request, W, H))[: int(H * 0.12)].mean())


def test_the_scene_heading_sets_night_for_a_shot_that_does_not_say_it():
    request = request_of("Ada looks up from her stall", ShotSize.WS, ["ch_w"], "3 - EXT. MARKET - NIGHT")
    assert request.scene_heading == "3 - EXT. MARKET - NIGHT"
    assert read_setting(request.shot_prompt, request.scene_heading).time == "night"
    assert sky_brightness(request) < 50, "a shot of a NIGHT scene was painted in daylight"
    day = request_of("Ada looks up from her stall", ShotSize.WS, ["ch_w"], "3 - EXT. MARKET - DAY")
    assert sky_brightness(day) > 120


def test_the_shots_own_words_override_the_heading():
    dawn = request_of("Ada at dawn", ShotSize.WS, ["ch_w"], "EXT. MARKET - NIGHT")
    assert read_setting(dawn.shot_prompt, dawn.scene_heading).time == "dawn"
    assert sky_brightness(dawn) > 90
    inside = read_setting("interior of the stall, a brass key", "EXT. ALLEY - NIGHT - RAIN")
    assert inside.interior and inside.time == "night" and not inside.rain
    outside = read_setting("Ada waits", "EXT. ALLEY - NIGHT - RAIN")
    assert not outside.interior and outside.rain and "alley" in outside.sets
    assert not read_setting("Ada waits, dry now", "EXT. ALLEY - NIGHT - RAIN").rain
    assert read_setting("Ada waits", "INT. KITCHEN - MORNING").interior
    assert read_setting("Ada waits", "INT. KITCHEN - MORNING").time == "dawn"


def test_requests_without_a_heading_still_load_and_read_the_prompt_alone():
    request = request_of("Ada at night", ShotSize.WS, ["ch_w"])
    data = request.to_dict()
    data.pop("scene_heading")
    assert ShotRequest.from_dict(data).scene_heading == ""
    assert read_setting("a street at night").time == "night"


# ------------------------------------------------------------------ 11: staging


def test_ots_puts_the_first_named_characters_back_in_the_foreground(tmp_path):
    request = request_of("over Bo's shoulder onto Ada", ShotSize.OTS, ["ch_m", "ch_w"], "INT. NOODLE BAR - NIGHT")
    back, front = staging(request)
    assert back.name == "Bo" and [c.name for c in front] == ["Ada"]
    frame = first_frame(request, tmp_path)
    left, right = frame[:, : int(W * 0.35)], frame[:, W // 2:]
    # Bo's blue raincoat (shaded, it is a back in the foreground) fills the left; Ada faces us right
    assert colour_pixels(left, "blue", min_sat=0.35, min_val=0.12) > 2000
    assert colour_pixels(right, "red", min_val=0.4) > 1500 and colour_pixels(left, "red") < 50
    ada = look_for(WOMAN.description, WOMAN.seed)
    face = np.array([int(v * 0.75) for v in ada.skin])  # night shades every figure to 75 %
    assert (np.abs(right.astype(int) - face).sum(axis=2) < 25).sum() > 300  # her face, towards us


def test_ots_without_a_possessive_uses_the_first_name_in_the_prompt():
    request = request_of("Bo hands Ada a bowl of noodles", ShotSize.OTS, ["ch_w", "ch_m"])
    back, front = staging(request)
    assert back.name == "Bo" and [c.name for c in front] == ["Ada"]
    back, front = staging(request_of("a bowl changes hands", ShotSize.OTS, ["ch_w", "ch_m"]))
    assert back.name == "Ada" and [c.name for c in front] == ["Bo"]  # nobody named: billing order


def test_a_viewer_or_shoulder_outside_the_cast_hides_nobody_in_it():
    assert [c.name for c in staging(request_of("the dog's POV: Ada and Bo", ShotSize.POV, ["ch_w", "ch_m"]))[1]] == ["Ada", "Bo"]
    back, front = staging(request_of("over the waiter's shoulder onto Ada", ShotSize.OTS, ["ch_w", "ch_m"]))
    assert back is None and [c.name for c in front] == ["Ada"]
    back, front = staging(request_of("over his shoulder: Bo turns to Ada", ShotSize.OTS, ["ch_w", "ch_m"]))
    assert back.name == "Bo"  # a pronoun is no outsider: the first-named rule applies
    assert [c.name for c in staging(request_of("behind the counter, Ada", ShotSize.POV, ["ch_w", "ch_m"]))[1]] == ["Bo"]


def test_pov_shows_no_figure_of_the_viewer(tmp_path):
    request = request_of("Ada's POV: Bo waits at the end of the street", ShotSize.POV, ["ch_w", "ch_m"])
    assert [c.name for c in staging(request)[1]] == ["Bo"]
    image = np.asarray(paint(request, W, H))
    assert colour_pixels(image, "red") < 10, "the viewer of a POV is drawn"
    # the same picture as the same shot with the viewer left out of the cast altogether
    without_viewer = dataclasses.replace(request, characters=request.characters[1:])
    assert np.array_equal(image, np.asarray(paint(without_viewer, W, H)))
    alone = request_of("looking down the empty street", ShotSize.POV, ["ch_w"])
    assert staging(alone)[1] == []
    assert colour_pixels(np.asarray(paint(alone, W, H)), "red") < 10


def test_a_two_shot_places_both(tmp_path):
    for size in (ShotSize.MS, ShotSize.MCU, ShotSize.WS):
        image = np.asarray(paint(request_of("Ada and Bo talk", size, ["ch_w", "ch_m"]), W, H))
        assert colour_pixels(image, "red") > 300 and colour_pixels(image, "blue") > 300, size


# ------------------------------------------------------------------ 12: no text in the clip


def test_the_clip_carries_no_text_of_its_own(tmp_path, monkeypatch):
    """A flat still must come out flat: no caption box, number or prompt painted over it."""
    from PIL import Image

    monkeypatch.setattr(painter_module, "paint", lambda request, w, h: Image.new("RGB", (w, h), (90, 120, 90)))
    request = request_of("a very long prompt " * 10, ShotSize.WS, ["ch_w"])
    frame = first_frame(request, tmp_path).astype(int)
    assert np.abs(frame - frame[H // 2, W // 2]).max() <= 3
    assert SketchGenerator.version != "1"  # clips cached with a baked-in caption are not reused
    assert "caption" not in SketchGenerator.settings_schema["properties"]
