"""The undo history as a list: done steps, then (greyed) undone steps; click to jump."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from .session import ProjectSession

GREYED = Qt.UserRole + 1  # an undone step


class HistoryView(QListWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        session.changed.connect(lambda _w: self.refresh())
        self.itemClicked.connect(self._jump)
        self.refresh()

    def refresh(self) -> None:
        """Update the rows in place: only rows whose label or state changed are touched, so a
        long session (one refresh per edit, up to the history's 500 steps) stays cheap."""
        done, undone = self.session.document.history.labels()
        wanted = [("(opened)", False)] + [(label, False) for label in done] + [(label, True) for label in undone]
        with QSignalBlocker(self):
            while self.count() > len(wanted):
                self.takeItem(self.count() - 1)  # takeItem returns it; Python drops the last ref
            for row, (label, greyed) in enumerate(wanted):
                item = self.item(row)
                if item is None:
                    item = QListWidgetItem()
                    self.addItem(item)
                if item.text() != label:
                    item.setText(label)
                if item.data(GREYED) != greyed:
                    item.setData(GREYED, greyed)
                    item.setForeground(QColor("#6b7080") if greyed else self.palette().text().color())
            self.setCurrentRow(len(done))

    def _jump(self, item: QListWidgetItem) -> None:
        target = self.row(item)
        done = len(self.session.document.history.labels()[0])
        for _ in range(done - target):
            self.session.undo()
        for _ in range(target - done):
            self.session.redo()
