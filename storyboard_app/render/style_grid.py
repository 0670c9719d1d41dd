"""The style test's contact sheet: rows = shots, columns = styles, labelled; PNG and PDF.

Each cell is the middle frame of the cell's take (``generation.style_test.cell_takes``),
grabbed through ``stills.shot_frame`` (the same frame grab and cover-fit as the stills export);
a cell with no take yet is the stills' grey placeholder. The PDF uses the deck's bundled fonts
(``deck_fonts``) and splits a wide test over pages, at most ``PDF_COLUMNS`` styles across.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw

from ..media.ffmpeg import FFmpegError, run_ffmpeg
from ..model import BundlePaths, Project, Shot, StyleTest, Take
from .burnins import font
from .deck_fonts import find_deck_fonts
from .stills import placeholder, shot_frame

BACKGROUND = (24, 24, 28)
LABEL = (235, 235, 235)
MUTED = (150, 150, 160)
FAVOURITE = (255, 196, 60)
PDF_COLUMNS = 6


@dataclass(frozen=True)
class GridLayout:
    """Pixel geometry of the PNG grid (also what the tests measure)."""

    tile_w: int
    tile_h: int
    label_w: int = 220
    header_h: int = 56
    gap: int = 6

    def cell_box(self, row: int, col: int) -> tuple[int, int, int, int]:
        x = self.label_w + self.gap + col * (self.tile_w + self.gap)
        y = self.header_h + self.gap + row * (self.tile_h + self.gap)
        return x, y, x + self.tile_w, y + self.tile_h

    def size(self, rows: int, cols: int) -> tuple[int, int]:
        return (self.label_w + self.gap + cols * (self.tile_w + self.gap),
                self.header_h + self.gap + rows * (self.tile_h + self.gap))


@dataclass
class GridFrames:
    shots: list[Shot]
    styles: list[tuple[str, str]]  # (style id, display name)
    frames: dict[tuple[str, str], Image.Image]  # (shot id, style id) -> tile-sized picture
    favourites: frozenset[str] = frozenset()


def grid_frames(project: Project, bundle: Path | str, test: StyleTest,
                cells: dict[tuple[str, str], Take | None], tile: tuple[int, int] = (384, 216),
                jobs: int = 4) -> GridFrames:
    """Grab every cell's picture at ``tile`` size (frame grabs run in parallel: each is an
    ffmpeg process)."""
    from ..generation.style_test import shots_of, styles_of

    paths = BundlePaths(bundle)
    shots = shots_of(project, test)
    styles = [(sid, project.style(sid).name) for sid in styles_of(project, test)]

    def grab(key: tuple[str, str]) -> Image.Image:
        shot = project.shot(key[0])
        take = cells.get(key)
        if take is None:
            return placeholder(shot, project.width, project.height).resize(tile, Image.Resampling.LANCZOS)
        picture = _tile_frame(paths, shot, take, project.fps, tile)
        if picture is None:  # not a clip we can seek in (a still, a damaged file): the slow path
            picture = shot_frame(project, paths, dataclasses.replace(shot, selected_take_id=take.id))
            picture = picture.resize(tile, Image.Resampling.LANCZOS)
        return picture

    keys = [(shot.id, sid) for shot in shots for sid, _ in styles]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        frames = dict(zip(keys, pool.map(grab, keys), strict=True))
    return GridFrames(shots, styles, frames, frozenset(test.favourites))


def _tile_frame(paths: BundlePaths, shot: Shot, take: Take, fps: int, tile: tuple[int, int]) -> Image.Image | None:
    """The take's middle frame at tile size in ONE ffmpeg run: the seek time comes from what was
    recorded for the take (no probe), and ffmpeg scales and cover-crops it (``stills._fit``'s
    geometry) before it leaves the process. 84 cells: about 3x faster than a full-size grab."""
    if take.media_path is None or not take.media_path.endswith((".mp4", ".mov", ".mkv", ".webm")):
        return None
    try:
        media = paths.media_path(take.media_path)
    except ValueError:
        return None
    frames = take.frames or shot.duration
    at = min(shot.duration // 2, max(frames - 1, 0)) / fps
    w, h = tile
    try:
        raw = run_ffmpeg(["-ss", f"{at:.4f}", "-i", str(media), "-frames:v", "1", "-an",
                          "-vf", f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=area,crop={w}:{h}",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], timeout=60, what="grid frame")
    except FFmpegError:
        return None
    if len(raw) < w * h * 3:
        return None
    return Image.frombytes("RGB", (w, h), raw[: w * h * 3])


def _fit_text(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, bold: bool = False) -> tuple[str, object]:
    face = font(size, bold=bold)
    while size > 9 and draw.textlength(text, font=face) > width:
        size -= 1
        face = font(size, bold=bold)
    while draw.textlength(text, font=face) > width and len(text) > 2:
        text = text[:-2] + "…"
    return text, face


def grid_image(grid: GridFrames, title: str = "") -> tuple[Image.Image, GridLayout]:
    """The labelled grid as one picture."""
    first = next(iter(grid.frames.values()), None)
    tile_w, tile_h = first.size if first is not None else (384, 216)
    layout = GridLayout(tile_w, tile_h)
    image = Image.new("RGB", layout.size(len(grid.shots), len(grid.styles)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    if title:
        text, face = _fit_text(draw, title, 18, layout.label_w - 16, bold=True)
        draw.text((10, layout.header_h // 2), text, fill=MUTED, font=face, anchor="lm")
    for col, (style_id, name) in enumerate(grid.styles):
        x0, _, x1, _ = layout.cell_box(0, col)
        star = "★ " if style_id in grid.favourites else ""
        text, face = _fit_text(draw, star + name, 20, x1 - x0 - 8, bold=True)
        draw.text(((x0 + x1) // 2, layout.header_h // 2), text, fill=FAVOURITE if star else LABEL, font=face,
                  anchor="mm")
    for row, shot in enumerate(grid.shots):
        _, y0, _, y1 = layout.cell_box(row, 0)
        number, face = _fit_text(draw, f"Shot {shot.number or shot.id}", 22, layout.label_w - 16, bold=True)
        draw.text((10, y0 + 8), number, fill=LABEL, font=face)
        title_text, face = _fit_text(draw, shot.title or shot.prompt[:60], 15, layout.label_w - 16)
        draw.text((10, y0 + 40), title_text, fill=MUTED, font=face)
        for col, (style_id, _) in enumerate(grid.styles):
            x0, y0, _, _ = layout.cell_box(row, col)
            image.paste(grid.frames[(shot.id, style_id)], (x0, y0))
    return image, layout


def write_grid_png(grid: GridFrames, output: Path | str, title: str = "") -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    image, _ = grid_image(grid, title)
    partial = output.with_name(f".{output.name}.partial")
    image.save(partial, "PNG", optimize=False, compress_level=6)
    partial.replace(output)
    return output


def write_grid_pdf(grid: GridFrames, output: Path | str, title: str = "") -> Path:
    """A landscape A4 PDF: styles across (``PDF_COLUMNS`` a page), shots down, labelled."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    text = " ".join([title, *(n for _, n in grid.styles), *(s.title for s in grid.shots)])
    with tempfile.TemporaryDirectory(prefix="storyboard-grid-") as work:
        fonts = find_deck_fonts(text=text, workdir=Path(work))
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.add_font("deck", "", str(fonts.regular))
        pdf.add_font("deck", "B", str(fonts.bold or fonts.regular))
        if fonts.cjk:
            for i, path in enumerate(fonts.cjk):
                pdf.add_font(f"cjk{i}", "", str(path))
            pdf.set_fallback_fonts([f"cjk{i}" for i in range(len(fonts.cjk))], exact_match=False)
        pdf.set_title(title or "Style test")
        pdf.set_creator("storyboard-app")
        margin, label_w, header_h, gap = 10.0, 28.0, 9.0, 2.0
        page_w, page_h = 297.0, 210.0
        for c0 in range(0, max(len(grid.styles), 1), PDF_COLUMNS):
            styles = grid.styles[c0:c0 + PDF_COLUMNS]
            tile_w = (page_w - 2 * margin - label_w - gap * len(styles)) / max(len(styles), 1)
            tile_h = tile_w * 9 / 16
            if grid.frames:
                first = next(iter(grid.frames.values()))
                tile_h = tile_w * first.height / first.width
            rows_per_page = max(1, int((page_h - 2 * margin - header_h - 8) // (tile_h + gap)))
            for r0 in range(0, max(len(grid.shots), 1), rows_per_page):
                pdf.add_page()
                pdf.set_font("deck", "B", 11)
                pdf.set_xy(margin, margin)
                pdf.cell(label_w, header_h / 2, title[:40])
                pdf.set_font("deck", "", 7)
                pdf.set_xy(margin, margin + header_h / 2)
                pdf.cell(label_w, header_h / 2, f"page {pdf.page_no()}")
                for col, (style_id, name) in enumerate(styles):
                    x = margin + label_w + gap + col * (tile_w + gap)
                    pdf.set_xy(x, margin)
                    pdf.set_font("deck", "B", 9)
                    star = "★ " if style_id in grid.favourites else ""
                    pdf.multi_cell(tile_w, header_h / 2, star + name, align="C", max_line_height=header_h / 2)
                for row, shot in enumerate(grid.shots[r0:r0 + rows_per_page]):
                    y = margin + header_h + row * (tile_h + gap)
                    pdf.set_xy(margin, y)
                    pdf.set_font("deck", "B", 10)
                    pdf.cell(label_w, 5, f"Shot {shot.number or shot.id}")
                    pdf.set_xy(margin, y + 5.5)
                    pdf.set_font("deck", "", 6.5)
                    pdf.multi_cell(label_w - 1, 3, (shot.title or shot.prompt)[:70], max_line_height=3)
                    for col, (style_id, _) in enumerate(styles):
                        x = margin + label_w + gap + col * (tile_w + gap)
                        buffer = io.BytesIO()
                        grid.frames[(shot.id, style_id)].save(buffer, "JPEG", quality=85)
                        pdf.image(buffer, x=x, y=y, w=tile_w, h=tile_h)
        partial = output.with_name(f".{output.name}.partial")
        try:
            pdf.output(str(partial))
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    return output
