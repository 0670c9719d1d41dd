"""Paint one previz still for a request: setting, set shapes, framed characters, weather, caption.

Everything is derived from the request (prompt words, seed, characters' seeds, shot size), so a
request always paints the same picture. The still is painted larger than the output (the
overscan) so the camera move has room; ``media.camera.animate_still`` then moves over it.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from storyboard_app.generation.request import ShotRequest

from .figure import draw_figure, look_for_seed
from .scene import Scene, read_scene

SKIES = {
    "night": ((8, 12, 30), (28, 36, 70)),
    "dusk": ((70, 40, 90), (235, 140, 80)),
    "dawn": ((120, 150, 200), (245, 190, 170)),
    "day": ((90, 150, 215), (190, 220, 245)),
}
GROUNDS = {"night": (28, 30, 38), "dusk": (70, 55, 60), "dawn": (120, 115, 110), "day": (120, 125, 105)}
INTERIOR_WALLS = {"night": (52, 40, 38), "dusk": (110, 80, 60), "dawn": (150, 135, 120), "day": (185, 170, 145)}

#: per shot size: figure height as a fraction of the frame height, and where the centre of the
#: head sits (fraction of the frame height). Framing by the head is how operators frame people:
#: MS cuts at the waist, MCU at the chest, CU shows head and shoulders, ECU the face.
FRAMING = {
    "EWS": (0.10, 0.71),
    "WS": (0.42, 0.53),
    "MS": (1.6, 0.30),
    "MCU": (2.4, 0.33),
    "CU": (3.6, 0.42),
    "ECU": (7.0, 0.50),
    "OTS": (1.7, 0.34),
    "POV": (0.3, 0.62),
    "insert": (0.0, 0.0),
}
HEAD_FROM_TOP = 0.0825  # head centre below the top of the figure, as a fraction of its height
HORIZON = {"EWS": 0.58, "WS": 0.62, "MS": 0.55, "MCU": 0.5, "CU": 0.5, "ECU": 0.5,
           "OTS": 0.55, "POV": 0.6, "insert": 0.45}


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    from storyboard_app.render.burnins import font

    return font(size)


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        column.putpixel((0, y), _mix(top, bottom, y / 255))
    return column.resize(size, Image.BILINEAR)


def paint(request: ShotRequest, width: int, height: int) -> Image.Image:
    scene = read_scene(request.shot_prompt or request.prompt)
    rng = random.Random(f"sketch:{request.seed}:{request.shot_prompt or request.prompt}")
    size = request.shot_size
    horizon = int(height * HORIZON.get(size, 0.6))
    palette = [_hex(c) for c in request.style_palette]

    if scene.interior:
        img = _gradient((width, height), _mix(INTERIOR_WALLS[scene.time], (0, 0, 0), 0.25), INTERIOR_WALLS[scene.time])
    else:
        sky_top, sky_bottom = SKIES[scene.time]
        img = _gradient((width, height), sky_top, sky_bottom)
    draw = ImageDraw.Draw(img)
    ground = GROUNDS[scene.time] if not scene.interior else _mix(INTERIOR_WALLS[scene.time], (20, 15, 10), 0.5)
    draw.rectangle([0, horizon, width, height], fill=ground)

    far = size in ("EWS", "WS", "POV")
    _paint_sets(draw, scene, rng, width, height, horizon, far)

    if size == "insert":
        _paint_insert(draw, rng, width, height, scene)
    else:
        _paint_characters(draw, request, width, height, scene)

    if scene.rain or scene.snow:
        _paint_weather(draw, scene, rng, width, height)
    if scene.fog:
        img = Image.blend(img, Image.new("RGB", img.size, _mix(SKIES[scene.time][1], (200, 200, 200), 0.4)), 0.22)
    if palette:  # the style's palette tints the whole frame a little
        img = Image.blend(img, Image.new("RGB", img.size, palette[0]), 0.12)
    img = img.filter(ImageFilter.SMOOTH)
    return img


def _paint_sets(draw, scene: Scene, rng: random.Random, w: int, h: int, horizon: int, far: bool) -> None:  # noqa: ANN001
    night = scene.time == "night"
    scale = 1.0 if far else 1.8
    if "buildings" in scene.sets or (not scene.interior and not scene.sets):
        x = -rng.randint(0, 80)
        while x < w:
            bw = int(rng.randint(90, 200) * scale)
            bh = int(rng.randint(120, 380) * scale * (0.6 if far else 1.0))
            colour = _mix((25, 28, 40) if night else (95, 100, 115), (0, 0, 0), rng.random() * 0.3)
            draw.rectangle([x, horizon - bh, x + bw, horizon], fill=colour)
            for wy in range(horizon - bh + 14, horizon - 12, int(26 * scale)):
                for wx in range(x + 10, x + bw - 14, int(24 * scale)):
                    if rng.random() < (0.45 if night else 0.2):
                        lit = (250, 215, 130) if night else (170, 190, 210)
                        draw.rectangle([wx, wy, wx + 9 * scale, wy + 12 * scale], fill=lit)
            x += bw + rng.randint(0, 30)
    if "water" in scene.sets:
        top = horizon - int(h * 0.04)
        draw.rectangle([0, top, w, horizon + int(h * 0.06)], fill=(20, 35, 60) if night else (70, 110, 150))
        for _ in range(40):
            lx, ly = rng.randint(0, w), rng.randint(top, horizon + int(h * 0.06))
            draw.line([lx, ly, lx + rng.randint(10, 40), ly], fill=(240, 200, 120) if night else (220, 235, 250), width=2)
    if "alley" in scene.sets:
        wall = (45, 40, 48) if night else (120, 110, 100)
        draw.polygon([(0, 0), (int(w * 0.3), int(h * 0.15)), (int(w * 0.3), horizon + 10), (0, h)], fill=wall)
        draw.polygon([(w, 0), (int(w * 0.7), int(h * 0.15)), (int(w * 0.7), horizon + 10), (w, h)], fill=_mix(wall, (0, 0, 0), 0.2))
    if "stalls" in scene.sets:
        count = 5 if far else 2
        for i in range(count):
            sw = int(w / count * 0.8)
            sx = int(i * w / count + rng.randint(0, int(w / count * 0.2)))
            sh = int(h * (0.18 if far else 0.42))
            top = horizon - sh
            stripe = rng.choice([(200, 60, 50), (60, 120, 190), (220, 180, 60), (80, 160, 100)])
            for k in range(6):
                colour = stripe if k % 2 == 0 else (235, 230, 220)
                draw.polygon([(sx + k * sw / 6, top), (sx + (k + 1) * sw / 6, top),
                              (sx + (k + 1) * sw / 6 + 8, top + sh * 0.22), (sx + k * sw / 6 + 8, top + sh * 0.22)], fill=colour)
            draw.rectangle([sx + 6, top + sh * 0.22, sx + sw, horizon], fill=(70, 50, 40) if night else (130, 100, 80))
            draw.rectangle([sx, horizon - sh * 0.25, sx + sw + 10, horizon - sh * 0.18], fill=(110, 80, 55))
    if "lanterns" in scene.sets:
        for _ in range(14 if far else 7):
            lx, ly = rng.randint(0, w), rng.randint(int(h * 0.08), max(int(horizon * 0.8), int(h * 0.1) + 1))
            r = rng.randint(8, 18) * (1 if far else 2)
            glow = rng.choice([(255, 90, 80), (255, 190, 90), (120, 220, 255), (255, 120, 200)])
            draw.ellipse([lx - r * 1.8, ly - r * 1.8, lx + r * 1.8, ly + r * 1.8], fill=_mix(glow, (0, 0, 0), 0.65))
            draw.ellipse([lx - r, ly - r, lx + r, ly + r], fill=glow)
    if "trees" in scene.sets:
        for _ in range(8 if far else 3):
            tx = rng.randint(0, w)
            th = rng.randint(int(h * 0.15), int(h * 0.35)) * (1 if far else 2)
            draw.rectangle([tx - 6, horizon - th * 0.4, tx + 6, horizon], fill=(60, 45, 30))
            draw.ellipse([tx - th * 0.3, horizon - th, tx + th * 0.3, horizon - th * 0.3], fill=(30, 70, 40))
    if "counter" in scene.sets and not far:
        draw.rectangle([0, int(h * 0.8), w, h], fill=(95, 65, 45))
        draw.rectangle([0, int(h * 0.8), w, int(h * 0.82)], fill=(140, 100, 70))


def _feet_for_head(head_y: float, unit: float, look_height: float) -> float:
    return head_y + (1 - HEAD_FROM_TOP) * unit * look_height


def _paint_characters(draw, request: ShotRequest, w: int, h: int, scene: Scene) -> None:  # noqa: ANN001
    size = request.shot_size
    unit_frac, head_frac = FRAMING.get(size, (0.42, 0.53))
    unit = h * unit_frac
    chars = list(request.characters)
    shade = 0.75 if scene.time == "night" else 1.0
    if size == "OTS" and len(chars) >= 2:
        # the first-billed character faces us mid-frame; the second is a dark shoulder in front
        facing, front = chars[0], chars[1]
        look = look_for_seed(facing.seed)
        draw_figure(draw, look, w * 0.62, _feet_for_head(h * head_frac, unit, look.height), unit, shade=shade)
        look = look_for_seed(front.seed)
        big = h * 3.2
        draw_figure(draw, look, w * 0.2, _feet_for_head(h * 0.45, big, look.height), big,
                    shade=shade * 0.45, back_view=True)
        return
    if size == "POV":
        chars = chars[:2]
    n = max(len(chars), 1)
    close = size in ("MCU", "CU", "ECU")
    for i, ch in enumerate(chars):
        # close shots: two faces share the frame left and right; otherwise spread evenly
        cx = w * (0.3 + 0.4 * i / (n - 1)) if close and n > 1 else w * (i + 1) / (n + 1)
        look = look_for_seed(ch.seed)
        draw_figure(draw, look, cx, _feet_for_head(h * head_frac, unit, look.height), unit, shade=shade)


def _paint_insert(draw, rng: random.Random, w: int, h: int, scene: Scene) -> None:  # noqa: ANN001
    """A detail on a surface: a table top and an object in the centre."""
    draw.rectangle([0, int(h * 0.45), w, h], fill=(105, 75, 50))
    cx, cy = w * 0.5, h * 0.62
    colour = rng.choice([(200, 160, 60), (180, 180, 190), (200, 60, 50), (230, 225, 210)])
    draw.ellipse([cx - w * 0.16, cy - h * 0.08, cx + w * 0.16, cy + h * 0.1], fill=(235, 228, 210))
    draw.ellipse([cx - w * 0.05, cy - h * 0.05, cx + w * 0.01, cy + h * 0.05], outline=colour, width=max(int(h * 0.015), 2))
    draw.rectangle([cx, cy - h * 0.012, cx + w * 0.12, cy + h * 0.012], fill=colour)


def _paint_weather(draw, scene: Scene, rng: random.Random, w: int, h: int) -> None:  # noqa: ANN001
    if scene.rain:
        colour = (150, 160, 190) if scene.time == "night" else (200, 210, 225)
        for _ in range(int(w * h / 2500)):
            x, y = rng.randint(-40, w), rng.randint(-40, h)
            length = rng.randint(18, 40)
            draw.line([x, y, x + length * 0.25, y + length], fill=colour, width=1)
    if scene.snow:
        for _ in range(int(w * h / 3000)):
            x, y, r = rng.randint(0, w), rng.randint(0, h), rng.randint(1, 4)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(240, 240, 250))


def paint_caption(img: Image.Image, request: ShotRequest, out_w: int, out_h: int) -> None:
    """Shot number, framing and the prompt, inside the area the camera always sees."""
    w, h = img.size
    inner_left = (w - out_w) // 2 + int(out_w * 0.03)
    inner_bottom = (h + out_h) // 2 - int(out_h * 0.04)
    title = _font(max(out_h // 24, 10))
    body = _font(max(out_h // 40, 8))
    label = f"{request.shot_number or '?'}   {request.shot_size}  {request.camera_move.replace('_', ' ')}"
    prompt = request.shot_prompt or request.prompt
    if len(prompt) > 110:
        prompt = prompt[:107].rstrip() + "…"
    draw = ImageDraw.Draw(img, "RGBA")
    tb = draw.textbbox((0, 0), label, font=title)
    pb = draw.textbbox((0, 0), prompt, font=body)
    box_h = (tb[3] - tb[1]) + (pb[3] - pb[1]) + out_h * 0.05
    box_w = max(tb[2] - tb[0], pb[2] - pb[0]) + out_w * 0.03
    top = inner_bottom - box_h
    draw.rectangle([inner_left, top, inner_left + box_w, inner_bottom], fill=(0, 0, 0, 150))
    pad = out_w * 0.015
    draw.text((inner_left + pad, top + out_h * 0.015), label, font=title, fill=(255, 230, 120))
    draw.text((inner_left + pad, top + out_h * 0.02 + (tb[3] - tb[1]) + 4), prompt, font=body, fill=(235, 235, 235))
