"""File > Import script… and dropped .fountain/.csv files: a preview of what the import will
create or change (counts and a table), then one undoable command on Apply."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..script import ImportPlan

_COLOURS = {"add": "#2e7d32", "add character": "#2e7d32", "update": "#b26a00", "update character": "#b26a00",
            "remove": "#c62828", "keep": "#777777"}


class ScriptImportDialog(QDialog):
    """Shows an ``ImportPlan``; ``accepted`` means apply it. Window-modal: the project cannot
    change under the preview while it is open."""

    def __init__(self, plan: ImportPlan, source: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(f"Import {source}")
        self.setWindowModality(Qt.WindowModal)
        layout = QVBoxLayout(self)
        self.summary = QLabel(plan.summary())
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.counts = QLabel(f"Scenes: {plan.scenes} · Shots: {plan.shots} · "
                             f"Characters: {len(plan.preview.characters) if plan.preview else 0} "
                             f"({plan.characters_added} new)")
        layout.addWidget(self.counts)
        self.table = QTableWidget(len(plan.changes), 4)
        self.table.setHorizontalHeaderLabels(["Change", "Scene", "Shot", "Text"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, change in enumerate(plan.changes):
            for col, text in enumerate((change.action, change.scene, change.number, change.text)):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setForeground(QBrush(QColor(_COLOURS.get(change.action, "#000000"))))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(820, 520)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The table as text (what a person reads), for tests and screenshots."""
        return [tuple(self.table.item(r, c).text() for c in range(4)) for r in range(self.table.rowCount())]
