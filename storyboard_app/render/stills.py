"""Stills of the boards: one frame per shot (PNG with a stable name) and a contact sheet.

The frame that represents a shot is the middle frame of its selected take as it plays in the
shot (a take shorter than its shot holds its last frame, so the middle of the *shot* may be that
held frame), or a frame the user picks (``frames={shot_id: frame}``, counted from the shot's
start). A shot without a usable take gets a grey placeholder panel with its number, so every
shot has a picture and page layouts never shift.

The deck, the stills export and the contact sheet all use ``shot_frame``, so they show the same
picture for a shot.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from ..media.ffmpeg import FFmpegError, probe, run_ffmpeg
from ..model import BundlePaths, Project, Shot, format_duration
from .burnins import font
from .timeline import selected_media

PLACEHOLDER_GREY = (200, 200, 200)

#: progress(done, total, what)
StillsProgress = Callable[[int, int, str], None]


def safe_name(text: str) -> str:
    """A file-name-safe form of a shot number: "3A" stays "3A", "1/2 b" becomes "1_2_b"."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned or "shot"


def stable_shot_names(project: Project) -> dict[str, str]:
    """``shot id → "shot_3A"``: the number when unique, else number plus position, never a clash.

    The same names are used for stills, interchange media and PDF images, so an editor's clip
    named after its file can be matched back to its shot.
    """
    shots = project.all_shots()
    counts: dict[str, int] = {}
    for shot in shots:
        key = safe_name(shot.number or shot.id)
        counts[key] = counts.get(key, 0) + 1
    names: dict[str, str] = {}
    used: set[str] = set()
    for index, shot in enumerate(shots, 1):
        base = safe_name(shot.number or shot.id)
        name = f"shot_{base}" if counts[base] == 1 else f"shot_{base}_{index:03d}"
        while name in used:
            name += "_"
        used.add(name)
        names[shot.id] = name
    return names


def placeholder(shot: Shot, width: int, height: int) -> Image.Image:
    """A light-grey panel with the shot number: prints cleanly and is obviously not a frame."""
    image = Image.new("RGB", (width, height), PLACEHOLDER_GREY)
    draw = ImageDraw.Draw(image)
    size = max(height // 6, 10)
    label = f"{shot.number or shot.id}\nno picture yet"
    draw.multiline_text((width / 2, height / 2), label, fill=(90, 90, 90), font=font(size, bold=True),
                        anchor="mm", align="center")
    return image


def shot_frame(project: Project, bundle: Path | str | BundlePaths, shot: Shot,
               frame: int | None = None) -> Image.Image:
    """The picture for ``shot`` at the project's size: its take's frame or a placeholder."""
    paths = bundle if isinstance(bundle, BundlePaths) else BundlePaths(bundle)
    media, still = selected_media(paths, shot)
    width, height = project.width, project.height
    if media is None:
        return placeholder(shot, width, height)
    if still:
        with Image.open(media) as opened:
            image = opened.convert("RGB")
    else:
        at = shot.duration // 2 if frame is None else min(max(frame, 0), shot.duration - 1)
        image = _video_frame(media, at / project.fps)
        if image is None:
            return placeholder(shot, width, height)
    if image.size != (width, height):
        image = _fit(image, width, height)
    return image


def _video_frame(media: Path, seconds: float) -> Image.Image | None:
    """The frame shown at ``seconds``; past the end of the clip, its last frame (a hold)."""
    try:
        info = probe(media)
    except FFmpegError:
        return None
    if info.duration is not None and info.fps:
        last = max(info.duration - 1.0 / info.fps, 0.0)
        seconds = min(seconds, last)
    for at in (seconds, 0.0):  # a seek past the last decodable frame gives nothing: try the first
        try:
            data = run_ffmpeg(["-ss", f"{at:.4f}", "-i", str(media), "-frames:v", "1",
                               "-f", "image2pipe", "-vcodec", "png", "-"], timeout=60, what="frame grab")
        except FFmpegError:
            continue
        if data:
            return Image.open(io.BytesIO(data)).convert("RGB")
    return None


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover ``width``x``height`` and centre-crop (how the animatic conforms a take)."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                           Image.Resampling.LANCZOS)
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


@dataclass(frozen=True)
class StillsReport:
    files: list[Path]
    placeholders: int


def export_stills(project: Project, bundle: Path | str, out_dir: Path | str,
                  frames: Mapping[str, int] | None = None,
                  progress: StillsProgress | None = None) -> StillsReport:
    """A PNG per shot, ``OUT/shot_3A.png``: stable names, so re-exports overwrite, not pile up."""
    out = Path(out_dir)
    paths = BundlePaths(bundle)
    names = stable_shot_names(project)
    files: list[Path] = []
    placeholders = 0
    shots = project.all_shots()
    if progress is not None:  # may raise Cancelled: before anything is written
        progress(0, len(shots), "starting")
    out.mkdir(parents=True, exist_ok=True)
    for done, shot in enumerate(shots):
        if progress is not None:
            progress(done, len(shots), f"shot {shot.number}")
        if selected_media(paths, shot)[0] is None:
            placeholders += 1
        image = shot_frame(project, paths, shot, (frames or {}).get(shot.id))
        target = out / f"{names[shot.id]}.png"
        image.save(target)
        files.append(target)
    if progress is not None:
        progress(len(shots), len(shots), "done")
    return StillsReport(files, placeholders)


def contact_sheet(project: Project, bundle: Path | str, output: Path | str, *, columns: int = 4,
                  thumb_width: int = 320, frames: Mapping[str, int] | None = None,
                  progress: StillsProgress | None = None) -> Path:
    """One PNG of the whole sequence: a grid of frames, each labelled with number and duration."""
    paths = BundlePaths(bundle)
    shots = project.all_shots()
    columns = max(1, min(columns, max(len(shots), 1)))
    thumb_height = max(1, round(thumb_width * project.height / project.width))
    pad, label_h, header_h = 12, 22, 40
    rows = max(1, -(-len(shots) // columns))
    sheet = Image.new("RGB", (pad + columns * (thumb_width + pad),
                              header_h + pad + rows * (thumb_height + label_h + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    total = format_duration(project.total_frames, project.fps)
    draw.text((pad, header_h / 2), f"{project.title} — {len(shots)} shots, {total}", fill="black",
              font=font(18, bold=True), anchor="lm")
    label_font = font(13)
    for i, shot in enumerate(shots):
        if progress is not None:
            progress(i, len(shots), f"shot {shot.number}")
        row, col = divmod(i, columns)
        x = pad + col * (thumb_width + pad)
        y = header_h + pad + row * (thumb_height + label_h + pad)
        image = shot_frame(project, paths, shot, (frames or {}).get(shot.id))
        sheet.paste(image.resize((thumb_width, thumb_height), Image.Resampling.LANCZOS), (x, y))
        draw.rectangle((x, y, x + thumb_width - 1, y + thumb_height - 1), outline=(120, 120, 120))
        label = f"{shot.number or shot.id}   {format_duration(shot.duration, project.fps)}   {shot.size.value}"
        draw.text((x, y + thumb_height + 4), label, fill="black", font=label_font)
    if progress is not None:
        progress(len(shots), len(shots), "done")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output)
    return output
