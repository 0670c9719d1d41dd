"""The undo history as a list: done steps, then (greyed) undone steps; click to jump."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from .session import ProjectSession


class HistoryView(QListWidget):
    """Follows every edit, so it does as little as it can: refreshes are coalesced to one per
    event-loop turn, skipped while the view is not on screen (by default it is a tab behind
    Styles, which Qt moves off screen rather than hiding; it catches up on its next paint), and
    touch only the rows whose label or state changed (the history holds up to 500 steps)."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._shown: list[tuple[str, bool]] = []  # (label, undone) per row, as displayed
        self._stale = True
        self._pending = False
        session.changed.connect(lambda _w: self._schedule())
        self.itemClicked.connect(self._jump)
        self.refresh()

    def _schedule(self) -> None:
        self._stale = True
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        self._pending = False
        if self._stale and not self.visibleRegion().isEmpty():
            self.refresh()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Paint and self._stale and not self._pending:
            self._pending = True  # just came on screen with old rows: catch up right after
            QTimer.singleShot(0, self, self._refresh_if_shown)
        return super().viewportEvent(event)

    def refresh(self) -> None:
        """Show the history now."""
        self._stale = False
        done, undone = self.session.document.history.labels()
        wanted = [("(opened)", False)] + [(label, False) for label in done] + [(label, True) for label in undone]
        with QSignalBlocker(self):
            while len(self._shown) > len(wanted):
                self.takeItem(len(self._shown) - 1)  # the taken item is dropped with its last reference
                self._shown.pop()
            grey, normal = QColor("#6b7080"), self.palette().text().color()
            for row, (label, greyed) in enumerate(wanted):
                if row < len(self._shown) and self._shown[row] == (label, greyed):
                    continue
                if row < len(self._shown):
                    item = self.item(row)
                    item.setText(label)
                    self._shown[row] = (label, greyed)
                else:
                    item = QListWidgetItem(label)
                    self.addItem(item)
                    self._shown.append((label, greyed))
                item.setForeground(grey if greyed else normal)
            if self.currentRow() != len(done):
                self.setCurrentRow(len(done))

    def _jump(self, item: QListWidgetItem) -> None:
        target = self.row(item)
        done = len(self.session.document.history.labels()[0])
        for _ in range(done - target):
            self.session.undo()
        for _ in range(target - done):
            self.session.redo()
