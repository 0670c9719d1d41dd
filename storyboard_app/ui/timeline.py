"""The timeline: shot cards in order, grouped by scene, width proportional to duration.

One painted widget (not a widget per card), laid out from the model after every change and
painting only the cards inside the exposed rectangle, so 1000 shots scroll smoothly. Edits made
here (reorder, resize, insert, duplicate, split, delete) are model commands through the session.
"""

from __future__ import annotations

import bisect
import contextlib
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget

from ..model import Project, Shot, TakeStatus, format_duration
from ..model.bundle import BundlePaths
from ..model.commands import MoveShot, RemoveShot, add_shot, duplicate_shot, set_shot, split_shot
from ..voice.estimate import estimate_shot_timing
from .session import ProjectSession
from .thumbnails import ThumbnailCache
from .timefmt import time_display

RULER_H = 22
SCENE_H = 20
CARD_TOP = RULER_H + SCENE_H + 4
CARD_H = 118
SCENE_GAP = 14
CARD_GAP = 3
EDGE = 6  # px near a card's right edge that resize it
MIN_CARD_W = 36

BADGE_COLOURS = {
    "none": QColor("#5b6070"),
    "queued": QColor("#8a7cff"),
    "rendering": QColor("#f0a020"),
    "done": QColor("#3fb970"),
    "failed": QColor("#e5484d"),
    "cancelled": QColor("#888888"),
}


@dataclass
class CardLayout:
    shot_id: str
    sequence_id: str
    index: int  # index within its sequence
    order: int  # index in the whole timeline
    x: int
    w: int
    start_frame: int
    frames: int


@dataclass
class SceneLayout:
    sequence_id: str
    name: str
    x0: int
    x1: int


def dialogue_signature(project: Project, shot: Shot) -> tuple:
    """What an exact voiceover measurement depends on: per line its text, recording and the
    speaker's voice settings (a faster rate makes a shorter line), plus the lead and gap."""
    voices = {c.id: repr(c.voice) for c in project.characters}
    lines = tuple((line.text, line.audio, voices.get(line.speaker, "")) for line in shot.dialogue)
    return lines, project.render.dialogue_lead_frames, project.render.dialogue_gap_frames


class TimelineCanvas(QWidget):
    """The painted strip inside the scroll area."""

    request_scroll_to = Signal(int)  # x

    def __init__(self, session: ProjectSession, thumbnails: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.thumbnails = thumbnails
        self.px_per_frame = 1.6
        self.cards: list[CardLayout] = []
        self.scenes: list[SceneLayout] = []
        self._media_files: dict[tuple[str, str], str | None] = {}  # (bundle, take path) → checked file
        self._xs: list[int] = []
        self._starts: list[int] = []
        self._shots: dict[str, Shot] = {}
        self._anchor: str | None = None
        self._press: QPoint | None = None
        self._press_card: CardLayout | None = None
        self._resizing: CardLayout | None = None
        self._resize_frames = 0
        self._dragging = False
        self._drop_x: int | None = None
        self._scrubbing = False
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
        self.setAcceptDrops(False)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        session.changed.connect(self.relayout)
        # bound methods, not lambdas: the connections die with the canvas (issue 13.6)
        session.selection_changed.connect(self._repaint)
        session.playhead_changed.connect(self._repaint)
        session.job_state_changed.connect(self._repaint)
        thumbnails.ready.connect(self._repaint)
        time_display().changed.connect(self._time_format_changed)
        self.relayout()

    def _repaint(self, *_args: object) -> None:
        self.update()

    def detach(self) -> None:
        """Stop listening to the window-wide thumbnail cache (called before a document change)."""
        with contextlib.suppress(RuntimeError, TypeError):
            self.thumbnails.ready.disconnect(self._repaint)

    def _time_format_changed(self, _mode: str) -> None:
        self.update()

    # --- layout ---
    def card_width(self, frames: int) -> int:
        return max(int(frames * self.px_per_frame), MIN_CARD_W)

    def relayout(self, *_args: object) -> None:
        self.cards, self.scenes = [], []
        x, frame, order = 8, 0, 0
        for seq in self.session.project.sequences:
            x0 = x
            for i, shot in enumerate(seq.shots):
                w = self.card_width(shot.duration)
                self.cards.append(CardLayout(shot.id, seq.id, i, order, x, w, frame, shot.duration))
                x += w + CARD_GAP
                frame += shot.duration
                order += 1
            x1 = max(x - CARD_GAP, x0 + 60)
            self.scenes.append(SceneLayout(seq.id, seq.name, x0, x1))
            x = x1 + SCENE_GAP
        self._xs = [c.x for c in self.cards]
        self._starts = [c.start_frame for c in self.cards]
        self._shots = {shot.id: shot for shot in self.session.project.all_shots()}
        self.setFixedSize(QSize(max(x + 40, 400), CARD_TOP + CARD_H + 10))
        self.update()

    def card_at(self, x: int) -> CardLayout | None:
        i = bisect.bisect_right(self._xs, x) - 1
        if 0 <= i < len(self.cards) and self.cards[i].x <= x < self.cards[i].x + self.cards[i].w:
            return self.cards[i]
        return None

    def card(self, shot_id: str) -> CardLayout | None:
        return next((c for c in self.cards if c.shot_id == shot_id), None)

    def frame_to_x(self, frame: int) -> float:
        """Timeline x of a project frame, accounting for card minimum widths and scene gaps."""
        if not self.cards:
            return 8
        i = max(bisect.bisect_right(self._starts, frame) - 1, 0)
        card = self.cards[i]
        if frame >= card.start_frame + card.frames:
            return card.x + card.w
        return card.x + (frame - card.start_frame) / max(card.frames, 1) * card.w

    def x_to_frame(self, x: int) -> int:
        if not self.cards:
            return 0
        i = max(bisect.bisect_right(self._xs, x) - 1, 0)
        card = self.cards[i]
        offset = min(max(x - card.x, 0), card.w)
        return card.start_frame + int(offset / card.w * card.frames)

    # --- painting ---
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        exposed: QRect = event.rect()
        painter.fillRect(exposed, QColor("#1b1d23"))
        self._paint_ruler(painter, exposed)
        paths = BundlePaths(self.session.document.bundle) if self.session.document.bundle else None
        selected = set(self.session.selection)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7))
        for scene in self.scenes:
            if scene.x1 < exposed.left() or scene.x0 > exposed.right():
                continue
            rect = QRectF(scene.x0, RULER_H + 2, scene.x1 - scene.x0, SCENE_H - 4)
            painter.fillRect(rect, QColor("#2a2e3a"))
            painter.setPen(QColor("#c9cedc"))
            painter.setFont(small)
            painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignVCenter | Qt.AlignLeft, scene.name)
        first = max(bisect.bisect_right(self._xs, exposed.left()) - 1, 0)
        for card in self.cards[first:]:
            if card.x > exposed.right():
                break
            shot = self._shots[card.shot_id]
            self._paint_card(painter, card, shot, card.shot_id in selected, paths, small)
        for card in self.cards[first:]:  # over the next cards: that is where the line would play
            if card.x > exposed.right():
                break
            self._paint_overflow(painter, card, self._shots[card.shot_id], small)
        if not self.cards:
            painter.setPen(QColor("#8a90a2"))
            painter.setFont(small)
            painter.drawText(QRectF(12, CARD_TOP, max(self.width() - 24, 300), CARD_H), Qt.AlignLeft | Qt.AlignVCenter,
                             "Double-click here or press Ctrl+I to add the first shot")
        if self._drop_x is not None:
            painter.setPen(QPen(QColor("#ffd35a"), 3))
            painter.drawLine(self._drop_x, CARD_TOP - 4, self._drop_x, CARD_TOP + CARD_H + 4)
        x = int(self.frame_to_x(self.session.playhead))
        painter.setPen(QPen(QColor("#ff5d5d"), 2))
        painter.drawLine(x, 0, x, self.height())
        painter.end()

    def _paint_ruler(self, painter: QPainter, exposed: QRect) -> None:
        painter.fillRect(QRect(exposed.left(), 0, exposed.width(), RULER_H), QColor("#23262e"))
        fps = self.session.project.fps
        step_seconds = 1
        while step_seconds * fps * self.px_per_frame < 90:  # room for "00:00:03:00" (hours shown)
            step_seconds *= 2
        painter.setPen(QColor("#8a90a2"))
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 2, 6.5))
        painter.setFont(font)
        step = step_seconds * fps
        first = max(self.x_to_frame(exposed.left() - 80) // step * step, 0)
        last = min(self.x_to_frame(exposed.right() + 10), self.session.project.total_frames)
        for frame in range(first, last + 1, step):  # only the ticks in the exposed strip
            x = int(self.frame_to_x(frame))
            painter.drawLine(x, RULER_H - 7, x, RULER_H)
            painter.drawText(x + 3, RULER_H - 8, time_display().position(frame, fps))

    def _paint_card(self, painter: QPainter, card: CardLayout, shot: Shot, selected: bool,
                    paths: BundlePaths | None, font: QFont) -> None:
        frames = self._resize_frames if self._resizing is card else card.frames
        w = self.card_width(frames) if self._resizing is card else card.w
        rect = QRectF(card.x, CARD_TOP, w, CARD_H)
        painter.setPen(QPen(QColor("#ffd35a") if selected else QColor("#3a3f4d"), 2 if selected else 1))
        painter.setBrush(QColor("#2d313c") if selected else QColor("#262a33"))
        painter.drawRoundedRect(rect, 5, 5)
        thumb_rect = QRectF(card.x + 3, CARD_TOP + 3, w - 6, min(CARD_H * 0.52, (w - 6) * 9 / 16))
        take = shot.selected_take
        image = None
        if take is not None and take.media_path and paths is not None:
            file = self._media_file(paths, take.media_path)
            image = self.thumbnails.get(file) if file else None
        if image is not None:
            painter.drawImage(thumb_rect, image, QRectF(image.rect()))
        else:
            painter.fillRect(thumb_rect, QColor("#1f2229"))
        painter.setFont(font)
        painter.setPen(QColor("#ffd35a"))
        text_top = thumb_rect.bottom() + 3
        painter.drawText(QRectF(card.x + 6, text_top, w - 10, 16), Qt.AlignLeft | Qt.AlignVCenter, shot.number or "?")
        painter.setPen(QColor("#d7dbe6"))
        painter.drawText(QRectF(card.x + 6, text_top + 15, w - 10, 16), Qt.AlignLeft | Qt.AlignVCenter,
                         shot.title or shot.prompt[:40])
        painter.setPen(QColor("#8a90a2"))
        fps = self.session.project.fps
        label = time_display().duration(frames, fps) + f"  {shot.size.value}"
        painter.drawText(QRectF(card.x + 6, text_top + 30, w - 10, 16), Qt.AlignLeft | Qt.AlignVCenter, label)
        state = self.badge_state(shot)
        painter.setBrush(BADGE_COLOURS.get(state, BADGE_COLOURS["none"]))
        painter.setPen(Qt.NoPen)
        painter.drawEllipse(QRectF(card.x + w - 14, CARD_TOP + CARD_H - 14, 9, 9))
        if shot.transition_in.kind.value != "cut":
            painter.setPen(QPen(QColor("#9fb4c7"), 1))
            painter.drawLine(int(card.x), CARD_TOP + CARD_H - 4, int(card.x + 10), CARD_TOP + 4)

    def _media_file(self, paths: BundlePaths, relative: str) -> str | None:
        """The checked absolute path of a take's file, resolved once per bundle and path: resolving
        (realpath syscalls per path component) on every card of every paint stalled the UI."""
        key = (str(paths.root), relative)
        if key not in self._media_files:
            try:
                self._media_files[key] = str(paths.media_path(relative))
            except ValueError:
                self._media_files[key] = None
        return self._media_files[key]

    def overflow_frames(self, shot: Shot) -> int:
        """Frames of dialogue past the shot's end: exact when a fit measured it, else estimated."""
        exact = self.session.exact_vo.get(shot.id) if hasattr(self.session, "exact_vo") else None
        if exact is not None and exact[0] == dialogue_signature(self.session.project, shot):
            return max(exact[1] - shot.duration, 0)
        return estimate_shot_timing(self.session.project, shot).excess_frames

    def _paint_overflow(self, painter: QPainter, card: CardLayout, shot: Shot, font: QFont) -> None:
        """Dialogue that does not fit: a red bar along the card's foot that reaches past its right
        edge by the overflow (into the next shot, which is where the line would play) and a
        "+1s 04f" note, so the director sees it while typing (issue 13.3)."""
        excess = self.overflow_frames(shot)
        if excess <= 0:
            return
        w = self.card_width(self._resize_frames) if self._resizing is card else card.w
        rect = QRectF(card.x, CARD_TOP, w, CARD_H)
        over_w = excess * self.px_per_frame
        bar = QRectF(rect.left() + 2, rect.bottom() - 5, rect.width() - 4 + over_w, 4)
        painter.fillRect(bar, QColor("#e5484d"))
        # the note sits on the foot of the thumbnail, on its own dark box, clear of the card's text
        thumb_bottom = CARD_TOP + 3 + min(CARD_H * 0.52, (w - 6) * 9 / 16)
        note = f"dialogue +{format_duration(excess, self.session.project.fps)}"
        painter.setFont(font)
        text_w = painter.fontMetrics().horizontalAdvance(note) + 8
        box = QRectF(rect.right() - 3 - min(text_w, w - 6), thumb_bottom - 16, min(text_w, w - 6), 15)
        painter.fillRect(box, QColor(20, 10, 12, 220))
        painter.setPen(QColor("#ff8a8d"))
        painter.drawText(box, Qt.AlignCenter, note)

    def badge_state(self, shot: Shot) -> str:
        state = self.session.job_states.get(shot.id)
        if state:
            return state
        take = shot.selected_take or (shot.takes[-1] if shot.takes else None)
        if take is None:
            return "none"
        return "done" if take.status == TakeStatus.DONE else take.status.value

    # --- mouse ---
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus()
        pos = event.position().toPoint()
        if pos.y() < RULER_H:
            self._scrubbing = True
            self.session.set_playhead(self.x_to_frame(pos.x()))
            return
        card = self.card_at(pos.x())
        self._press, self._press_card = pos, card
        if card is None:
            if not event.modifiers():
                self.session.select([])
            return
        if card.x + card.w - pos.x() <= EDGE and event.button() == Qt.LeftButton:
            self._resizing, self._resize_frames = card, card.frames
            return
        self._select_click(card, event.modifiers())
        self.session.set_playhead(card.start_frame)

    def _select_click(self, card: CardLayout, modifiers: Qt.KeyboardModifier) -> None:
        current = list(self.session.selection)
        if modifiers & Qt.ControlModifier:
            current = [s for s in current if s != card.shot_id] if card.shot_id in current else [*current, card.shot_id]
            self._anchor = card.shot_id
        elif modifiers & Qt.ShiftModifier and self._anchor and self.card(self._anchor):
            a, b = sorted((self.card(self._anchor).order, card.order))  # type: ignore[union-attr]
            current = [c.shot_id for c in self.cards[a : b + 1]]
        else:
            if card.shot_id not in current or len(current) == 1:
                current = [card.shot_id]
            self._anchor = card.shot_id
        self.session.select(current)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position().toPoint()
        if self._scrubbing:
            self.session.set_playhead(self.x_to_frame(pos.x()))
            return
        if self._resizing is not None:
            fps = self.session.project.fps
            dx = pos.x() - (self._press.x() if self._press is not None else pos.x())
            frames = max(self._resizing.frames + int(round(dx / self.px_per_frame)), 1)
            self._resize_frames = frames
            self.setToolTip(f"duration {time_display().duration(frames, fps)} ({frames} frames)")
            self.update()
            return
        if self._press is not None and self._press_card is not None:
            if (pos - self._press).manhattanLength() > 8:
                self._dragging = True
                self._drop_x = self._drop_position(pos.x())[2]
                self.update()
            return
        card = self.card_at(pos.x())
        near_edge = card is not None and card.x + card.w - pos.x() <= EDGE and pos.y() > CARD_TOP
        self.setCursor(Qt.SizeHorCursor if near_edge else Qt.ArrowCursor)

    def _drop_position(self, x: int) -> tuple[str, int, int]:
        """(sequence id, index, marker x) for dropping at ``x``."""
        for scene in self.scenes:
            if x <= scene.x1 + SCENE_GAP // 2:
                cards = [c for c in self.cards if c.sequence_id == scene.sequence_id]
                for c in cards:
                    if x < c.x + c.w / 2:
                        return scene.sequence_id, c.index, c.x - 2
                return scene.sequence_id, len(cards), (cards[-1].x + cards[-1].w + 1) if cards else scene.x0
        last = self.scenes[-1]
        cards = [c for c in self.cards if c.sequence_id == last.sequence_id]
        return last.sequence_id, len(cards), (cards[-1].x + cards[-1].w + 1) if cards else last.x0

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position().toPoint()
        if self._resizing is not None:
            card, frames = self._resizing, self._resize_frames
            self._resizing = None
            self.setToolTip("")
            if frames != card.frames:
                self.session.apply(set_shot(card.shot_id, "duration", frames, "Change duration"))
            self.update()
        elif self._dragging and self._press_card is not None:
            sequence_id, index, _ = self._drop_position(pos.x())
            self._move_selection(sequence_id, index)
        self._press = self._press_card = None
        self._dragging = self._scrubbing = False
        self._drop_x = None
        self.update()

    def _move_selection(self, sequence_id: str, index: int) -> None:
        from ..model.commands import Compound

        moving = [c for c in self.cards if c.shot_id in set(self.session.selection)] or (
            [self._press_card] if self._press_card else [])
        commands = []
        target_index = index
        for card in moving:  # removing earlier cards of the target scene shifts the index
            if card.sequence_id == sequence_id and card.index < index:
                target_index -= 1
        for offset, card in enumerate(moving):
            commands.append(MoveShot(card.shot_id, sequence_id, target_index + offset))
        label = "Move shot" if len(moving) == 1 else f"Move {len(moving)} shots"
        self.session.apply(Compound(commands, label) if len(commands) > 1 else commands[0])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.card_at(event.position().toPoint().x()) is None and event.position().y() > CARD_TOP:
            self.insert_shot()

    # --- keyboard and actions ---
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key_Left, Qt.Key_Right, Qt.Key_Home, Qt.Key_End) and self.cards:
            current = self.card(self.session.selection[-1]) if self.session.selection else None
            order = current.order if current else -1
            order = {Qt.Key_Left: order - 1, Qt.Key_Right: order + 1, Qt.Key_Home: 0,
                     Qt.Key_End: len(self.cards) - 1}[key]
            card = self.cards[max(0, min(order, len(self.cards) - 1))]
            self._select_click(card, event.modifiers() & Qt.ShiftModifier)
            self.session.set_playhead(card.start_frame)
            self.request_scroll_to.emit(card.x)
        elif key in (Qt.Key_Delete, Qt.Key_Backspace):
            self.delete_selected()
        elif key == Qt.Key_Plus or (key == Qt.Key_Equal and event.modifiers() & Qt.ControlModifier):
            self.zoom(1.25)
        elif key == Qt.Key_Minus:
            self.zoom(0.8)
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
        else:
            event.ignore()

    def zoom(self, factor: float) -> None:
        self.px_per_frame = min(max(self.px_per_frame * factor, 0.2), 12.0)
        self.relayout()

    def insert_shot(self) -> None:
        project = self.session.project
        if not project.sequences:
            return
        current = self.card(self.session.selection[-1]) if self.session.selection else None
        if current is not None:
            command = add_shot(project, current.sequence_id, current.index + 1, duration=3 * project.fps)
        else:
            command = add_shot(project, project.sequences[-1].id, duration=3 * project.fps)
        if self.session.apply(command):
            self.session.select([command.shot.id])

    def duplicate_selected(self) -> None:
        for shot_id in list(self.session.selection):
            command = duplicate_shot(self.session.project, shot_id)
            if self.session.apply(command):
                self.session.select([command.shot.id])

    def split_selected(self) -> None:
        if not self.session.selection:
            return
        card = self.card(self.session.selection[-1])
        if card is None:
            return
        at = self.session.playhead - card.start_frame
        if not 0 < at < card.frames:
            at = card.frames // 2
        self.session.apply(split_shot(self.session.project, card.shot_id, at))

    def delete_selected(self) -> None:
        from ..model.commands import Compound

        ids = list(self.session.selection)
        if not ids:
            return
        commands = [RemoveShot(i) for i in ids]
        self.session.apply(Compound(commands, "Delete shot" if len(ids) == 1 else f"Delete {len(ids)} shots"))


class TimelineView(QScrollArea):
    """The scroll area around the canvas (horizontal scroll, Ctrl+wheel to zoom)."""

    def __init__(self, session: ProjectSession, thumbnails: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = TimelineCanvas(session, thumbnails)
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumHeight(CARD_TOP + CARD_H + 30)
        self.canvas.request_scroll_to.connect(lambda x: self.ensureVisible(x, CARD_TOP, 60, 10))
