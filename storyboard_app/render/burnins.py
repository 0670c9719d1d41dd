"""Burn-ins: everything drawn once as an overlay, then blended per frame onto its small region.

Per-frame Python at 720p is what makes exporters slow, so text is never drawn per frame: shot
labels, subtitles, the PREVIZ label and the slate are rendered once (PIL → YUV overlay), and the
timecode is assembled per frame from a pre-rendered glyph atlas (11 small blits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..model import frames_to_timecode
from .yuv import Overlay, image_to_yuv420

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = ["DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"]
    candidates = [FONT_DIR / n for n in names] + [Path("/usr/share/fonts/truetype/dejavu") / n for n in names]
    for candidate in [*candidates, *names]:
        try:
            return ImageFont.truetype(str(candidate), size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class BurnIns:
    """Which burn-ins an export carries."""

    shot_label: bool = True  # shot number and scene, top left
    timecode: bool = True  # record timecode, top right
    subtitles: bool = True  # dialogue lines while they play
    previz_label: bool = True  # "PREVIZ / TEMP VO", bottom right
    slate: bool = True  # a title slate before the first shot

    @classmethod
    def none(cls) -> BurnIns:
        return cls(False, False, False, False, False)


def text_box(text: str, size: int, *, fg=(255, 255, 255, 255), bg=(0, 0, 0, 150), pad: int = 6,
             bold: bool = False, max_width: int | None = None) -> Image.Image:
    """Text on a translucent box, wrapped to ``max_width`` pixels."""
    f = font(size, bold)
    lines = _wrap(text, f, max_width - 2 * pad) if max_width else [text]
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    boxes = [probe.textbbox((0, 0), line, font=f) for line in lines]
    line_h = max((b[3] - b[1]) for b in boxes) if boxes else size
    width = max(b[2] - b[0] for b in boxes) + 2 * pad
    height = line_h * len(lines) + int(line_h * 0.35) * (len(lines) - 1) + 2 * pad
    image = Image.new("RGBA", (width + width % 2, height + height % 2), bg)
    draw = ImageDraw.Draw(image)
    y = pad
    for line, box in zip(lines, boxes, strict=True):
        draw.text((pad - box[0], y - box[1]), line, font=f, fill=fg)
        y += line_h + int(line_h * 0.35)
    return image


def _wrap(text: str, f, width: int) -> list[str]:  # noqa: ANN001
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and probe.textlength(trial, font=f) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


@dataclass
class TimecodeAtlas:
    """Glyphs for "0-9:" rendered once; a timecode is 11 blits of cached overlays."""

    size: int
    right: int  # right edge (pixels)
    top: int
    _glyphs: dict[str, Image.Image] = field(default_factory=dict)
    _cache: dict[tuple[int, str], Overlay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = font(self.size, bold=True)
        probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
        self.cell = int(max(probe.textlength(c, font=f) for c in "0123456789:")) + 2
        self.cell += self.cell % 2
        self.height = self.size + self.size // 2
        self.height += self.height % 2
        for char in "0123456789:":
            image = Image.new("RGBA", (self.cell, self.height), (0, 0, 0, 160))
            ImageDraw.Draw(image).text((1, self.size // 5), char, font=f, fill=(255, 255, 255, 255))
            self._glyphs[char] = image

    def overlays(self, frame: int, fps: int) -> list[Overlay]:
        text = frames_to_timecode(frame, fps)
        x0 = self.right - self.cell * len(text)
        out = []
        for i, char in enumerate(text):
            key = (i, char)
            overlay = self._cache.get(key)
            if overlay is None:
                overlay = self._cache[key] = Overlay.from_image(self._glyphs[char], x0 + i * self.cell, self.top)
            out.append(overlay)
        return out


def slate_frame(title: str, subtitle: str, width: int, height: int):  # noqa: ANN201
    """The title slate as a yuv420p frame."""
    image = Image.new("RGB", (width, height), (14, 16, 22))
    draw = ImageDraw.Draw(image)
    big, small = font(max(height // 12, 12), bold=True), font(max(height // 30, 9))
    for text, f, y in ((title, big, 0.40), (subtitle, small, 0.56), ("PREVIZ / TEMP VO", small, 0.64)):
        box = draw.textbbox((0, 0), text, font=f)
        draw.text(((width - (box[2] - box[0])) / 2 - box[0], height * y - box[1]), text, font=f,
                  fill=(235, 235, 235) if f is big else (170, 175, 190))
    return image_to_yuv420(image)


def placeholder_frame(number: str, prompt: str, width: int, height: int):  # noqa: ANN201
    """A clear "no take" card for a shot that has not been generated."""
    image = Image.new("RGB", (width, height), (38, 40, 48))
    draw = ImageDraw.Draw(image)
    draw.rectangle([width * 0.04, height * 0.06, width * 0.96, height * 0.94], outline=(90, 95, 110), width=max(height // 180, 1))
    head = font(max(height // 9, 12), bold=True)
    body = font(max(height // 30, 9))
    draw.text((width * 0.08, height * 0.14), f"SHOT {number}", font=head, fill=(235, 200, 90))
    draw.text((width * 0.08, height * 0.34), "no take yet", font=font(max(height // 22, 9)), fill=(200, 200, 210))
    y = height * 0.48
    for line in _wrap(prompt, body, int(width * 0.8))[:6]:
        draw.text((width * 0.08, y), line, font=body, fill=(180, 182, 195))
        y += body.size * 1.4 if hasattr(body, "size") else 14
    return image_to_yuv420(image)
