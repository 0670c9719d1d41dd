"""A side-by-side comparison video of 2 to 4 styles of one style test, in sync, with temp VO.

Each style is rendered by the normal export path (``render_animatic`` with ``generate=False``)
at tile size, over a copy of the project that holds only the test's shots, each showing that
style's take, so timing, dialogue fitting, voice and subtitles are exactly the animatic's and
identical across styles (same shots, same lines: the tiles are in sync by construction). ffmpeg
then tiles them with ``xstack`` (2 side by side; 3 or 4 in a 2 x 2 grid, a black fourth tile
for 3), overlays one transparent PNG of style labels, and keeps the first export's audio: the
whole composition runs in C, no per-frame Python.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw

from ..media.ffmpeg import run_ffmpeg
from ..model import Document, Project, Sequence, StyleTest, Take
from .burnins import BurnIns, font
from .export import ExportOptions
from .service import render_animatic


@dataclass(frozen=True)
class CompareLayout:
    """Where each style's tile sits in the comparison frame (what the tests sample)."""

    tile_w: int
    tile_h: int
    count: int

    @property
    def columns(self) -> int:
        return 2

    @property
    def rows(self) -> int:
        return 1 if self.count == 2 else 2

    @property
    def size(self) -> tuple[int, int]:
        return self.tile_w * self.columns, self.tile_h * self.rows

    def tile_box(self, index: int) -> tuple[int, int, int, int]:
        x, y = (index % 2) * self.tile_w, (index // 2) * self.tile_h
        return x, y, x + self.tile_w, y + self.tile_h


def compare_layout(project: Project, count: int) -> CompareLayout:
    if not 2 <= count <= 4:
        raise ValueError(f"a comparison video tiles 2 to 4 styles (got {count})")
    half_w, half_h = project.width // 2, project.height // 2
    return CompareLayout(half_w - half_w % 2, half_h - half_h % 2, count)


def style_project(project: Project, test: StyleTest, style_id: str,
                  cells: dict[tuple[str, str], Take | None]) -> Project:
    """A copy holding only the test's shots, each selecting the style's take (none: placeholder)."""
    from ..generation.style_test import shots_of

    copy_ = copy.deepcopy(project)
    shots = []
    for shot in shots_of(copy_, test):
        take = cells.get((shot.id, style_id))
        shot.selected_take_id = take.id if take is not None else None
        shot.style_id = style_id
        shots.append(shot)
    # the scene is named after the style, so each tile's shot label reads "SHOT 3 · Noir"
    copy_.sequences = [Sequence("style_test", copy_.style(style_id).name, shots)]
    copy_.style_id = style_id
    return copy_


def render_style_animatic(document: Document, test: StyleTest, style_id: str,
                          cells: dict[tuple[str, str], Take | None], output: Path | str,
                          options: ExportOptions | None = None) -> Path:
    """One column of the test as an animatic (the test's shots in that style, with temp VO):
    what the app plays for "Play column", and one tile of the comparison."""
    view = Document(style_project(document.project, test, style_id, cells), document.bundle)
    render_animatic(view, output, options=options, generate=False)
    return Path(output)


def write_comparison(document: Document, test: StyleTest, style_ids: list[str],
                     cells: dict[tuple[str, str], Take | None], output: Path | str,
                     progress: Callable[[float, str], None] | None = None, jobs: int = 1) -> CompareLayout:
    """Write the tiled MP4 for ``style_ids`` (2-4, in the tile order: left-right, top-bottom)."""
    project = document.project
    layout = compare_layout(project, len(style_ids))
    report = progress or (lambda f, m: None)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    options = ExportOptions(width=layout.tile_w, height=layout.tile_h,
                            burnins=BurnIns(shot_label=True, timecode=False, subtitles=True, previz_label=False,
                                            slate=False, caption=False))
    with tempfile.TemporaryDirectory(prefix="storyboard-compare-") as work:
        parts = [Path(work) / f"style{i}.mp4" for i in range(len(style_ids))]
        finished: list[str] = []

        def render(i: int) -> None:
            render_style_animatic(document, test, style_ids[i], cells, parts[i], options)
            finished.append(style_ids[i])
            report(len(finished) / (len(style_ids) + 1), f"animatic in {project.style(style_ids[i]).name}")

        # the first export synthesizes the voiceover into the bundle's voice cache; the others
        # (same lines) then only read it, so they can run side by side: the frame composer
        # releases the GIL in numpy and in its ffmpeg pipe, so ``jobs`` exports use ``jobs`` cores
        render(0)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(render, range(1, len(style_ids))))
        labels = Path(work) / "labels.png"
        _label_image(layout, [project.style(s).name for s in style_ids]).save(labels)
        report(len(style_ids) / (len(style_ids) + 1), "tiling")
        _tile(parts, labels, layout, output, project.frame_rate)
    report(1.0, "done")
    return layout


def _label_image(layout: CompareLayout, names: list[str]) -> Image.Image:
    """One transparent frame with each style's name, top right of its tile (the shot label is
    top left and the subtitles bottom centre: the three never overlap)."""
    image = Image.new("RGBA", layout.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    size = max(layout.tile_h // 16, 12)
    face = font(size, bold=True)
    pad = size // 3
    for i, name in enumerate(names):
        _, y0, x1, _ = layout.tile_box(i)
        anchor = (x1 - size // 2 - pad, y0 + size // 2 + pad)
        box = draw.textbbox(anchor, name, font=face, anchor="ra")
        draw.rectangle([box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad], fill=(0, 0, 0, 170))
        draw.text(anchor, name, font=face, fill=(255, 255, 255, 255), anchor="ra")
    return image


def _tile(parts: list[Path], labels: Path, layout: CompareLayout, output: Path, rate: Fraction) -> None:
    inputs: list[str] = []
    for part in parts:
        inputs += ["-i", str(part)]
    streams = [f"[{i}:v]" for i in range(len(parts))]
    filters = []
    if len(parts) == 3:  # a black fourth tile keeps the 2 x 2 grid
        # at the tiles' exact rate (24000/1001 for a 23.976 project, not probe's rounded 23.98)
        filters.append(f"color=c=black:s={layout.tile_w}x{layout.tile_h}:r={rate.numerator}/{rate.denominator}[blank]")
        streams.append("[blank]")
    w, h = layout.tile_w, layout.tile_h
    positions = ["0_0", f"{w}_0", f"0_{h}", f"{w}_{h}"][:len(streams)]
    label_index = len(parts)
    filters.append(f"{''.join(streams)}xstack=inputs={len(streams)}:layout={'|'.join(positions)}:shortest=1[grid]")
    filters.append(f"[grid][{label_index}:v]overlay=0:0:format=auto,format=yuv420p[out]")
    partial = output.with_name(f".{output.name}.partial.mp4")
    try:
        run_ffmpeg([
            "-y", *inputs, "-loop", "1", "-i", str(labels),
            "-filter_complex", ";".join(filters),
            "-map", "[out]", "-map", "0:a?", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20",
            "-c:a", "copy", "-shortest", "-movflags", "+faststart", str(partial),
        ], timeout=1200, what="style comparison")
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
