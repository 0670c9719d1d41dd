"""The shot inspector: every field of the selected shot, each edit one undoable command.

Text fields send a command per keystroke with a merge key, so the model's history folds typing
into one undo step per pause. The form is refreshed from the model after every change (the
session's single notification), never patched by hand.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QStringListModel, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..media.imports import MediaImportError, import_media
from ..model import (
    CameraMove,
    DialogueLine,
    Ref,
    SetField,
    ShotSize,
    Transition,
    TransitionKind,
    new_id,
)
from ..model.commands import InsertLine, MoveLine, RemoveLine, set_shot
from .session import ProjectSession

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".aac"}


class PromptEdit(QPlainTextEdit):
    """Multi-line prompt with ``@`` completion of character names."""

    def __init__(self, names: callable, parent: QWidget | None = None):  # type: ignore[valid-type]
        super().__init__(parent)
        self._names = names
        self.completer = QCompleter(self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseInsensitive)
        self.completer.activated.connect(self._insert_completion)
        self.setTabChangesFocus(True)

    def _word_before_cursor(self) -> str:
        cursor = self.textCursor()
        text = self.toPlainText()[: cursor.position()]
        at = text.rfind("@")
        return text[at + 1 :] if at >= 0 and " " not in text[at + 1 :] else ""

    def _insert_completion(self, name: str) -> None:
        cursor = self.textCursor()
        typed = self._word_before_cursor()
        cursor.movePosition(QTextCursor.Left, QTextCursor.KeepAnchor, len(typed) + 1)
        cursor.insertText(name)
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        popup = self.completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key_Enter, Qt.Key_Return, Qt.Key_Escape, Qt.Key_Tab):
            event.ignore()
            return
        super().keyPressEvent(event)
        text = self.toPlainText()[: self.textCursor().position()]
        if "@" in text and " " not in text[text.rfind("@") + 1 :]:
            self.completer.setModel(QStringListModel(self._names(), self.completer))
            self.completer.setCompletionPrefix(self._word_before_cursor())
            rect = self.cursorRect()
            rect.setWidth(200)
            self.completer.complete(rect)
        else:
            popup.hide()


class DurationSpinBox(QSpinBox):
    """Frames, shown as seconds:frames ("3:12"); typing either "84" or "3:12" works."""

    def __init__(self, fps: callable, parent: QWidget | None = None):  # type: ignore[valid-type]
        super().__init__(parent)
        self._fps = fps
        self.setRange(1, 24 * 60 * 60 * 10)

    def textFromValue(self, value: int) -> str:  # noqa: N802
        seconds, frames = divmod(value, self._fps())
        return f"{seconds}:{frames:02d}"

    def valueFromText(self, text: str) -> int:  # noqa: N802
        text = text.strip()
        if ":" in text:
            seconds, _, frames = text.partition(":")
            return int(seconds or 0) * self._fps() + int(frames or 0)
        return int(text or 0)

    def validate(self, text: str, pos: int):  # noqa: ANN201
        from PySide6.QtGui import QValidator

        body = text.strip()
        ok = body.replace(":", "", 1).isdigit() if body else False
        return (QValidator.Acceptable if ok else QValidator.Intermediate, text, pos)


class ShotInspector(QScrollArea):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.shot_id: str | None = None
        self.setWidgetResizable(True)
        body = QWidget()
        self.setWidget(body)
        form = QFormLayout(body)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.header = QLabel("No shot selected")
        self.header.setObjectName("inspectorHeader")
        form.addRow(self.header)

        self.number = QLineEdit()
        self.title = QLineEdit()
        names = lambda: [c.name for c in self.session.project.characters]  # noqa: E731
        self.prompt = PromptEdit(names)
        self.prompt.setPlaceholderText("What the camera sees. Type @ to name a character.")
        self.negative = QPlainTextEdit()
        self.negative.setMaximumHeight(54)
        self.size_combo = QComboBox()
        self.size_combo.addItems([s.value for s in ShotSize])
        self.move_combo = QComboBox()
        self.move_combo.addItems([m.value.replace("_", " ") for m in CameraMove])
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0, 1)
        self.strength.setSingleStep(0.1)
        self.duration = DurationSpinBox(lambda: self.session.project.fps)
        self.duration.setToolTip("seconds:frames — type 3:12 or a number of frames")
        self.duration_label = QLabel()
        self.characters = QListWidget()
        self.characters.setMinimumHeight(72)
        self.characters.setMaximumHeight(96)
        self.transition = QComboBox()
        self.transition.addItems([t.value.replace("_", " ") for t in TransitionKind])
        self.transition_frames = QSpinBox()
        self.transition_frames.setRange(0, 240)
        self.style_combo = QComboBox()
        self.seed_lock = QCheckBox("lock seed")
        self.seed = QDoubleSpinBox()  # QSpinBox is 32-bit signed; seeds use the full unsigned range
        self.seed.setDecimals(0)
        self.seed.setRange(0, 2**32 - 1)
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(60)

        duration_row = QHBoxLayout()
        duration_row.addWidget(self.duration)
        duration_row.addWidget(self.duration_label)
        transition_row = QHBoxLayout()
        transition_row.addWidget(self.transition)
        transition_row.addWidget(self.transition_frames)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(self.seed)
        move_row = QHBoxLayout()
        move_row.addWidget(self.move_combo, 2)
        move_row.addWidget(self.strength, 1)
        for label, widget in (("Number", self.number), ("Title", self.title), ("Prompt", self.prompt),
                              ("Negative", self.negative), ("Shot size", self.size_combo)):
            form.addRow(label, widget)
        form.addRow("Camera move", move_row)
        form.addRow("Duration", duration_row)
        form.addRow("Characters", self.characters)
        form.addRow("Transition in", transition_row)
        form.addRow("Style", self.style_combo)
        form.addRow("Seed", seed_row)
        form.addRow("Notes", self.notes)
        form.addRow(self._dialogue_box())

        self.number.textEdited.connect(lambda t: self._set("number", t, merge=True))
        self.title.textEdited.connect(lambda t: self._set("title", t, merge=True))
        self.prompt.textChanged.connect(lambda: self._set_text("prompt", self.prompt))
        self.negative.textChanged.connect(lambda: self._set_text("negative_prompt", self.negative))
        self.notes.textChanged.connect(lambda: self._set_text("notes", self.notes))
        self.size_combo.activated.connect(lambda i: self._set("size", list(ShotSize)[i]))
        self.move_combo.activated.connect(lambda i: self._set("camera_move", list(CameraMove)[i]))
        self.strength.valueChanged.connect(lambda v: self._set("camera_strength", round(v, 3), merge=True))
        self.duration.valueChanged.connect(lambda v: self._set("duration", v, merge=True))
        self.characters.itemChanged.connect(self._cast_changed)
        self.transition.activated.connect(lambda _i: self._transition_changed())
        self.transition_frames.valueChanged.connect(lambda _v: self._transition_changed())
        self.style_combo.activated.connect(self._style_changed)
        self.seed_lock.toggled.connect(self._seed_lock_changed)
        self.seed.valueChanged.connect(
            lambda v: self._set("seed", int(v), merge=True) if self.seed_lock.isChecked() else None)

        session.selection_changed.connect(lambda ids: self.show_shot(ids[-1] if ids else None))
        session.changed.connect(lambda _what: self.refresh())
        self.show_shot(None)

    # --- dialogue table ---
    def _dialogue_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(QLabel("Dialogue"))
        self.lines = QTableWidget(0, 3)
        self.lines.setHorizontalHeaderLabels(["Speaker", "Line", "Audio"])
        self.lines.horizontalHeader().setStretchLastSection(False)
        self.lines.horizontalHeader().setSectionResizeMode(1, self.lines.horizontalHeader().ResizeMode.Stretch)
        self.lines.verticalHeader().setVisible(False)
        self.lines.setMinimumHeight(110)
        self.lines.setAcceptDrops(True)
        self.lines.viewport().setAcceptDrops(True)
        self.lines.dragEnterEvent = self._drag_enter  # type: ignore[method-assign]
        self.lines.dragMoveEvent = self._drag_enter  # type: ignore[method-assign]
        self.lines.dropEvent = self._drop_audio  # type: ignore[method-assign]
        self.lines.itemChanged.connect(self._line_text_changed)
        layout.addWidget(self.lines)
        buttons = QHBoxLayout()
        for text, slot in (("Add line", self.add_line), ("Remove", self.remove_line), ("Up", lambda: self.move_line(-1)),
                           ("Down", lambda: self.move_line(1)), ("Attach audio…", self.attach_audio_dialog)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        return box

    # --- showing ---
    def show_shot(self, shot_id: str | None) -> None:
        self.shot_id = shot_id
        self.refresh()

    def refresh(self) -> None:
        project = self.session.project
        try:
            shot = project.shot(self.shot_id) if self.shot_id else None
        except KeyError:
            shot = None
        widget = self.widget()
        widget.setEnabled(shot is not None)
        if shot is None:
            self.header.setText("No shot selected")
            return
        blockers = [QSignalBlocker(w) for w in (
            self.number, self.title, self.prompt, self.negative, self.notes, self.size_combo, self.move_combo,
            self.strength, self.duration, self.characters, self.transition, self.transition_frames,
            self.style_combo, self.seed_lock, self.seed, self.lines)]
        self.header.setText(f"Shot {shot.number}  ·  {len(shot.takes)} take(s)")
        _set_line(self.number, shot.number)
        _set_line(self.title, shot.title)
        _set_plain(self.prompt, shot.prompt)
        _set_plain(self.negative, shot.negative_prompt)
        _set_plain(self.notes, shot.notes)
        self.size_combo.setCurrentIndex(list(ShotSize).index(shot.size))
        self.move_combo.setCurrentIndex(list(CameraMove).index(shot.camera_move))
        self.strength.setValue(shot.camera_strength)
        self.duration.setValue(shot.duration)
        self.duration_label.setText(f"{shot.duration} frames")
        self.characters.clear()
        for ch in project.characters:
            item = QListWidgetItem(ch.name)
            item.setData(Qt.UserRole, ch.id)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if ch.id in shot.characters else Qt.Unchecked)
            self.characters.addItem(item)
        self.transition.setCurrentIndex(list(TransitionKind).index(shot.transition_in.kind))
        self.transition_frames.setValue(shot.transition_in.frames)
        self.transition_frames.setEnabled(shot.transition_in.kind != TransitionKind.CUT)
        self.style_combo.clear()
        self.style_combo.addItem("(project style)", None)
        for st in project.styles:
            self.style_combo.addItem(st.name, st.id)
        self.style_combo.setCurrentIndex(max(self.style_combo.findData(shot.style_id), 0))
        self.seed_lock.setChecked(shot.seed_locked)
        self.seed.setValue(shot.seed if shot.seed_locked else _derived_seed(project, shot))
        self.seed.setEnabled(shot.seed_locked)
        names = {c.id: c.name for c in project.characters}
        self.lines.setRowCount(len(shot.dialogue))
        for row, line in enumerate(shot.dialogue):
            speaker = QComboBox()
            speaker.addItem("(narrator)", "")
            for ch in project.characters:
                speaker.addItem(ch.name, ch.id)
            speaker.setCurrentIndex(max(speaker.findData(line.speaker), 0))
            speaker.activated.connect(lambda _i, r=row, w=speaker: self._speaker_changed(r, w.currentData()))
            self.lines.setCellWidget(row, 0, speaker)
            text = QTableWidgetItem(line.text)
            text.setData(Qt.UserRole, line.id)
            self.lines.setItem(row, 1, text)
            audio = QTableWidgetItem(Path(line.audio).name if line.audio else "TTS")
            audio.setFlags(audio.flags() & ~Qt.ItemIsEditable)
            audio.setToolTip(line.audio or f"temp voiceover ({names.get(line.speaker, 'narrator')})")
            self.lines.setItem(row, 2, audio)
        del blockers

    # --- edits ---
    def _set(self, field: str, value, merge: bool = False) -> None:  # noqa: ANN001
        if self.shot_id is None:
            return
        key = f"{self.shot_id}:{field}" if merge else None
        self.session.apply(set_shot(self.shot_id, field, value, f"Set {field.replace('_', ' ')}"), key)

    def _set_text(self, field: str, widget: QPlainTextEdit) -> None:
        if self.shot_id is None:
            return
        shot = self.session.project.shot(self.shot_id)
        if getattr(shot, field) != widget.toPlainText():
            self._set(field, widget.toPlainText(), merge=True)

    def _cast_changed(self, _item: QListWidgetItem) -> None:
        cast = [self.characters.item(i).data(Qt.UserRole) for i in range(self.characters.count())
                if self.characters.item(i).checkState() == Qt.Checked]
        self._set("characters", cast)

    def _transition_changed(self) -> None:
        kind = list(TransitionKind)[self.transition.currentIndex()]
        frames = 0 if kind == TransitionKind.CUT else max(self.transition_frames.value(), 1)
        if self.shot_id is not None:
            duration = self.session.project.shot(self.shot_id).duration
            self._set("transition_in", Transition(kind, min(frames, duration)))

    def _style_changed(self, index: int) -> None:
        self._set("style_id", self.style_combo.itemData(index))

    def _seed_lock_changed(self, locked: bool) -> None:
        if self.shot_id is None:
            return
        from ..model.commands import Compound

        shot = self.session.project.shot(self.shot_id)
        seed = _derived_seed(self.session.project, shot)
        commands = [set_shot(self.shot_id, "seed_locked", locked)]
        if locked:
            commands.append(set_shot(self.shot_id, "seed", seed))
        self.session.apply(Compound(commands, "Lock seed" if locked else "Unlock seed"))

    def _line_ref(self, row: int) -> str | None:
        item = self.lines.item(row, 1)
        return item.data(Qt.UserRole) if item is not None else None

    def _line_text_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 1 or self.shot_id is None:
            return
        line_id = item.data(Qt.UserRole)
        self.session.apply(SetField(Ref("line", (self.shot_id, line_id)), "text", item.text(), "Edit dialogue"),
                           f"{self.shot_id}:{line_id}:text")

    def _speaker_changed(self, row: int, speaker: str) -> None:
        line_id = self._line_ref(row)
        if line_id and self.shot_id:
            self.session.apply(SetField(Ref("line", (self.shot_id, line_id)), "speaker", speaker, "Set speaker"))

    def add_line(self) -> None:
        if self.shot_id is None:
            return
        shot = self.session.project.shot(self.shot_id)
        speaker = shot.characters[0] if shot.characters else ""
        line = DialogueLine(new_id("line"), speaker, "New line")
        self.session.apply(InsertLine(self.shot_id, len(shot.dialogue), line))

    def remove_line(self) -> None:
        line_id = self._line_ref(self.lines.currentRow())
        if line_id and self.shot_id:
            self.session.apply(RemoveLine(self.shot_id, line_id))

    def move_line(self, step: int) -> None:
        row = self.lines.currentRow()
        line_id = self._line_ref(row)
        if line_id and self.shot_id and 0 <= row + step < self.lines.rowCount():
            self.session.apply(MoveLine(self.shot_id, line_id, row + step))
            self.lines.setCurrentCell(row + step, 1)

    def attach_audio_dialog(self) -> None:
        row = self.lines.currentRow()
        if row < 0:
            self.session.message.emit("Select a dialogue line first")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Attach recorded line", "", "Audio (*.wav *.mp3 *.m4a *.flac)")
        if path:
            self.attach_audio(row, Path(path))

    def attach_audio(self, row: int, source: Path) -> bool:
        """Copy ``source`` into the bundle's media/audio/ and point the line at it (undoable)."""
        line_id = self._line_ref(row)
        bundle = self.session.document.bundle
        if not line_id or self.shot_id is None or bundle is None:
            self.session.message.emit("Save the project before attaching audio")
            return False
        if source.suffix.lower() not in AUDIO_SUFFIXES:
            self.session.message.emit(f"{source.name}: not an audio file (WAV, MP3, M4A, FLAC)")
            return False
        try:
            relative = import_media(bundle, source, "audio", "media/audio", stem=line_id)
        except MediaImportError as exc:
            self.session.message.emit(str(exc))
            return False
        return self.session.apply(SetField(Ref("line", (self.shot_id, line_id)), "audio", relative, "Attach audio"))

    def _drag_enter(self, event) -> None:  # noqa: ANN001
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def _drop_audio(self, event) -> None:  # noqa: ANN001
        row = self.lines.rowAt(event.position().toPoint().y())
        for url in event.mimeData().urls():
            if row >= 0 and self.attach_audio(row, Path(url.toLocalFile())):
                event.acceptProposedAction()
                return


def _derived_seed(project, shot) -> int:  # noqa: ANN001
    from ..generation.request import derive_seed

    return derive_seed(project, shot)


def _set_line(widget: QLineEdit, text: str) -> None:
    if widget.text() != text:
        widget.setText(text)


def _set_plain(widget: QPlainTextEdit, text: str) -> None:
    if widget.toPlainText() != text:
        cursor = widget.textCursor().position()
        widget.setPlainText(text)
        c = widget.textCursor()
        c.setPosition(min(cursor, len(text)))
        widget.setTextCursor(c)
