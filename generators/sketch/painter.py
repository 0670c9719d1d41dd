"""Paint one previz still for a request: setting, set shapes, staged characters, weather.

Everything is derived from the request (prompt words, scene heading, seed, characters'
descriptions and seeds, shot size), so a request always paints the same picture. The still is
painted larger than the output (the overscan) so the camera move has room;
``media.camera.animate_still`` then moves over it. The picture carries no text: shot numbers,
captions and subtitles are the exporter's burn-ins, laid out once for the whole frame.

Staging by shot size:

* OTS: the first-named character (the one in "over X's shoulder", else the cast member the
  prompt names first, else the first billed) is the dark back in the foreground, left; the
  next character faces the camera. One character alone faces the camera over an anonymous
  shoulder, unless the prompt puts the camera over that character's own shoulder.
* POV: the viewer (the one in "X's POV" / "X's point of view" / "through X's eyes", else the
  first billed) is never drawn; the others appear at a distance.
* Every other size places the whole cast (two-shots: both, side by side).
"""

from __future__ import annotations

import random
import re

from PIL import Image, ImageDraw, ImageFilter

from storyboard_app.generation.request import CharacterSpec, ShotRequest

from .figure import Look, draw_figure, look_for
from .scene import Scene, read_setting
from .stylize import stylize

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


def _gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        column.putpixel((0, y), _mix(top, bottom, y / 255))
    return column.resize(size, Image.BILINEAR)


def paint(request: ShotRequest, width: int, height: int) -> Image.Image:
    scene = read_setting(request.shot_prompt or request.prompt, request.scene_heading)
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

    if (scene.rain or scene.snow) and not scene.interior:  # no rain falls inside a room
        _paint_weather(draw, scene, rng, width, height)
    if scene.fog:
        img = Image.blend(img, Image.new("RGB", img.size, _mix(SKIES[scene.time][1], (200, 200, 200), 0.4)), 0.22)
    if palette:  # the style's palette tints the whole frame a little
        img = Image.blend(img, Image.new("RGB", img.size, palette[0]), 0.12)
    img = img.filter(ImageFilter.SMOOTH)
    if request.settings:  # the style's look (line, palette, shading, texture): see stylize.py
        img = stylize(img, request.settings, request.style_palette, request.seed)
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


def _names(character: CharacterSpec) -> list[str]:
    """How a prompt may name a character: "The Stranger" is also "Stranger"."""
    name = character.name.strip().lower()
    names = [name] if name else []
    if name.startswith("the ") and len(name) > 4:
        names.append(name[4:])
    return names


def _first_mention(prompt: str, character: CharacterSpec) -> int:
    hits = [m.start() for n in _names(character) for m in re.finditer(rf"\b{re.escape(n)}\b", prompt)]
    return min(hits) if hits else len(prompt) + 1


def _owner(prompt: str, chars: list[CharacterSpec], patterns: tuple[str, ...]) -> CharacterSpec | None:
    """The character a possessive phrase points at: "over Teo's shoulder", "Mara's POV"."""
    for ch in chars:
        for n in _names(ch):
            if any(re.search(p.format(name=re.escape(n)), prompt) for p in patterns):
                return ch
    return None


PRONOUNS = {"his", "her", "their", "its", "my", "your", "our", "him", "them", "the"}


def _owner_named(prompt: str, patterns: tuple[str, ...]) -> bool:
    """Whether the prompt names someone as the owner with a possessive ("the waiter's POV");
    pronouns ("over her shoulder") point back at the cast, so they do not count."""
    for pattern in patterns:
        if "'" not in pattern:
            continue
        for match in re.finditer(pattern.format(name=r"(?P<who>[a-z]+)"), prompt):
            if match.group("who") not in PRONOUNS:
                return True
    return False


OTS_OWNER = (r"over (?:the )?{name}'s? shoulder", r"over {name}s? shoulder", r"behind {name}\b")
POV_OWNER = (r"\b{name}'s? (?:pov|point of view|point-of-view|eyes|view)\b", r"through {name}'s? eyes",
             r"from {name}'s? (?:pov|point of view|perspective)")


def staging(request: ShotRequest) -> tuple[CharacterSpec | None, list[CharacterSpec]]:
    """(the character seen from behind in the foreground, the characters seen from the front).

    OTS: the foreground back is the first-named character; POV: the viewer is left out entirely
    (returned as neither). See the module docstring for the rules.
    """
    chars = list(request.characters)
    prompt = (request.shot_prompt or request.prompt).lower().replace("\u2019", "'")
    if request.shot_size == "OTS" and chars:
        owner = _owner(prompt, chars, OTS_OWNER)
        someone_else = owner is None and _owner_named(prompt, OTS_OWNER)  # "over the waiter's shoulder"
        if owner is None and len(chars) >= 2 and not someone_else:
            owner = min(chars, key=lambda ch: (_first_mention(prompt, ch), chars.index(ch)))
        return owner, [ch for ch in chars if ch is not owner][:1]
    if request.shot_size == "POV" and chars:
        viewer = _owner(prompt, chars, POV_OWNER)
        if viewer is None and not _owner_named(prompt, POV_OWNER):  # "the dog's POV": nobody in the cast
            viewer = chars[0]
        return None, [ch for ch in chars if ch is not viewer]
    return None, chars


def _paint_characters(draw, request: ShotRequest, w: int, h: int, scene: Scene) -> None:  # noqa: ANN001
    size = request.shot_size
    unit_frac, head_frac = FRAMING.get(size, (0.42, 0.53))
    unit = h * unit_frac
    shade = 0.75 if scene.time == "night" else 1.0
    back, front = staging(request)
    far = size in ("EWS", "WS", "POV")

    def place(look: Look, cx: float) -> None:
        if far:  # everyone stands on the same ground: a tall figure is taller, a child smaller
            feet = _feet_for_head(h * head_frac, unit, 1.0)
        else:  # framed on the face; height shows a little, never pushing a head out of frame
            offset = max(min((1.0 - look.height) * unit * 0.35, h * 0.08), -h * 0.08)
            feet = _feet_for_head(h * head_frac + offset, unit, look.height)
        draw_figure(draw, look, cx, feet, unit, shade=shade)

    if size == "OTS" and (back is not None or front):
        for ch in front[:1]:
            place(look_for(ch.description, ch.seed), w * 0.64)
        if back is not None:
            look = look_for(back.description, back.seed)
        else:  # one character facing us over an anonymous, featureless shoulder
            look = Look(coat=(40, 40, 46), trousers=(30, 30, 34), skin=(60, 50, 45), hair=(25, 22, 20),
                        accent=(40, 40, 46), hat="none", hair_style="short", height=1.0, build=1.1)
        big = h * 3.2
        draw_figure(draw, look, w * 0.22, _feet_for_head(h * 0.45, big, look.height), big,
                    shade=shade * 0.6, back_view=True)
        return
    n = max(len(front), 1)
    close = size in ("MCU", "CU", "ECU")
    for i, ch in enumerate(front):
        # close shots: two faces share the frame left and right; otherwise spread evenly
        cx = w * (0.3 + 0.4 * i / (n - 1)) if close and n > 1 else w * (i + 1) / (n + 1)
        place(look_for(ch.description, ch.seed), cx)


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
