"""Burn-ins: the only text in an animatic, laid out in zones that never overlap.

Zones (``layout_burnins``):

* top left: the shot label ("SHOT 3 · NIGHT MARKET"), wrapped within its column;
* top right: the record timecode, and the "PREVIZ / TEMP VO" label under it;
* bottom, stacked upwards: the caption (shot size, camera move, prompt) at the bottom edge, and
  the dialogue subtitles above it, one box per line that is playing.

Every box is placed from the boxes already placed, so no two intersect whatever the text length:
long text wraps (between words, or between any two CJK characters) instead of being cut; when a
zone runs out of room its font shrinks, and only as a last resort its last line ends in "…".
The top zone and the caption depend only on the shot, so they do not move when a subtitle
appears; subtitles fit into the room left between them.

The same layout serves the exporter (converted once per shot to YUV overlays, built lazily when
the playhead enters a shot and dropped when it leaves) and the GUI preview (``shot_overlay``
returns the overlay as one RGBA image). Text is drawn with the bundled font chain (render/text.py),
so CJK and emoji render as glyphs, not boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..model import CameraMove, Project, Shot, frames_to_timecode
from . import text as tx
from .yuv import Overlay, image_to_yuv420

PREVIZ_TEXT = "PREVIZ / TEMP VO"
PREVIZ_COLOUR = (255, 210, 80, 255)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The primary bundled font (DejaVu Sans) at ``size``; for mixed scripts use render/text.py."""
    return tx.face(tx.font_chain(bold)[0], size)


@dataclass(frozen=True)
class BurnIns:
    """Which burn-ins an export carries."""

    shot_label: bool = True  # shot number and scene, top left
    timecode: bool = True  # record timecode, top right
    subtitles: bool = True  # dialogue lines while they play, bottom (above the caption)
    previz_label: bool = True  # "PREVIZ / TEMP VO", top right under the timecode
    slate: bool = True  # a title slate before the first shot
    caption: bool = True  # shot size, camera move and prompt, bottom

    @classmethod
    def none(cls) -> BurnIns:
        return cls(shot_label=False, timecode=False, subtitles=False, previz_label=False, slate=False,
                   caption=False)


# ------------------------------------------------------------------ geometry
@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def intersects(self, other: Rect) -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.bottom and other.y < self.bottom)


@dataclass(frozen=True)
class Block:
    """One placed text box. ``image`` is None for the timecode, which the exporter draws per
    frame from a glyph atlas (``lines`` then holds the timecode text, if known)."""

    zone: str  # "label", "timecode", "previz", "caption", "subtitle"
    rect: Rect
    lines: tuple[str, ...]
    image: Image.Image | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Sizes:
    """Font sizes, margins and paddings for a frame height (all in pixels)."""

    margin: int
    gap: int
    label: int
    caption: int
    subtitle: int
    pad: int

    @classmethod
    def for_height(cls, height: int) -> Sizes:
        return cls(margin=max(height // 40, 2), gap=max(height // 90, 2), label=max(height // 28, 8),
                   caption=max(height // 34, 8), subtitle=max(height // 24, 8), pad=max(height // 90, 2))


def _even(v: float) -> int:
    v = int(v)
    return v - v % 2


def _fit(text: str, size: int, width: int, max_height: int, *, pad: int, bold: bool = False,
         min_size: int = 7) -> tuple[list[str], int]:
    """Wrap ``text`` to ``width``; shrink the font until it fits ``max_height``; at the smallest
    size keep as many lines as fit, the last one ending in "…"."""
    s = size
    while True:
        lines = tx.wrap(text, s, width - 2 * pad, bold)
        if _box_height(len(lines), s, pad, bold) <= max_height or s <= min_size:
            break
        s = max(int(s * 0.85), min_size)
    if _box_height(len(lines), s, pad, bold) > max_height:
        keep = len(lines)
        while keep > 1 and _box_height(keep, s, pad, bold) > max_height:
            keep -= 1
        if keep < len(lines):
            lines = lines[: keep - 1] + [tx.ellipsize(lines[keep - 1], s, width - 2 * pad, bold)]
    return lines, s


def _box_height(n: int, size: int, pad: int, bold: bool) -> int:
    m = tx.metrics(size, bold)
    h = m.height * n + int(m.height * 0.25) * (n - 1) + 2 * pad
    return h + h % 2


@cache
def timecode_metrics(size: int) -> tuple[int, int]:
    """(cell width, height) of one timecode glyph box at ``size``; the exporter's atlas and the
    layout use the same numbers, so the reserved rectangle is exactly what gets drawn."""
    f = font(size, bold=True)
    cell = int(max(f.getlength(c) for c in "0123456789:")) + 2
    height = size + size // 2
    return cell + cell % 2, height + height % 2


TIMECODE_CHARS = len("00:00:00:00")


@lru_cache(maxsize=32)
def _box(lines: tuple[str, ...], size: int, *, fg=(255, 255, 255, 255), bg=(0, 0, 0, 150), pad: int = 6,  # noqa: ANN001
         bold: bool = False, align: str = "left") -> Image.Image:
    """``text_image``, remembered for the last few boxes (the PREVIZ label is the same in every
    shot; a shot's subtitles are laid out again whenever the set of playing lines changes).
    Callers must not draw into the returned image."""
    return tx.text_image(list(lines), size, fg=fg, bg=bg, pad=pad, bold=bold, align=align)


def layout_static(width: int, height: int, burnins: BurnIns, *, label: str | None,
                  caption: str | None) -> list[Block]:
    """The blocks that stay put for a whole shot: label, timecode, PREVIZ label, caption."""
    s = Sizes.for_height(height)
    blocks: list[Block] = []
    right_col = 0
    top_bottom = s.margin  # lowest edge used by the top zone
    y = s.margin
    if burnins.timecode:
        cell, th = timecode_metrics(s.label)
        tw = cell * TIMECODE_CHARS
        rect = Rect(_even(width - s.margin - tw), _even(y), tw, th)
        blocks.append(Block("timecode", rect, ()))
        right_col = max(right_col, tw)
        y = rect.bottom + s.gap
        top_bottom = rect.bottom
    if burnins.previz_label:
        lines, size = _fit(PREVIZ_TEXT, s.label, width // 3, height // 6, pad=s.pad, bold=True)
        image = _box(tuple(lines), size, fg=PREVIZ_COLOUR, pad=s.pad, bold=True)
        rect = Rect(_even(width - s.margin - image.width), _even(y + 1), image.width, image.height)
        blocks.append(Block("previz", rect, tuple(lines), image))
        right_col = max(right_col, image.width)
        top_bottom = rect.bottom
    if burnins.shot_label and label:
        column = width - 2 * s.margin - (right_col + s.margin if right_col else 0)
        lines, size = _fit(label, s.label, max(column, 16), height // 5, pad=s.pad)
        image = _box(tuple(lines), size, pad=s.pad)
        rect = Rect(_even(s.margin), _even(s.margin), image.width, image.height)
        blocks.append(Block("label", rect, tuple(lines), image))
        top_bottom = max(top_bottom, rect.bottom)
    if burnins.caption and caption:
        room = height - s.margin - (top_bottom + s.gap)
        lines, size = _fit(caption, s.caption, width - 2 * s.margin, min(int(height * 0.22), room), pad=s.pad)
        image = _box(tuple(lines), size, fg=(225, 228, 235, 255), bg=(0, 0, 0, 140), pad=s.pad)
        y0 = height - s.margin - image.height
        rect = Rect(_even(s.margin), y0 - y0 % 2, image.width, image.height)
        blocks.append(Block("caption", rect, tuple(lines), image))
    return blocks


def layout_subtitles(width: int, height: int, static: Sequence[Block], subtitles: Sequence[str]) -> list[Block]:
    """Subtitle boxes stacked upwards from just above the caption (or the bottom margin), centred,
    in the room the static blocks leave; the first subtitle (the earlier line) is on top."""
    if not subtitles:
        return []
    s = Sizes.for_height(height)
    top = max((b.rect.bottom for b in static if b.zone != "caption"), default=0) + s.gap
    caption = next((b for b in static if b.zone == "caption"), None)
    bottom = caption.rect.y - s.gap if caption else height - max(height // 12, s.margin)
    room = max(bottom - top, 0)
    per_line = max(room // len(subtitles) - s.gap, 0)
    blocks: list[Block] = []
    for text in reversed(subtitles):
        lines, size = _fit(text, s.subtitle, int(width * 0.84), per_line, pad=s.pad)
        image = _box(tuple(lines), size, pad=s.pad, align="center")
        if image.height > per_line:  # not even one line fits: leave it out rather than overlap
            continue
        y = bottom - image.height
        y -= y % 2
        rect = Rect(_even((width - image.width) / 2), y, image.width, image.height)
        blocks.append(Block("subtitle", rect, tuple(lines), image))
        bottom = y - s.gap
    return blocks[::-1]


def layout_burnins(width: int, height: int, burnins: BurnIns = BurnIns(), *, label: str | None = None,  # noqa: B008
                   caption: str | None = None, subtitles: Sequence[str] = ()) -> list[Block]:
    """Every burn-in block for one frame; rectangles never intersect (tests assert it)."""
    static = layout_static(width, height, burnins, label=label, caption=caption)
    return static + (layout_subtitles(width, height, static, subtitles) if burnins.subtitles else [])


# ------------------------------------------------------------------ texts for a shot
def shot_label(shot: Shot, index: int, scene: str) -> str:
    return f"SHOT {shot.number or index + 1}  ·  {scene}" if scene else f"SHOT {shot.number or index + 1}"


def shot_caption(shot: Shot) -> str:
    """What the sketch generator used to bake into its frames: size, move, prompt."""
    parts = [shot.size.value.upper()]
    if shot.camera_move != CameraMove.STATIC:
        parts.append(shot.camera_move.value.replace("_", " "))
    if shot.prompt.strip():
        parts.append(shot.prompt.strip())
    return "  ·  ".join(parts)


def subtitle_text(speaker: str, line: str) -> str:
    return f"{speaker.upper()}: {line}" if speaker else line


def subtitles_at(placed_lines: Sequence, local_frame: int) -> list[str]:  # noqa: ANN001
    """The subtitle texts playing ``local_frame`` frames into a shot, earliest line first, from
    the voice plan of that shot (``VoiceService.plan``: objects with ``offset_frames``,
    ``duration_frames``, ``speaker_name`` and ``text``), for ``shot_overlay``."""
    playing = [p for p in placed_lines if p.offset_frames <= local_frame < p.offset_frames + max(p.duration_frames, 1)]
    playing.sort(key=lambda p: p.offset_frames)
    return [subtitle_text(p.speaker_name, p.text) for p in playing]


# ------------------------------------------------------------------ one RGBA image (GUI preview)
def overlay_image(width: int, height: int, blocks: Sequence[Block], timecode: str | None = None) -> Image.Image:
    """The blocks composed into one transparent RGBA image of the frame's size."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for block in blocks:
        if block.image is not None:
            image.alpha_composite(block.image, (block.rect.x, block.rect.y))
        elif block.zone == "timecode" and timecode:
            size = Sizes.for_height(height).label
            glyphs = timecode_glyphs(size)
            cell, _ = timecode_metrics(size)
            x0 = block.rect.right - cell * len(timecode)
            for i, char in enumerate(timecode):
                image.alpha_composite(glyphs[char], (x0 + i * cell, block.rect.y))
    return image


def shot_overlay(project: Project, shot_id: str, local_frame: int, width: int, height: int, *,
                 subtitles: Sequence[str] = (), burnins: BurnIns = BurnIns()) -> Image.Image:  # noqa: B008
    """The burn-in overlay the export draws on ``shot_id`` at ``local_frame`` (frames into the
    shot, at the project's fps), as a ``width`` x ``height`` RGBA image to draw over the picture.

    Pure: reads the project only. ``subtitles`` are the dialogue texts playing at that moment
    (``subtitle_text(speaker, line)`` each); the caller knows the voice timing. For the GUI
    preview player, so that it shows exactly what the export will.
    """
    offset = 0
    for index, (scene, shot) in enumerate((seq.name, shot) for seq in project.sequences for shot in seq.shots):
        if shot.id == shot_id:
            blocks = layout_burnins(width, height, burnins, label=shot_label(shot, index, scene),
                                    caption=shot_caption(shot), subtitles=subtitles)
            return overlay_image(width, height, blocks, frames_to_timecode(offset + local_frame, project.fps))
        offset += shot.duration
    raise KeyError(f"no shot {shot_id!r} in the project")


# ------------------------------------------------------------------ exporter helpers
def text_box(text: str, size: int, *, fg=(255, 255, 255, 255), bg=(0, 0, 0, 150), pad: int = 6,  # noqa: ANN001
             bold: bool = False, max_width: int | None = None) -> Image.Image:
    """Text on a translucent box, wrapped to ``max_width`` pixels (nothing cut)."""
    lines = tx.wrap(text, size, max_width - 2 * pad, bold) if max_width else [text]
    return tx.text_image(lines, size, fg=fg, bg=bg, pad=pad, bold=bold)


@cache
def timecode_glyphs(size: int) -> dict[str, Image.Image]:
    cell, height = timecode_metrics(size)
    f = font(size, bold=True)
    glyphs = {}
    for char in "0123456789:":
        image = Image.new("RGBA", (cell, height), (0, 0, 0, 160))
        # centred in its fixed-width cell: a colon drawn at the cell's left edge read "00: 00: 06"
        x = (cell - f.getlength(char)) / 2
        ImageDraw.Draw(image).text((x, size // 5), char, font=f, fill=(255, 255, 255, 255))
        glyphs[char] = image
    return glyphs


@dataclass
class TimecodeAtlas:
    """Glyphs for "0-9:" rendered once; a timecode is 11 blits of cached overlays."""

    size: int
    right: int  # right edge (pixels)
    top: int
    _cache: dict[tuple[int, str], Overlay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cell, self.height = timecode_metrics(self.size)

    def move(self, right: int, top: int) -> None:
        if (right, top) != (self.right, self.top):
            self.right, self.top = right, top
            self._cache.clear()

    def overlays(self, frame: int, fps: int) -> list[Overlay]:
        text = frames_to_timecode(frame, fps)
        x0 = self.right - self.cell * len(text)
        glyphs = timecode_glyphs(self.size)
        out = []
        for i, char in enumerate(text):
            key = (i, char)
            overlay = self._cache.get(key)
            if overlay is None:
                overlay = self._cache[key] = Overlay.from_image(glyphs[char], x0 + i * self.cell, self.top)
            out.append(overlay)
        return out


def slate_frame(title: str, subtitle: str, width: int, height: int, note: str = ""):  # noqa: ANN201
    """The title slate as a yuv420p frame (a long title wraps, centred); ``note``, when given, is
    one small amber line near the bottom (what the viewer should know, e.g. a stand-in voice)."""
    image = Image.new("RGB", (width, height), (14, 16, 22))
    draw = ImageDraw.Draw(image)
    big, small = max(height // 12, 12), max(height // 30, 9)
    title_lines, big = _fit(title or "Untitled", big, int(width * 0.9), int(height * 0.34), pad=0, bold=True)
    m = tx.metrics(big, True)
    y = height * 0.48 - len(title_lines) * m.height * 1.1
    for line in title_lines:
        w = tx.text_width(line, big, True)
        tx.draw_text(draw, ((width - w) / 2, y), line, big, fill=(235, 235, 235), bold=True)
        y += m.height * 1.1
    for text, ty in ((subtitle, 0.56), (PREVIZ_TEXT, 0.64)):
        w = tx.text_width(text, small)
        tx.draw_text(draw, ((width - w) / 2, height * ty), text, small, fill=(170, 175, 190))
    if note:
        lines, size = _fit(note, small, int(width * 0.9), int(height * 0.14), pad=0)
        y = height * 0.78
        for line in lines:
            w = tx.text_width(line, size)
            tx.draw_text(draw, ((width - w) / 2, y), line, size, fill=(235, 190, 90))
            y += tx.metrics(size).height * 1.2
    return image_to_yuv420(image)


def placeholder_frame(number: str, prompt: str, width: int, height: int):  # noqa: ANN201
    """A clear "no take" card for a shot that has not been generated."""
    image = Image.new("RGB", (width, height), (38, 40, 48))
    draw = ImageDraw.Draw(image)
    draw.rectangle([width * 0.04, height * 0.06, width * 0.96, height * 0.94], outline=(90, 95, 110), width=max(height // 180, 1))
    head, note, body = max(height // 9, 12), max(height // 22, 9), max(height // 30, 9)
    tx.draw_text(draw, (width * 0.08, height * 0.14), f"SHOT {number}", head, fill=(235, 200, 90), bold=True)
    tx.draw_text(draw, (width * 0.08, height * 0.34), "no take yet", note, fill=(200, 200, 210))
    y = height * 0.48
    lines, body = _fit(prompt, body, int(width * 0.84), int(height * 0.40), pad=0)
    for line in lines:
        tx.draw_text(draw, (width * 0.08, y), line, body, fill=(180, 182, 195))
        y += tx.metrics(body).height * 1.25
    return image_to_yuv420(image)
