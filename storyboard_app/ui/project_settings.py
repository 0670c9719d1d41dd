"""File > Project settings: title, frame rate, picture size, default generator and its settings.

Applied as ONE undoable step ("Project settings"); the model's validation runs on push, so a
value the loader would refuse (fps 0, an odd size) is refused here with a one-line message.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..model import Ref, SetField
from ..model.commands import Compound
from .session import ProjectSession


class ProjectSettingsDialog(QDialog):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        from ..generation.registry import generator_specs

        self.session = session
        project = session.project
        self.setWindowTitle("Project settings")
        self.title = QLineEdit(project.title)
        self.fps = QSpinBox()
        self.fps.setRange(1, 240)
        self.fps.setValue(project.fps)
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        for box, value in ((self.width_box, project.width), (self.height_box, project.height)):
            box.setRange(16, 8192)
            box.setSingleStep(2)
            box.setValue(value)
        self.generator = QComboBox()
        for generator_id in sorted(set(generator_specs()) | {project.generator}):
            self.generator.addItem(generator_id, generator_id)
        self.generator.setCurrentIndex(max(self.generator.findData(project.generator), 0))
        self.settings = QPlainTextEdit()
        self.settings.setPlaceholderText('{"steps": 20}')
        self.settings.setMaximumHeight(110)
        self.generator.currentIndexChanged.connect(lambda _i: self._show_settings())
        self._show_settings()
        self.error = QLabel()
        self.error.setStyleSheet("color: #e5484d")
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Frames per second", self.fps)
        form.addRow("Width (px)", self.width_box)
        form.addRow("Height (px)", self.height_box)
        form.addRow("Default generator", self.generator)
        form.addRow("Generator settings (JSON)", self.settings)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.apply_and_close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _show_settings(self) -> None:
        current = self.session.project.generator_settings.get(self.generator.currentData() or "", {})
        self.settings.setPlainText(json.dumps(current, indent=1) if current else "")

    def command(self) -> Compound | None:
        """The edit the dialog describes (None when nothing changed); raises ValueError on bad JSON."""
        project = self.session.project
        generator = self.generator.currentData()
        text = self.settings.toPlainText().strip()
        try:
            settings = json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"generator settings: not JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(settings, dict):
            raise ValueError("generator settings: must be a JSON object ({\"key\": value})")
        all_settings = dict(project.generator_settings)
        if settings:
            all_settings[generator] = settings
        else:
            all_settings.pop(generator, None)
        wanted = {"title": self.title.text().strip() or "Untitled", "fps": self.fps.value(),
                  "width": self.width_box.value(), "height": self.height_box.value(),
                  "generator": generator, "generator_settings": all_settings}
        parts = [SetField(Ref("project"), name, value) for name, value in wanted.items()
                 if getattr(project, name) != value]
        return Compound(parts, "Project settings") if parts else None

    def apply_and_close(self) -> bool:
        try:
            command = self.command()
        except ValueError as exc:
            self.error.setText(str(exc))
            return False
        if command is not None and not self.session.apply(command):
            self.error.setText("These settings were refused (see the status bar)")
            return False
        self.accept()
        return True
