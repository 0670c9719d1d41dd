"""A style's look applied to a painted still, once per take, in PIL's C code.

The painter draws the content (setting, set, cast); this module turns it into a look from the
style's ``sketch`` parameters, so twelve styles of one shot are twelve visibly different frames
with no GPU. Every step works on the whole image at once (filters, enhancers, point tables,
blends): no per-pixel Python and nothing per frame. Temporal film grain is not here: it is an
ffmpeg ``noise`` filter added where the clip is encoded (``grain_filter``), so it moves.

Parameters (all optional; absent means "leave as painted"):

=================  ==========================================================================
``paint``          painterly flattening: median filter size (odd, 3-9) on a half-size copy
``blur``           softness: Gaussian radius in px (washes, lens softness)
``mono``           0-1: how far to desaturate
``saturation``     colour amount (1 = as painted)
``brightness``     1 = as painted
``contrast``       1 = as painted
``lift``           0-1: raise the blacks (faded film)
``crush``          0-1: push the darks to black (ink, noir)
``posterize``      bits per channel (1-8): flat cel / ink shading bands
``palette_map``    0-1: map luminance onto the style palette (dark → light)
``split_tone``     [shadow colour, highlight colour] with strength ``split`` (0-1)
``paper``          a paper colour the picture is laid on, with ``fill`` (0-1) of the picture kept
``lines``          0-1: ink outlines from the picture's edges, ``line_weight`` px thick
``hatch``          0-1: diagonal pencil hatching in the shadows
``texture``        0-1: paper/canvas tooth (static noise)
``vignette``       0-1: darkened corners
``grain``          ffmpeg temporal grain strength (0-40), see ``grain_filter``
=================  ==========================================================================
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Colour = tuple[int, int, int]


def _hex(colour: str) -> Colour:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _num(params: dict[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _luma_sorted(palette: Sequence[str]) -> list[Colour]:
    colours = [_hex(c) for c in palette]
    return sorted(colours, key=lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


def stylize(image: Image.Image, params: dict[str, Any], palette: Sequence[str] = (), seed: int = 0) -> Image.Image:
    """``image`` with the look ``params`` describes (see the module docstring)."""
    img = image.convert("RGB")
    w, h = img.size
    paint = int(_num(params, "paint", 0))
    if paint >= 3:  # painterly: flatten small detail on a half-size copy (4x cheaper), scale back
        small = img.resize((w // 2, h // 2), Image.BILINEAR).filter(ImageFilter.MedianFilter(paint | 1))
        img = small.resize((w, h), Image.BICUBIC)
    source = img  # edges are taken before softening, so lines stay crisp on a soft wash
    blur = _num(params, "blur", 0)
    if blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    mono = min(max(_num(params, "mono", 0), 0), 1)
    saturation = _num(params, "saturation", 1.0) * (1 - mono)
    if saturation != 1.0:
        img = ImageEnhance.Color(img).enhance(saturation)
    if (brightness := _num(params, "brightness", 1.0)) != 1.0:
        img = ImageEnhance.Brightness(img).enhance(brightness)
    if (contrast := _num(params, "contrast", 1.0)) != 1.0:
        img = ImageEnhance.Contrast(img).enhance(contrast)
    crush, lift = _num(params, "crush", 0), _num(params, "lift", 0)
    if crush > 0 or lift > 0:
        floor = 255 * min(crush, 0.9)
        table = [int(min(max((v - floor) / (255 - floor), 0), 1) * (255 - 255 * lift) + 255 * lift) for v in range(256)]
        img = img.point(table * 3)
    if (bits := int(_num(params, "posterize", 0))) and 1 <= bits < 8:
        img = ImageOps.posterize(img, bits)
    if (amount := _num(params, "palette_map", 0)) > 0 and palette:
        colours = _luma_sorted(palette)
        dark, light = colours[0], colours[-1]
        mid = colours[len(colours) // 2] if len(colours) > 2 else None
        mapped = ImageOps.colorize(img.convert("L"), dark, light, mid=mid)
        img = Image.blend(img, mapped, min(amount, 1.0))
    tone = params.get("split_tone")
    if isinstance(tone, list) and len(tone) == 2 and (split := _num(params, "split", 0.4)) > 0:
        toned = ImageOps.colorize(img.convert("L"), _hex(tone[0]), _hex(tone[1]), mid=(128, 128, 128))
        img = ImageChops.overlay(img, toned) if split >= 0.999 else Image.blend(img, ImageChops.overlay(img, toned), split)
    paper = params.get("paper")
    if isinstance(paper, str) and paper.startswith("#"):
        fill = min(max(_num(params, "fill", 0.3), 0), 1)
        # the picture as a tone on paper: light areas become paper, darks stay as shading
        sheet = Image.new("RGB", img.size, _hex(paper))
        img = ImageChops.multiply(sheet, Image.blend(Image.new("RGB", img.size, (255, 255, 255)), img, fill))
    if (hatch := _num(params, "hatch", 0)) > 0:
        img = _hatch(img, hatch, seed)
    if (lines := _num(params, "lines", 0)) > 0:
        img = _ink_lines(img, source, lines, int(_num(params, "line_weight", 2)))
    if (texture := _num(params, "texture", 0)) > 0:
        tooth = Image.effect_noise((max(w // 2, 1), max(h // 2, 1)), 64 * min(texture, 1)).resize((w, h), Image.BILINEAR)
        tooth = ImageOps.autocontrast(tooth.filter(ImageFilter.EMBOSS), cutoff=2)
        img = Image.blend(img, ImageChops.multiply(img, tooth.convert("RGB")), min(texture * 2.5, 1))
    if (vignette := _num(params, "vignette", 0)) > 0:
        img = _vignette(img, vignette)
    return img


def _ink_lines(img: Image.Image, source: Image.Image, amount: float, weight: int) -> Image.Image:
    """Dark outlines where the painted picture has edges, ``weight`` px thick."""
    edges = source.convert("L").filter(ImageFilter.FIND_EDGES)
    edges = edges.point(lambda v: 255 if v > 28 else 0)
    if weight > 1:
        edges = edges.filter(ImageFilter.MaxFilter(weight if weight % 2 else weight + 1))
    ink = edges.point(lambda v: int(255 - v * min(amount, 1) * 0.92))
    return ImageChops.multiply(img, Image.merge("RGB", (ink, ink, ink)))


def _hatch(img: Image.Image, amount: float, seed: int) -> Image.Image:
    """Diagonal pencil strokes, denser where the picture is darker."""
    w, h = img.size
    rng = random.Random(seed)
    strokes = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(strokes)
    step = 9
    for x in range(-h, w, step):
        jitter = rng.randint(-2, 2)
        draw.line([(x + jitter, h), (x + h + jitter, 0)], fill=int(120 + rng.random() * 60), width=1)
    darkness = ImageOps.invert(img.convert("L")).point(lambda v: 255 if v > 110 else int(v * 1.2))
    mask = darkness.point(lambda v: int(v * min(amount, 1)))
    hatched = ImageChops.multiply(img, Image.merge("RGB", (strokes, strokes, strokes)))
    return Image.composite(hatched, img, mask)


def _vignette(img: Image.Image, amount: float) -> Image.Image:
    w, h = img.size
    radial = Image.radial_gradient("L").resize((w, h), Image.BILINEAR)  # 0 at the centre, 255 out
    shade = radial.point(lambda v: int(255 - min(max((v - 90) / 165, 0), 1) ** 1.6 * 255 * min(amount, 1)))
    return ImageChops.multiply(img, Image.merge("RGB", (shade, shade, shade)))


def grain_filter(params: dict[str, Any], seed: int = 0) -> str:
    """The ffmpeg filter for the style's moving film grain ("" for none)."""
    strength = int(min(max(_num(params, "grain", 0), 0), 60))
    if strength <= 0:
        return ""
    # luma only: film grain is mostly luminance (colour noise looks digital), and it is a third
    # cheaper to make and to encode than noise on every plane
    return f"noise=c0s={strength}:c0f=t+u:all_seed={seed % 2147483647}"
