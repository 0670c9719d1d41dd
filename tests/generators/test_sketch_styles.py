"""Issue 18.1: the built-in style presets, and the sketch generator drawing each one differently."""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "generation"))
from generation_fixtures import make_project  # noqa: E402

from generators.sketch.painter import paint  # noqa: E402
from generators.sketch.stylize import grain_filter  # noqa: E402
from storyboard_app.generation.request import build_request, generator_settings  # noqa: E402
from storyboard_app.model import Style  # noqa: E402
from storyboard_app.model.style_presets import (  # noqa: E402
    StyleFileError,
    builtin_styles,
    duplicate_style,
    export_style,
    find_preset,
    import_style,
)

ASKED_FOR = ["pencil_storyboard", "graphite", "graphic_novel", "noir", "watercolour", "gouache", "greybox",
             "anime_cel", "photoreal", "pastel_symmetric", "teal_orange", "vintage_16mm"]


def styled_still(style: Style, prompt: str = "night market in rain, a woman in a yellow coat") -> np.ndarray:
    project = make_project([prompt])
    project.styles = [style]
    shot = replace(project.all_shots()[0], style_id=style.id)
    request = build_request(project, shot, None, "sketch")
    return np.asarray(paint(request, 320, 180), dtype=np.float32)


def palette_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance between the two pictures' colour histograms' centres, per 8x8 region:
    how far apart the colours are where the same content sits (0..441)."""
    h, w, _ = a.shape
    ra = a[: h // 8 * 8, : w // 8 * 8].reshape(h // 8, 8, w // 8, 8, 3).mean(axis=(1, 3))
    rb = b[: h // 8 * 8, : w // 8 * 8].reshape(h // 8, 8, w // 8, 8, 3).mean(axis=(1, 3))
    return float(np.linalg.norm(ra - rb, axis=2).mean())


def test_at_least_twelve_presets_with_every_part_a_previz_team_needs():
    styles = {s.id.removeprefix("preset_"): s for s in builtin_styles()}
    assert set(ASKED_FOR) <= set(styles)
    for stem in ASKED_FOR:
        style = styles[stem]
        assert style.prompt_suffix and style.negative_prompt and len(style.palette) >= 2, stem
        assert style.generator_params.get("sketch"), f"{stem} has no sketch parameters"


def test_two_sketch_styles_differ_measurably_on_the_same_shot():
    noir, teal = styled_still(find_preset("noir")), styled_still(find_preset("teal_orange"))
    plain = styled_still(Style(id="plain", name="Plain"))
    assert palette_distance(noir, teal) > 25
    assert palette_distance(noir, plain) > 25
    # noir is black and white; the blockbuster grade is colourful
    assert np.abs(noir[..., 0] - noir[..., 2]).mean() < 3
    assert np.abs(teal[..., 0] - teal[..., 2]).mean() > 15


def test_every_pair_of_the_twelve_looks_is_distinguishable():
    stills = {stem: styled_still(find_preset(stem)) for stem in ASKED_FOR}
    close = [(a, b, round(palette_distance(stills[a], stills[b]), 1))
             for a, b in itertools.combinations(ASKED_FOR, 2) if palette_distance(stills[a], stills[b]) < 8]
    assert not close, f"styles that look alike: {close}"


def test_style_parameters_reach_only_their_generator():
    project = make_project(["a street"])
    project.styles = [Style(id="s", name="S", generator_params={"sketch": {"lines": 0.5}, "fake_gen": {"x": 1},
                                                                 "steps": 4})]
    shot = replace(project.all_shots()[0], style_id="s")
    sketch = generator_settings(project, shot, "sketch")
    assert sketch["lines"] == 0.5 and sketch["steps"] == 4 and "sketch" not in sketch
    other = generator_settings(project, shot, "fake_gen")
    assert other == {"x": 1, "steps": 4}


def test_grain_is_an_ffmpeg_filter_not_per_frame_python():
    assert grain_filter({"grain": 14}, 3).startswith("noise=c0s=14:c0f=t+u")
    assert grain_filter({}) == ""


def test_a_style_exports_imports_and_duplicates_as_a_small_json_file(tmp_path):
    noir = find_preset("Noir")
    path = export_style(noir, tmp_path / "noir.json")
    again = import_style(path)
    assert again.id != noir.id and (again.name, again.palette, again.generator_params) == (
        noir.name, noir.palette, noir.generator_params)
    copy = duplicate_style(noir)
    assert copy.id != noir.id and copy.name == "Noir copy" and copy.generator_params == noir.generator_params
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "X", "palette": ["red"]}))
    with pytest.raises(StyleFileError, match=r"bad\.json: field 'palette'"):
        import_style(bad)
