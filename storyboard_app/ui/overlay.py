"""The preview player's burn-ins: the exporter's own overlay (``render.burnins``), drawn over
whatever picture the viewer shows, so a preview reads exactly like the export (issue 13.12).

Same layout, same pixels. The layer is built by the functions ``render.burnins.shot_overlay``
is made of (``layout_burnins`` for the label, timecode box, PREVIZ label, caption and subtitles;
``overlay_image`` to compose them; the timecode glyph atlas), split in two so that a paint stays
cheap: the boxes, which change only when the shot, its texts or the playing lines change, are
one cached premultiplied QImage; the timecode, which ticks every frame, is 11 cached glyph
images blitted where the layout reserved its box. At the project's size the result equals
``shot_overlay`` pixel for pixel (tests/ui/test_overlay_and_export_result.py compares them).

Resolution: the layer is laid out at the project's frame size and scaled down to the picture
(smoothly, once per size), so text wraps at the same words as in the export and reads at the
export's proportions. When the viewer's picture is larger than the project frame (a small
project in a big window), the layer is laid out at the picture's size instead of being blown up:
the fonts scale with the frame height, so the zones and proportions are the same and the text
stays sharp; only a wrap point may fall one word differently.

Subtitle timing: the preview uses the dialogue estimate (``voice.estimate``), which answers while
the director types; the export uses the voiced lengths (``VoiceService.plan``). The estimate errs
long by design, so a subtitle may linger a few frames longer in the preview than in the export.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from ..model import Project, Shot, frames_to_timecode
from ..render.burnins import (
    BurnIns,
    Sizes,
    layout_burnins,
    overlay_image,
    shot_caption,
    shot_label,
    subtitles_at,
    timecode_glyphs,
    timecode_metrics,
)
from ..voice.estimate import estimate_line_frames
from ..voice.timing import line_offsets

#: what the preview shows: everything the export burns into a shot (the slate is not a shot)
PREVIEW_BURNINS = BurnIns(slate=False)
NARRATOR = "Narrator"  # the speaker name of an unassigned line, as in voice.service


@dataclass(frozen=True)
class EstimatedLine:
    """A dialogue line placed in its shot by the estimate; the fields ``subtitles_at`` reads."""

    speaker_name: str
    text: str
    offset_frames: int
    duration_frames: int


def estimated_lines(project: Project, shot: Shot) -> list[EstimatedLine]:
    """The shot's spoken lines where the estimate puts them (same lead/gap as the export)."""
    spoken, lengths = [], []
    for line in shot.dialogue:
        if not line.text.strip():
            continue
        name, rate = NARRATOR, 1.0
        if line.speaker:
            try:
                character = project.character(line.speaker)
                name, rate = character.name, character.voice.rate
            except KeyError:
                name = line.speaker
        spoken.append((name, line.text))
        lengths.append(estimate_line_frames(line.text, project.frame_rate, rate))
    offsets = line_offsets(lengths, project.render.dialogue_lead_frames, project.render.dialogue_gap_frames)
    return [EstimatedLine(name, text, offset, length)
            for (name, text), offset, length in zip(spoken, offsets, lengths, strict=True)]


@dataclass(frozen=True)
class ShotFrame:
    """Where a project frame falls: the shot, its index in the film, its scene, frames into it."""

    shot: Shot
    index: int
    scene: str
    local: int
    start: int


def shot_frame(project: Project, frame: int) -> ShotFrame | None:
    start = index = 0
    for seq in project.sequences:
        for shot in seq.shots:
            if start <= frame < start + shot.duration:
                return ShotFrame(shot, index, seq.name, frame - start, start)
            start += shot.duration
            index += 1
    return None


def pil_to_qimage(image: Image.Image) -> QImage:
    """An RGBA PIL image as a premultiplied QImage (the format QPainter blends fastest); copied,
    so the PIL buffer can go."""
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    data = rgba.tobytes()
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format_RGBA8888)
    return qimage.convertToFormat(QImage.Format_ARGB32_Premultiplied)


@dataclass(frozen=True)
class _Layer:
    image: QImage  # the boxes, at the target size
    timecode: tuple[float, float, float] | None  # right edge, top (target px), and the scale
    glyph_size: int  # the timecode font size at the layout size


class BurnInOverlay:
    """Paints the export's burn-ins for a project frame into a picture rectangle.

    Keeps the last few layers (keyed by the texts, the playing lines and the sizes, so an edit
    to a prompt or a scene name rebuilds exactly what changed) and the scaled timecode glyphs."""

    def __init__(self, burnins: BurnIns = PREVIEW_BURNINS, capacity: int = 12):
        self.burnins = burnins
        self.capacity = capacity
        self._layers: OrderedDict[tuple, _Layer] = OrderedDict()
        self._glyphs: dict[tuple[int, float], dict[str, QImage]] = {}
        self.builds = 0  # how many layers were built (tests and the paint benchmark read it)

    def clear(self) -> None:
        self._layers.clear()
        self._glyphs.clear()

    # --- what to draw ---
    @staticmethod
    def layout_size(project: Project, target_w: int, target_h: int) -> tuple[int, int]:
        """The size the layer is laid out at: the project's, unless the picture is larger."""
        if target_h > project.height:
            return target_w, target_h
        return project.width, project.height

    def texts(self, project: Project, frame: int) -> tuple[ShotFrame, str, str, tuple[str, ...]] | None:
        where = shot_frame(project, frame)
        if where is None:
            return None
        label = shot_label(where.shot, where.index, where.scene)
        subtitles = tuple(subtitles_at(estimated_lines(project, where.shot), where.local))
        return where, label, shot_caption(where.shot), subtitles

    def _layer(self, label: str, caption: str, subtitles: tuple[str, ...], layout: tuple[int, int],
               target: tuple[int, int]) -> _Layer:
        key = (label, caption, subtitles, layout, target, self.burnins)
        layer = self._layers.get(key)
        if layer is not None:
            self._layers.move_to_end(key)
            return layer
        w, h = layout
        blocks = layout_burnins(w, h, self.burnins, label=label, caption=caption, subtitles=subtitles)
        image = pil_to_qimage(overlay_image(w, h, blocks))  # the boxes; the timecode is drawn per frame
        scale = target[0] / w
        if target != layout:
            image = image.scaled(target[0], target[1], Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
        box = next((b.rect for b in blocks if b.zone == "timecode"), None)
        timecode = (box.right * scale, box.y * scale, scale) if box is not None else None
        layer = self._layers[key] = _Layer(image, timecode, Sizes.for_height(h).label)
        self.builds += 1
        while len(self._layers) > self.capacity:
            self._layers.popitem(last=False)
        return layer

    def _timecode_glyphs(self, size: int, scale: float) -> dict[str, QImage]:
        key = (size, round(scale, 4))
        glyphs = self._glyphs.get(key)
        if glyphs is None:
            glyphs = {}
            for char, image in timecode_glyphs(size).items():
                q = pil_to_qimage(image)
                if key[1] != 1.0:
                    q = q.scaled(max(round(q.width() * scale), 1), max(round(q.height() * scale), 1),
                                 Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
                glyphs[char] = q
            if len(self._glyphs) > 4:
                self._glyphs.clear()
            self._glyphs[key] = glyphs
        return glyphs

    # --- drawing ---
    def paint(self, painter: QPainter, picture: QRectF, project: Project, frame: int) -> bool:
        """Draw the burn-ins of project ``frame`` over ``picture`` (widget coordinates); False
        when the frame is in no shot (nothing drawn)."""
        found = self.texts(project, frame)
        if found is None:
            return False
        where, label, caption, subtitles = found
        ratio = 1.0
        with contextlib.suppress(AttributeError):
            ratio = painter.device().devicePixelRatioF()
        target = (max(round(picture.width() * ratio), 2), max(round(picture.height() * ratio), 2))
        layer = self._layer(label, caption, subtitles, self.layout_size(project, *target), target)
        painter.save()
        try:
            painter.setRenderHint(QPainter.SmoothPixmapTransform)
            # a layer is exactly the picture's size in device pixels: drawn without resampling
            painter.drawImage(QRectF(picture.topLeft(), picture.size()), layer.image, QRectF(layer.image.rect()))
            if layer.timecode is not None and self.burnins.timecode:
                right, top, scale = layer.timecode
                text = frames_to_timecode(where.start + where.local, project.fps)
                glyphs = self._timecode_glyphs(layer.glyph_size, scale)
                cell = timecode_metrics(layer.glyph_size)[0] * scale
                x0 = right - cell * len(text)
                for i, char in enumerate(text):
                    glyph = glyphs[char]
                    painter.drawImage(QRectF(picture.x() + (x0 + i * cell) / ratio, picture.y() + top / ratio,
                                             glyph.width() / ratio, glyph.height() / ratio),
                                      glyph, QRectF(glyph.rect()))
        finally:
            painter.restore()
        return True
