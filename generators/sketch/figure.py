"""A character's look, from its seed alone: palette and silhouette.

Nothing here depends on the shot, so a character is recognisably the same person in every shot
(same coat colour, same hat, same build), which is the point of consistent characters even
before any AI model is involved.
"""

from __future__ import annotations

import colorsys
import random
from dataclasses import dataclass

from PIL import ImageDraw

HEADWEAR = ("none", "short_hair", "long_hair", "wide_hat", "cap", "hood", "bun")


@dataclass(frozen=True)
class Look:
    coat: tuple[int, int, int]
    trousers: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    accent: tuple[int, int, int]
    headwear: str
    height: float  # relative, ~0.85 .. 1.12
    build: float  # shoulder width factor, ~0.8 .. 1.25


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def look_for_seed(seed: int) -> Look:
    rng = random.Random(f"character-look:{seed}")
    hue = rng.random()
    skin_tones = [(241, 200, 165), (224, 172, 128), (198, 134, 94), (141, 85, 54), (96, 60, 40)]
    hair_tones = [(30, 24, 20), (70, 45, 25), (140, 100, 60), (200, 170, 110), (160, 160, 160), (110, 30, 20)]
    return Look(
        coat=_rgb(hue, 0.55 + 0.4 * rng.random(), 0.55 + 0.4 * rng.random()),
        trousers=_rgb(hue + 0.5 + 0.2 * rng.random(), 0.25 + 0.3 * rng.random(), 0.2 + 0.3 * rng.random()),
        skin=rng.choice(skin_tones),
        hair=rng.choice(hair_tones),
        accent=_rgb(hue + 0.33, 0.7, 0.9),
        headwear=rng.choice(HEADWEAR),
        height=0.85 + 0.27 * rng.random(),
        build=0.8 + 0.45 * rng.random(),
    )


def draw_figure(
    draw: ImageDraw.ImageDraw, look: Look, cx: float, feet_y: float, unit: float,
    *, shade: float = 1.0, back_view: bool = False,
) -> None:
    """Draw a standing figure whose full height is ``unit * look.height``, feet at ``feet_y``.

    ``shade`` < 1 darkens it (foreground silhouettes, night); ``back_view`` hides the face.
    """

    def c(colour: tuple[int, int, int]) -> tuple[int, int, int]:
        return tuple(int(v * shade) for v in colour)  # type: ignore[return-value]

    h = unit * look.height
    top = feet_y - h
    head_r = h * 0.075
    shoulder = h * 0.13 * look.build
    hip = h * 0.09 * look.build
    head_cy = top + head_r * 1.1
    neck_y = head_cy + head_r * 1.05
    waist_y = top + h * 0.52
    # legs
    leg_w = hip * 0.45
    for side in (-1, 1):
        x = cx + side * hip * 0.5
        draw.rectangle([x - leg_w / 2, waist_y, x + leg_w / 2, feet_y], fill=c(look.trousers))
        draw.ellipse([x - leg_w * 0.7, feet_y - leg_w * 0.4, x + leg_w * 0.8, feet_y + leg_w * 0.3], fill=c((25, 22, 20)))
    # coat: a trapezoid from shoulders to below the waist
    hem_y = top + h * 0.68
    draw.polygon(
        [(cx - shoulder, neck_y + h * 0.02), (cx + shoulder, neck_y + h * 0.02),
         (cx + hip * 1.25, hem_y), (cx - hip * 1.25, hem_y)],
        fill=c(look.coat),
    )
    # arms
    arm_w = shoulder * 0.32
    for side in (-1, 1):
        x = cx + side * (shoulder - arm_w * 0.3)
        draw.polygon(
            [(x - arm_w / 2, neck_y + h * 0.03), (x + arm_w / 2, neck_y + h * 0.03),
             (x + side * arm_w * 0.6 + arm_w / 2, waist_y + h * 0.05),
             (x + side * arm_w * 0.6 - arm_w / 2, waist_y + h * 0.05)],
            fill=c(look.coat),
        )
        hx = x + side * arm_w * 0.6
        draw.ellipse([hx - arm_w * 0.45, waist_y + h * 0.03, hx + arm_w * 0.45, waist_y + h * 0.09], fill=c(look.skin))
    # accent: scarf / collar
    draw.rectangle([cx - shoulder * 0.55, neck_y - h * 0.005, cx + shoulder * 0.55, neck_y + h * 0.035], fill=c(look.accent))
    # head
    face = c(look.hair) if back_view else c(look.skin)
    draw.ellipse([cx - head_r, head_cy - head_r * 1.1, cx + head_r, head_cy + head_r * 1.1], fill=face)
    if not back_view:
        eye_y = head_cy - head_r * 0.1
        for side in (-1, 1):
            ex = cx + side * head_r * 0.38
            draw.ellipse([ex - head_r * 0.1, eye_y - head_r * 0.1, ex + head_r * 0.1, eye_y + head_r * 0.1], fill=c((30, 30, 35)))
    _draw_headwear(draw, look, c, cx, head_cy, head_r)


def _draw_headwear(draw, look: Look, c, cx: float, cy: float, r: float) -> None:  # noqa: ANN001
    hair = c(look.hair)
    top = cy - r * 1.1
    match look.headwear:
        case "short_hair":
            draw.chord([cx - r * 1.05, top - r * 0.1, cx + r * 1.05, cy + r * 0.5], 180, 360, fill=hair)
        case "long_hair":
            draw.chord([cx - r * 1.1, top - r * 0.1, cx + r * 1.1, cy + r * 0.6], 180, 360, fill=hair)
            draw.rectangle([cx - r * 1.1, cy - r * 0.1, cx - r * 0.75, cy + r * 1.6], fill=hair)
            draw.rectangle([cx + r * 0.75, cy - r * 0.1, cx + r * 1.1, cy + r * 1.6], fill=hair)
        case "wide_hat":
            draw.ellipse([cx - r * 2.0, top + r * 0.2, cx + r * 2.0, top + r * 0.65], fill=c((35, 32, 30)))
            draw.rectangle([cx - r * 0.85, top - r * 0.55, cx + r * 0.85, top + r * 0.4], fill=c((35, 32, 30)))
        case "cap":
            draw.chord([cx - r * 1.05, top - r * 0.05, cx + r * 1.05, cy + r * 0.4], 180, 360, fill=c(look.accent))
            draw.rectangle([cx, top + r * 0.55, cx + r * 1.6, top + r * 0.75], fill=c(look.accent))
        case "hood":
            draw.chord([cx - r * 1.35, top - r * 0.35, cx + r * 1.35, cy + r * 1.3], 160, 380, fill=c(look.coat))
        case "bun":
            draw.chord([cx - r * 1.05, top - r * 0.1, cx + r * 1.05, cy + r * 0.5], 180, 360, fill=hair)
            draw.ellipse([cx - r * 0.45, top - r * 0.75, cx + r * 0.45, top + r * 0.1], fill=hair)
        case _:
            pass
