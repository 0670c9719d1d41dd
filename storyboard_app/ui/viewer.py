"""The viewer in the middle of the window: the selected shot's take (its first frame), or a
placeholder card. Playback of takes and of the whole animatic extends this widget."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from ..model.bundle import BundlePaths
from .overlay import BurnInOverlay
from .session import ProjectSession
from .thumbnails import ThumbnailCache

#: what an empty project shows: how to add the first shot (issue 13.17)
EMPTY_HINT = ("No shots yet\n\nInsert shot (Ctrl+I) or double-click the timeline\nto add the first shot, "
              "then describe it in the Shot panel")


class Viewer(QWidget):
    def __init__(self, session: ProjectSession, thumbnails: ThumbnailCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.thumbnails = thumbnails
        self.frame_image: QImage | None = None  # set by playback to show a decoded frame
        #: the export's burn-ins drawn over the picture (View > Burn-ins over the picture)
        self.overlay = BurnInOverlay()
        self.show_burnins = True
        session.playhead_changed.connect(self._model_changed)
        self.setMinimumSize(320, 180)
        self.setFocusPolicy(Qt.ClickFocus)  # click the picture, then arrows step frames/shots
        # bound methods, not lambdas: Qt drops the connection when this widget is deleted, so a
        # thumbnail decoded after the document changed never reaches a dead viewer (issue 13.6)
        session.selection_changed.connect(self._model_changed)
        session.changed.connect(self._model_changed)
        thumbnails.ready.connect(self._thumbnail_ready)

    def _model_changed(self, *_args: object) -> None:
        self.update()

    def _thumbnail_ready(self, _path: str) -> None:
        self.update()

    def detach(self) -> None:
        """Stop listening to the (window-wide) thumbnail cache before this viewer goes away."""
        with contextlib.suppress(RuntimeError, TypeError):
            self.thumbnails.ready.disconnect(self._thumbnail_ready)

    def current_image(self) -> QImage | None:
        if self.frame_image is not None:
            return self.frame_image
        shot = self.session.current_shot()
        if shot is None or shot.selected_take is None or not shot.selected_take.media_path:
            return None
        bundle = self.session.document.bundle
        if bundle is None:
            return None
        try:
            return self.thumbnails.get(str(BundlePaths(bundle).media_path(shot.selected_take.media_path)))
        except ValueError:
            return None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101216"))
        project = self.session.project
        aspect = project.width / project.height
        w = min(self.width() - 24, (self.height() - 24) * aspect)
        h = w / aspect
        frame = self.picture_rect(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h))
        image = self.current_image()
        if image is not None:
            painter.setRenderHint(QPainter.SmoothPixmapTransform)
            painter.drawImage(frame, image, QRectF(image.rect()))
        else:
            painter.fillRect(frame, QColor("#22252d"))
            painter.setPen(QColor("#8a90a2"))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() + 3)
            painter.setFont(font)
            shot = self.session.current_shot()
            if not self.session.project.all_shots():
                text = EMPTY_HINT
            elif shot is None:
                text = "Select a shot"
            elif shot.selected_take is None:
                text = f"Shot {shot.number}\nno take yet — generate it"
            else:
                text = f"Shot {shot.number}\nloading…"
            painter.drawText(frame, Qt.AlignCenter, text)
        if self.show_burnins and project.all_shots():
            self.overlay.paint(painter, frame, project, self.overlay_frame())
        painter.end()

    def set_burnins(self, on: bool) -> None:
        """Show or hide the burn-ins over the picture (View > Burn-ins over the picture)."""
        self.show_burnins = on
        if not on:
            self.overlay.clear()  # nothing to keep while they are off
        self.update()

    @staticmethod
    def picture_rect(frame: QRectF) -> QRectF:
        """``frame`` snapped to whole pixels: the burn-in layer is built at the picture's pixel
        size and drawn 1:1, so text is not resampled a second time."""
        return QRectF(round(frame.x()), round(frame.y()), round(frame.width()), round(frame.height()))

    def overlay_frame(self) -> int:
        """The project frame the burn-ins describe: the playhead while it is inside the shot
        shown (playback, scrubbing), else the first frame of the selected shot, so the label
        never names another shot than the picture."""
        playhead = self.session.playhead
        shot = self.session.current_shot()
        if self.frame_image is not None or shot is None:
            return playhead
        start = 0
        for other in self.session.project.all_shots():
            if other.id == shot.id:
                return playhead if start <= playhead < start + shot.duration else start
            start += other.duration
        return playhead
