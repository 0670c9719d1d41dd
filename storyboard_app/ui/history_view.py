"""The undo history as a list: done steps, then (greyed) undone steps; click to jump."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from .session import ProjectSession


class HistoryView(QListWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        session.changed.connect(lambda _w: self.refresh())
        self.itemClicked.connect(self._jump)
        self.refresh()

    def refresh(self) -> None:
        done, undone = self.session.document.history.labels()
        with QSignalBlocker(self):
            self.clear()
            self.addItem(QListWidgetItem("(opened)"))
            for label in done:
                self.addItem(QListWidgetItem(label))
            for label in undone:
                item = QListWidgetItem(label)
                item.setForeground(QColor("#6b7080"))
                self.addItem(item)
            self.setCurrentRow(len(done))

    def _jump(self, item: QListWidgetItem) -> None:
        target = self.row(item)
        done = len(self.session.document.history.labels()[0])
        for _ in range(done - target):
            self.session.undo()
        for _ in range(target - done):
            self.session.redo()
