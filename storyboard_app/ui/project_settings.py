"""File > Project settings: title, notes (logline), frame rate, picture size, default generator
and its settings, and the default voice (narrator lines; new characters start from it).

Applied as ONE undoable step ("Project settings"); the model's validation runs on push, so a
value the loader would refuse (fps 0, an odd size) is refused here with a one-line message.

The frame rate is a combo of the rates editors use (23.976, 24, 25, 29.97, 30, 50, 59.94, 60);
it is editable, so another whole rate (12 for animation on twos) can be typed. NTSC rates set
the timebase (24, 30, 60) and ``Project.ntsc``; timecode stays non-drop.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..model import Ref, SetField, VoiceSettings
from ..model.commands import Compound
from ..model.timecode import COMMON_RATES, parse_frame_rate, rate_label
from .session import ProjectSession


class ProjectSettingsDialog(QDialog):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        from ..generation.registry import generator_specs

        self.session = session
        project = session.project
        self.setWindowTitle("Project settings")
        self.title = QLineEdit(project.title)
        self.notes = QPlainTextEdit(project.notes)
        self.notes.setPlaceholderText("logline: one or two sentences (the pitch deck's title page shows it)")
        self.notes.setMaximumHeight(70)
        self.voice = QComboBox()
        for engine, voice_id in _installed_voices() | {(project.narrator_voice.engine, project.narrator_voice.voice)}:
            self.voice.addItem(f"{voice_id} ({engine})", (engine, voice_id))
        self.voice.setCurrentIndex(max(self.voice.findData(
            (project.narrator_voice.engine, project.narrator_voice.voice)), 0))
        self.voice_rate = QDoubleSpinBox()
        self.voice_rate.setRange(0.5, 2.0)
        self.voice_rate.setSingleStep(0.05)
        self.voice_rate.setValue(project.narrator_voice.rate)
        self.fps = QComboBox()
        self.fps.setEditable(True)
        self.fps.setInsertPolicy(QComboBox.NoInsert)
        self.fps.addItems([label for label, _fps, _ntsc in COMMON_RATES])
        self.fps.setCurrentText(rate_label(project.fps, project.ntsc))
        self.fps.setToolTip("23.976, 29.97 and 59.94 are NTSC rates (x1000/1001, non-drop timecode); "
                            "any whole rate 1..240 may be typed")
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
        form.addRow("Notes / logline", self.notes)
        form.addRow("Frame rate (fps)", self.fps)
        form.addRow("Width (px)", self.width_box)
        form.addRow("Height (px)", self.height_box)
        form.addRow("Default generator", self.generator)
        form.addRow("Generator settings (JSON)", self.settings)
        form.addRow("Default voice", self.voice)
        form.addRow("Default voice rate", self.voice_rate)
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
        try:
            fps, ntsc = parse_frame_rate(self.fps.currentText())
        except ValueError as exc:
            raise ValueError(f"frame rate: {exc}") from None
        engine, voice_id = self.voice.currentData()
        old_voice = project.narrator_voice
        voice = VoiceSettings(engine, voice_id, round(self.voice_rate.value(), 3), old_voice.pitch_semitones,
                              old_voice.volume_db)
        wanted = {"title": self.title.text().strip() or "Untitled", "notes": self.notes.toPlainText().strip(),
                  "fps": fps, "ntsc": ntsc, "width": self.width_box.value(), "height": self.height_box.value(),
                  "generator": generator, "generator_settings": all_settings, "narrator_voice": voice}
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


def _installed_voices() -> set[tuple[str, str]]:
    """(engine, voice id) of every voice installed here; listing does not load any model."""
    from ..voice.registry import engine_names, get_engine

    found: set[tuple[str, str]] = set()
    for name in engine_names():
        try:
            found |= {(name, info.id) for info in get_engine(name).voices()}
        except Exception:  # noqa: BLE001 - a broken engine plugin must not hide the dialog
            continue
    return found
