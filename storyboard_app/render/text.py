"""Text for burn-ins, subtitles, slates and placeholder cards: bundled fonts, per-glyph fallback,
measuring and wrapping.

PIL draws a string with one font and shows an empty box for every character that font lacks, so
a Korean name or an emoji in a subtitle came out as tofu. Here each character is drawn with the
first font of a chain that has it (DejaVu Sans for Latin/Greek/Cyrillic, a CJK subset, an emoji
subset; see resources/fonts/README.md), runs of characters sharing a font are drawn together on
one baseline, and wrapping breaks between words and between any two CJK characters (which are
written without spaces). The fonts come from the package's resources, never from the system, so
the output is the same on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..assets import resource

REGULAR = ("DejaVuSans.ttf", "DroidSansFallback-CJK.ttf", "Symbola-Emoji.ttf")
BOLD = ("DejaVuSans-Bold.ttf", "DroidSansFallback-CJK.ttf", "Symbola-Emoji.ttf")
#: drawn by no font: variation selectors and joiners (emoji presentation hints)
_INVISIBLE = {0xFE0E, 0xFE0F, 0x200D, 0x200B}
#: characters a line may break before or after without a space (CJK, kana, Hangul, emoji)
_BREAKABLE = re.compile(r"[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF\U0001F000-\U0001FAFF]")

Font = ImageFont.FreeTypeFont


@cache
def _font_source(name: str) -> str | bytes:
    """A path PIL can open (wheels and frozen bundles unpack to disk), else the font's bytes."""
    item = resource("fonts", name)
    path = str(item)
    try:
        with open(path, "rb"):
            return path
    except OSError:
        return item.read_bytes()


@cache
def face(name: str, size: int) -> Font:
    import io

    source = _font_source(name)
    return ImageFont.truetype(io.BytesIO(source) if isinstance(source, bytes) else source, size)


@cache
def coverage(name: str) -> frozenset[int]:
    """The code points a bundled font has glyphs for (its cmap)."""
    import io

    from fontTools.ttLib import TTFont

    source = _font_source(name)
    font = TTFont(io.BytesIO(source) if isinstance(source, bytes) else source, lazy=True)
    try:
        return frozenset(font["cmap"].getBestCmap())
    finally:
        font.close()


def warm_up() -> None:
    """Read every bundled font's glyph coverage now (fontTools parses the CJK subset's cmap in
    ~0.1 s): the GUI calls this on a background thread at start, so the first burn-in it draws
    does not pay for it on the UI thread."""
    for name in dict.fromkeys(REGULAR + BOLD):
        coverage(name)


def font_chain(bold: bool = False) -> tuple[str, ...]:
    return BOLD if bold else REGULAR


@lru_cache(maxsize=8192)
def runs(text: str, bold: bool = False) -> tuple[tuple[str, str], ...]:
    """``text`` as (substring, font file) runs: each character in the first font that has it."""
    chain = font_chain(bold)
    primary = coverage(chain[0])
    if all(ord(c) in primary for c in text):  # the common case: one run, no lookups
        return ((text, chain[0]),) if text else ()
    out: list[tuple[str, str]] = []
    for char in text:
        code = ord(char)
        if code in _INVISIBLE:
            continue
        name = chain[0]
        if not char.isspace():
            name = next((n for n in chain if code in coverage(n)), chain[0])
        if out and out[-1][1] == name:
            out[-1] = (out[-1][0] + char, name)
        else:
            out.append((char, name))
    return tuple(out)


def missing_glyphs(text: str, bold: bool = False) -> list[str]:
    """Characters of ``text`` that no bundled font can draw (they would show as boxes)."""
    chain = font_chain(bold)
    return [c for c in text if not c.isspace() and ord(c) not in _INVISIBLE
            and not any(ord(c) in coverage(n) for n in chain)]


@dataclass(frozen=True)
class LineMetrics:
    ascent: int
    descent: int

    @property
    def height(self) -> int:
        return self.ascent + self.descent


@cache
def metrics(size: int, bold: bool = False) -> LineMetrics:
    """One line's height for every font of the chain, so lines with and without CJK or emoji
    get the same box height (the primary font's metrics, widened only as far as CJK needs)."""
    primary = face(font_chain(bold)[0], size).getmetrics()
    cjk = face(font_chain(bold)[1], size).getmetrics()
    return LineMetrics(max(primary[0], cjk[0]), max(primary[1], cjk[1]))


@lru_cache(maxsize=16384)
def text_width(text: str, size: int, bold: bool = False) -> float:
    return sum(face(name, size).getlength(part) for part, name in runs(text, bold))


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, *,
              fill=(255, 255, 255, 255), bold: bool = False) -> float:  # noqa: ANN001
    """Draw one line with its top-left at ``xy``; returns the width drawn."""
    x, top = xy
    baseline = top + metrics(size, bold).ascent
    for part, name in runs(text, bold):
        f = face(name, size)
        draw.text((x, baseline), part, font=f, fill=fill, anchor="ls")
        x += f.getlength(part)
    return x - xy[0]


def _pieces(text: str) -> Iterable[tuple[str, bool]]:
    """(piece, space before it): words, with every CJK/emoji character a piece of its own."""
    for w, word in enumerate(text.split()):
        first = True
        buffer = ""
        for char in word:
            if _BREAKABLE.match(char):
                if buffer:
                    yield buffer, first and w > 0
                    first = False
                    buffer = ""
                yield char, first and w > 0
                first = False
            else:
                buffer += char
        if buffer:
            yield buffer, first and w > 0


def wrap(text: str, size: int, width: float, bold: bool = False) -> list[str]:
    """Greedy wrap to ``width`` pixels; a piece wider than a line is split between characters,
    so every character of ``text`` is kept (nothing is cut).

    Lines are filled by adding up the widths of their pieces (each measured once), which is
    what keeps a long export's per-shot layout cheap; any line that kerning makes wider than
    its sum is rewrapped by exact measurement."""
    lines: list[str] = []
    space = text_width(" ", size, bold)
    for paragraph in text.splitlines() or [""]:
        current, current_w = "", 0.0
        for piece, spaced in _pieces(paragraph):
            piece_w = text_width(piece, size, bold)
            joined_w = current_w + piece_w + (space if current and spaced else 0.0)
            if not current or joined_w <= width:
                current = f"{current} {piece}" if current and spaced else current + piece
                current_w = joined_w
            else:
                lines.append(current)
                current, current_w = piece, piece_w
            while current_w > width and len(current) > 1:
                cut = _fit_prefix(current, size, width, bold)
                lines.append(current[:cut])
                current = current[cut:]
                current_w = text_width(current, size, bold)
        lines.append(current)
    if any(text_width(line, size, bold) > width and len(line) > 1 for line in lines):
        return _wrap_exact(text, size, width, bold)
    return lines or [""]


def _wrap_exact(text: str, size: int, width: float, bold: bool) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for piece, spaced in _pieces(paragraph):
            trial = f"{current} {piece}" if current and spaced else current + piece
            if text_width(trial, size, bold) <= width or not current:
                current = trial
            else:
                lines.append(current)
                current = piece
            while text_width(current, size, bold) > width and len(current) > 1:
                cut = _fit_prefix(current, size, width, bold)
                lines.append(current[:cut])
                current = current[cut:]
        lines.append(current)
    return lines or [""]


def _fit_prefix(text: str, size: int, width: float, bold: bool) -> int:
    """The longest prefix length (at least 1) that fits ``width``."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid], size, bold) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def ellipsize(line: str, size: int, width: float, bold: bool = False) -> str:
    """``line`` shortened with "…" to fit ``width`` (used only when a zone has no room left)."""
    if text_width(line + "…", size, bold) <= width:
        return line + "…"
    return line[: max(_fit_prefix(line + "…", size, width, bold) - 1, 0)] + "…"


def text_image(lines: list[str], size: int, *, fg=(255, 255, 255, 255), bg=(0, 0, 0, 150),  # noqa: ANN001
               pad: int = 6, bold: bool = False, align: str = "left") -> Image.Image:
    """Lines of text on a translucent box; width and height are even (for 4:2:0 chroma)."""
    m = metrics(size, bold)
    leading = int(m.height * 0.25)
    widths = [text_width(line, size, bold) for line in lines]
    width = int(max(widths, default=0) + 0.999) + 2 * pad
    height = m.height * len(lines) + leading * (len(lines) - 1) + 2 * pad
    image = Image.new("RGBA", (width + width % 2, height + height % 2), bg)
    draw = ImageDraw.Draw(image)
    y = pad
    for line, w in zip(lines, widths, strict=True):
        x = pad if align == "left" else (image.width - w) / 2
        draw_text(draw, (x, y), line, size, fill=fg, bold=bold)
        y += m.height + leading
    return image
