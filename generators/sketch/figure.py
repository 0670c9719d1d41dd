"""A character's look: from their description first, their seed for whatever it leaves open.

Nothing here depends on the shot, so a character is recognisably the same person in every shot
(same coat colour, same hat, same build), which is the point of consistent characters even
before any AI model is involved. ``describe.read_description`` reads the description's
vocabulary (colours, garments, hair, beard, glasses, hats, skin, build, age).
"""

from __future__ import annotations

import colorsys
import dataclasses
import random
from dataclasses import dataclass

from PIL import ImageDraw

from .describe import COLOURS, read_description

HAT_STYLES = ("none", "none", "none", "none", "hat", "wide_hat", "cap", "beanie", "hood")
HAIR_STYLES = ("short", "short", "long", "long", "bun", "bald")
DARK_HAT = (35, 32, 30)


@dataclass(frozen=True)
class Look:
    coat: tuple[int, int, int]
    trousers: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    accent: tuple[int, int, int]
    hat: str  # none | hat | wide_hat | cap | beanie | hood
    hair_style: str  # short | long | bun | bald
    height: float  # relative, ~0.6 (child) .. 1.13 (tall)
    build: float  # shoulder width factor, ~0.8 .. 1.25
    hat_colour: tuple[int, int, int] = DARK_HAT
    beard: tuple[int, int, int] | None = None
    glasses: str | None = None  # glasses | sunglasses
    apron: tuple[int, int, int] | None = None
    child: bool = False


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def look_for_seed(seed: int) -> Look:
    """The look a seed alone gives: what fills everything a description does not say."""
    rng = random.Random(f"character-look:{seed}")
    hue = rng.random()
    skin_tones = [(241, 200, 165), (224, 172, 128), (198, 134, 94), (141, 85, 54), (96, 60, 40)]
    hair_tones = [(30, 24, 20), (70, 45, 25), (140, 100, 60), (200, 170, 110), (110, 30, 20)]
    coat = _rgb(hue, 0.55 + 0.4 * rng.random(), 0.55 + 0.4 * rng.random())
    accent = _rgb(hue + 0.33, 0.7, 0.9)
    hat = rng.choice(HAT_STYLES)
    return Look(
        coat=coat,
        trousers=_rgb(hue + 0.5 + 0.2 * rng.random(), 0.25 + 0.3 * rng.random(), 0.2 + 0.3 * rng.random()),
        skin=rng.choice(skin_tones),
        hair=rng.choice(hair_tones),
        accent=accent,
        hat=hat,
        hair_style=rng.choice(HAIR_STYLES),
        height=0.93 + 0.13 * rng.random(),
        build=0.85 + 0.3 * rng.random(),
        hat_colour=accent if hat in ("cap", "beanie") else coat if hat == "hood" else DARK_HAT,
    )


def look_for(description: str, seed: int) -> Look:
    """The look of a character: every trait the description names, the seed's look elsewhere."""
    base = look_for_seed(seed)
    t = read_description(description)
    changes: dict[str, object] = {}
    for name in ("coat", "trousers", "accent", "skin", "hair_style", "glasses", "apron", "build"):
        value = getattr(t, name)
        if value is not None:
            changes[name] = value
    hair = t.hair
    if t.age == "old" and hair is None:
        hair = COLOURS["grey"]
    if hair is not None:
        changes["hair"] = hair
    if t.hat is not None:
        changes["hat"] = t.hat
        default = {"cap": base.accent, "beanie": base.accent, "hood": changes.get("coat", base.coat)}.get(t.hat, DARK_HAT)
        changes["hat_colour"] = t.hat_colour or default
    elif base.hat == "hood" and "coat" in changes:
        changes["hat_colour"] = changes["coat"]  # a hood is part of the coat
    if t.has_beard:
        changes["beard"] = t.beard or changes.get("hair", base.hair)
    height = t.height if t.height is not None else base.height
    if t.age == "child":
        changes["child"] = True
        height = 0.62 * (t.height / 0.88 if t.height is not None and t.height < 1 else 1.0)
        changes.setdefault("build", 0.85)
    elif t.age == "teen":
        height = min(height, 0.94)
    elif t.age == "old":
        height *= 0.96
    changes["height"] = height
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def draw_figure(
    draw: ImageDraw.ImageDraw, look: Look, cx: float, feet_y: float, unit: float,
    *, shade: float = 1.0, back_view: bool = False,
) -> None:
    """Draw a standing figure whose full height is ``unit * look.height``, feet at ``feet_y``.

    ``shade`` < 1 darkens it (foreground silhouettes, night); ``back_view`` shows the back of the
    head (hair, or skin when bald) and hides the face, beard and glasses.
    """

    def c(colour: tuple[int, int, int]) -> tuple[int, int, int]:
        return tuple(int(v * shade) for v in colour)  # type: ignore[return-value]

    h = unit * look.height
    top = feet_y - h
    head_r = h * (0.1 if look.child else 0.075)
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
    if look.apron is not None and not back_view:
        aw = shoulder * 0.55
        draw.polygon([(cx - aw * 0.8, neck_y + h * 0.07), (cx + aw * 0.8, neck_y + h * 0.07),
                      (cx + aw * 1.1, hem_y + h * 0.04), (cx - aw * 1.1, hem_y + h * 0.04)], fill=c(look.apron))
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
    r = head_r
    if look.hair_style == "long":  # hair falls behind the shoulders
        draw.rectangle([cx - r * 1.1, head_cy - r * 0.1, cx + r * 1.1, head_cy + r * 1.7], fill=c(look.hair))
    if look.hat == "hood":  # the hood frames the face from behind
        draw.ellipse([cx - r * 1.35, head_cy - r * 1.45, cx + r * 1.35, head_cy + r * 1.3], fill=c(look.hat_colour))
    bald_back = back_view and look.hair_style == "bald"
    face = c(look.hair) if back_view and not bald_back else c(look.skin)
    if back_view and look.hat in ("hood", "beanie"):
        face = c(look.hat_colour)
    draw.ellipse([cx - r, head_cy - r * 1.1, cx + r, head_cy + r * 1.1], fill=face)
    if not back_view:
        if look.beard is not None:
            beard = c(look.beard)
            # jaw and chin below the mouth, sideburns up the cheeks, a moustache over the mouth
            draw.chord([cx - r * 0.9, head_cy - r * 0.1, cx + r * 0.9, head_cy + r * 1.45], 0, 180, fill=beard)
            for x0, x1 in ((cx - r * 0.97, cx - r * 0.72), (cx + r * 0.72, cx + r * 0.97)):
                draw.rectangle([x0, head_cy - r * 0.05, x1, head_cy + r * 0.75], fill=beard)
            draw.ellipse([cx - r * 0.42, head_cy + r * 0.3, cx + r * 0.42, head_cy + r * 0.52], fill=beard)
        eye_y = head_cy - r * 0.1
        for side in (-1, 1):
            ex = cx + side * r * 0.38
            draw.ellipse([ex - r * 0.1, eye_y - r * 0.1, ex + r * 0.1, eye_y + r * 0.1], fill=c((30, 30, 35)))
            if look.glasses is not None:
                box = [ex - r * 0.27, eye_y - r * 0.22, ex + r * 0.27, eye_y + r * 0.22]
                if look.glasses == "sunglasses":
                    draw.ellipse(box, fill=c((15, 15, 18)))
                else:
                    draw.ellipse(box, outline=c((20, 20, 24)), width=max(int(r * 0.08), 1))
        if look.glasses is not None:
            draw.line([cx - r * 0.11, eye_y, cx + r * 0.11, eye_y], fill=c((20, 20, 24)), width=max(int(r * 0.07), 1))
    _draw_hair_and_hat(draw, look, c, cx, head_cy, r, back_view)


def _draw_hair_and_hat(draw, look: Look, c, cx: float, cy: float, r: float, back_view: bool) -> None:  # noqa: ANN001
    hair = c(look.hair)
    top = cy - r * 1.1
    if look.hat not in ("hood", "beanie") and look.hair_style != "bald" and not back_view:
        draw.chord([cx - r * 1.05, top - r * 0.1, cx + r * 1.05, cy + r * 0.5], 180, 360, fill=hair)
        if look.hair_style == "bun" and look.hat == "none":
            draw.ellipse([cx - r * 0.45, top - r * 0.75, cx + r * 0.45, top + r * 0.1], fill=hair)
    hat = c(look.hat_colour)
    match look.hat:
        case "wide_hat":
            draw.ellipse([cx - r * 2.0, top + r * 0.2, cx + r * 2.0, top + r * 0.65], fill=hat)
            draw.rectangle([cx - r * 0.85, top - r * 0.55, cx + r * 0.85, top + r * 0.4], fill=hat)
        case "hat":
            draw.ellipse([cx - r * 1.45, top + r * 0.25, cx + r * 1.45, top + r * 0.6], fill=hat)
            draw.rectangle([cx - r * 0.8, top - r * 0.45, cx + r * 0.8, top + r * 0.42], fill=hat)
        case "cap":
            draw.chord([cx - r * 1.05, top - r * 0.05, cx + r * 1.05, cy + r * 0.4], 180, 360, fill=hat)
            if not back_view:
                draw.rectangle([cx, top + r * 0.55, cx + r * 1.6, top + r * 0.75], fill=hat)
        case "beanie":
            draw.chord([cx - r * 1.08, top - r * 0.2, cx + r * 1.08, cy + r * 0.25], 180, 360, fill=hat)
        case "hood":
            draw.chord([cx - r * 1.1, top - r * 0.15, cx + r * 1.1, cy + r * 0.1], 180, 360, fill=hat)
        case _:
            pass
