"""The shot inspector: every field of the selected shot, each edit one undoable command.

Text fields send a command per keystroke with a merge key, so the model's history folds typing
into one undo step per pause. The form is refreshed from the model after every change (the
session's single notification) by *updating* the widgets it already has: a refresh creates no
widget unless the shot gained a dialogue line, and a line that goes away takes its row with it
(``deleteLater``). Rebuilding per refresh leaked one speaker combo box per line per edit
(issue 12.1: 517 → 8307 live widgets after 2000 edits).

The form fits any dock from 320 px wide (labels go above their fields when a row is too narrow,
combo boxes shrink to their text); the prompt and every dialogue line grow with their text
instead of scrolling sideways. Durations are typed in any form ``model.timecode`` reads and are
parsed only on commit (Enter or leaving the field), never reformatted mid-keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QSignalBlocker, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..generation.prompt_tokens import prompt_check_for_shot
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
from ..model.timecode import ACCEPTED, TimeParseError, parse_duration, plural
from ..voice.estimate import estimate_shot_timing
from ..voice.timing import fit_shot_to_dialogue
from .session import ProjectSession
from .timefmt import time_display

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".aac"}
MAX_DURATION = 24 * 60 * 60 * 10


def _shrinkable(combo: QComboBox, chars: int = 6) -> QComboBox:
    """A combo box whose minimum width is a few characters, not its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
    return combo


class GrowingTextEdit(QPlainTextEdit):
    """Plain text that wraps and grows to show all of itself (never a scrollbar of its own)."""

    def __init__(self, min_lines: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self._min_lines = min_lines
        self.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        """Height for every wrapped line at the current width (measured, not lazily laid out)."""
        metrics = self.fontMetrics()
        width = max(self.viewport().width() - 2 * int(self.document().documentMargin()), 20)
        text = self.toPlainText() or " "
        wrapped = metrics.boundingRect(QRect(0, 0, width, 1 << 20), Qt.TextWordWrap | Qt.TextWrapAnywhere,
                                       text.replace("\t", "    ")).height()
        lines = max(round(wrapped / metrics.lineSpacing()), text.count("\n") + 1, self._min_lines)
        margins = self.contentsMargins()
        height = ((lines + (1 if wrapped > metrics.lineSpacing() else 0)) * metrics.lineSpacing()
                  + 2 * int(self.document().documentMargin()) + margins.top() + margins.bottom() + 2)
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(60, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, self.height())


class WrappingLabel(QLabel):
    """A word-wrapped label that takes the height its wrapped text needs at its current width.

    A plain wrapping QLabel in a form inside a scroll area keeps its one-line height and its
    text is clipped top and bottom; this one measures the wrapped text, like GrowingTextEdit.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self._fit()

    def _fit(self) -> None:
        width = max(self.contentsRect().width(), 40)
        height = self.heightForWidth(width)
        if height > 0 and self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()


class PromptEdit(GrowingTextEdit):
    """The prompt, with ``@`` completion of character names.

    Picking a name (click, or Enter/Tab which take the highlighted or else the first suggestion)
    writes it into the text and calls ``on_pick(name)``, which puts the character in the cast.
    """

    def __init__(self, names: Callable[[], list[str]], on_pick: Callable[[str], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(3, parent)
        self._names = names
        self._on_pick = on_pick
        self.completer = QCompleter(self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseInsensitive)
        self.completer.setModel(QStringListModel([], self.completer))
        self.completer.activated.connect(self._insert_completion)

    def _word_before_cursor(self) -> str | None:
        """The text typed after an ``@`` up to the cursor, or None when not completing."""
        text = self.toPlainText()[: self.textCursor().position()]
        at = text.rfind("@")
        if at < 0 or any(ch.isspace() for ch in text[at + 1 :]):
            return None
        return text[at + 1 :]

    def _insert_completion(self, name: str) -> None:
        typed = self._word_before_cursor()
        if typed is None:
            return
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.Left, QTextCursor.KeepAnchor, len(typed) + 1)
        cursor.insertText(name)
        self.setTextCursor(cursor)
        self.completer.popup().hide()
        if self._on_pick is not None:
            self._on_pick(name)

    def _first_or_current(self) -> str | None:
        popup = self.completer.popup()
        index = popup.currentIndex()
        if index.isValid():
            return index.data()
        model = self.completer.completionModel()
        return model.index(0, 0).data() if model.rowCount() else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        popup = self.completer.popup()
        if popup.isVisible():
            if event.key() in (Qt.Key_Enter, Qt.Key_Return, Qt.Key_Tab):
                name = self._first_or_current()
                if name:
                    self._insert_completion(name)
                    return
            if event.key() == Qt.Key_Escape:
                popup.hide()
                return
        super().keyPressEvent(event)
        typed = self._word_before_cursor()
        if typed is None:
            popup.hide()
            return
        self.completer.model().setStringList(self._names())
        self.completer.setCompletionPrefix(typed)
        if self.completer.completionCount() == 0:
            popup.hide()
            return
        rect = self.cursorRect()
        rect.setWidth(200)
        self.completer.complete(rect)
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))  # Enter takes it


class DurationEdit(QLineEdit):
    """A duration typed in any form ``model.timecode`` reads, parsed when committed.

    Typing never changes the text; Enter or leaving the field parses it, emits ``committed``
    with the frames and shows the value back in the one display form (``4s 12f``). Text that
    does not parse stays, marked, with a tooltip saying what is accepted.
    """

    committed = Signal(int)
    rejected = Signal(str)

    def __init__(self, fps: Callable[[], int], parent: QWidget | None = None):
        super().__init__(parent)
        self._fps = fps
        self._frames = 0
        self.setToolTip(ACCEPTED)
        self.setMinimumWidth(70)
        self.returnPressed.connect(self.commit)

    @property
    def frames(self) -> int:
        return self._frames

    def set_frames(self, frames: int) -> None:
        """Show ``frames`` (from the model); leaves text being typed alone."""
        self._frames = frames
        if self.hasFocus() and self.isModified():
            return
        self._show()

    def _show(self) -> None:
        self.setProperty("invalid", False)
        self.setStyleSheet("")
        self.setToolTip(ACCEPTED)
        self.setText(time_display().duration(self._frames, self._fps()))
        self.setModified(False)

    def commit(self) -> None:
        if not self.isModified():
            self._show()
            return
        try:
            frames = parse_duration(self.text(), self._fps())
            if not 1 <= frames <= MAX_DURATION:
                raise TimeParseError(f"{self.text().strip()!r}: a shot lasts at least 1 frame")
        except TimeParseError as exc:
            self.setStyleSheet("border: 1px solid #e5484d;")
            self.setToolTip(str(exc))
            self.rejected.emit(str(exc))
            return
        self.setModified(False)
        if frames != self._frames:
            self.committed.emit(frames)  # the model's refresh shows it back
        self._frames = frames
        self._show()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self.commit()
        super().focusOutEvent(event)


class DialogueRow(QFrame):
    """One dialogue line: speaker, attached audio, order buttons, and the full text below."""

    def __init__(self, editor: DialogueEditor):
        super().__init__()
        self.editor = editor
        self.line_id = ""
        self._cast: tuple[tuple[str, str], ...] | None = None
        self.setFrameShape(QFrame.StyledPanel)
        self.speaker = _shrinkable(QComboBox(), 5)
        self.speaker.setToolTip("who says the line (their voice is used for the temp voiceover)")
        self.audio = QToolButton()
        self.audio.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.audio.setMaximumWidth(110)
        self.up, self.down, self.remove = QToolButton(), QToolButton(), QToolButton()
        for button, text, tip in ((self.up, "↑", "move line up"), (self.down, "↓", "move line down"),
                                  (self.remove, "✕", "remove line")):
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
        self.text = GrowingTextEdit(1)
        self.text.setPlaceholderText("the line as spoken")
        # a script's character extensions and parentheticals ("V.O.; quietly") land here on import
        self.delivery = QLineEdit()
        self.delivery.setPlaceholderText("delivery (e.g. V.O., whispering)")
        self.delivery.setToolTip("how the line is delivered: a note for the read, not spoken")
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setHorizontalSpacing(2)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.speaker, 0, 0)
        grid.addWidget(self.audio, 0, 1)
        grid.addWidget(self.up, 0, 2)
        grid.addWidget(self.down, 0, 3)
        grid.addWidget(self.remove, 0, 4)
        grid.addWidget(self.text, 1, 0, 1, 5)
        grid.addWidget(self.delivery, 2, 0, 1, 5)
        grid.setColumnStretch(0, 1)
        self.speaker.activated.connect(lambda _i: editor.speaker_changed(self, self.speaker.currentData()))
        self.text.textChanged.connect(lambda: editor.text_changed(self, self.text.toPlainText()))
        self.delivery.textEdited.connect(lambda text: editor.delivery_changed(self, text))
        self.audio.clicked.connect(lambda: editor.audio_clicked(self))
        self.up.clicked.connect(lambda: editor.move(self, -1))
        self.down.clicked.connect(lambda: editor.move(self, 1))
        self.remove.clicked.connect(lambda: editor.remove(self))

    def show_line(self, line: DialogueLine, cast: tuple[tuple[str, str], ...], index: int, count: int) -> None:
        """Update in place from the model (signals blocked; nothing created after the first time)."""
        self.line_id = line.id
        if self.delivery.text() != line.delivery:  # equal while typing: the cursor stays put
            self.delivery.setText(line.delivery)  # (setText does not emit textEdited)
        with QSignalBlocker(self.speaker), QSignalBlocker(self.text):
            if cast != self._cast:
                self._cast = cast
                self.speaker.clear()
                self.speaker.addItem("(narrator)", "")
                for cid, name in cast:
                    self.speaker.addItem(name, cid)
            self.speaker.setCurrentIndex(max(self.speaker.findData(line.speaker), 0))
            _set_plain(self.text, line.text)
        self.audio.setText(Path(line.audio).name if line.audio else "TTS")
        names = dict(cast)
        self.audio.setToolTip((f"recorded: {line.audio}" if line.audio else
                               f"temp voiceover ({names.get(line.speaker, 'narrator')})")
                              + "\nclick to attach a recording; drop an audio file on the line")
        self.up.setEnabled(index > 0)
        self.down.setEnabled(index < count - 1)


class DialogueEditor(QWidget):
    """Every line of the shot in full, one row each; rows are reused across refreshes."""

    def __init__(self, inspector: ShotInspector):
        super().__init__()
        self.inspector = inspector
        self.rows: list[DialogueRow] = []
        self.current = -1  # the row last edited or focused (for remove / attach from outside)
        self.setAcceptDrops(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self.empty = QLabel("No dialogue. Add a line for temp voiceover and subtitles.")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("hint")
        self._layout.addWidget(self.empty)
        self.add_button = QPushButton("Add line")
        self.add_button.clicked.connect(inspector.add_line)
        self._layout.addWidget(self.add_button)

    def show_lines(self, lines: list[DialogueLine], cast: tuple[tuple[str, str], ...]) -> None:
        while len(self.rows) > len(lines):  # lines removed: their rows go
            row = self.rows.pop()
            self._layout.removeWidget(row)
            row.hide()
            row.deleteLater()
        while len(self.rows) < len(lines):
            row = DialogueRow(self)
            self._layout.insertWidget(len(self.rows), row)
            self.rows.append(row)
        for index, (row, line) in enumerate(zip(self.rows, lines, strict=True)):
            row.show_line(line, cast, index, len(lines))
        self.empty.setVisible(not lines)
        self.current = min(self.current, len(self.rows) - 1)

    def index_of(self, row: DialogueRow) -> int:
        return self.rows.index(row)

    # row callbacks → inspector commands
    def speaker_changed(self, row: DialogueRow, speaker: str) -> None:
        self.current = self.index_of(row)
        self.inspector.set_line_field(row.line_id, "speaker", speaker, "Set speaker")

    def text_changed(self, row: DialogueRow, text: str) -> None:
        self.current = self.index_of(row)
        self.inspector.set_line_field(row.line_id, "text", text, "Edit dialogue", merge=True)

    def delivery_changed(self, row: DialogueRow, text: str) -> None:
        self.current = self.index_of(row)
        self.inspector.set_line_field(row.line_id, "delivery", text, "Edit delivery note", merge=True)

    def audio_clicked(self, row: DialogueRow) -> None:
        self.current = self.index_of(row)
        self.inspector.attach_audio_dialog(self.current)

    def move(self, row: DialogueRow, step: int) -> None:
        self.inspector.move_line(step, self.index_of(row))

    def remove(self, row: DialogueRow) -> None:
        self.inspector.remove_line(self.index_of(row))

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001, N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:  # noqa: ANN001, N802
        y = event.position().toPoint().y()
        index = next((i for i, r in enumerate(self.rows) if r.geometry().top() <= y <= r.geometry().bottom()), -1)
        for url in event.mimeData().urls():
            if index >= 0 and self.inspector.attach_audio(index, Path(url.toLocalFile())):
                event.acceptProposedAction()
                return


class ShotInspector(QScrollArea):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.shot_id: str | None = None
        self._cast_key: tuple[tuple[str, str], ...] | None = None
        self._styles_key: tuple[tuple[str, str], ...] | None = None
        self.setWidgetResizable(True)
        self.setMinimumWidth(0)
        body = QWidget()
        body.setMinimumWidth(0)
        self.setWidget(body)
        form = QFormLayout(body)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # narrow dock: label above its field
        self.form = form
        self.header = QLabel("No shot selected")
        self.header.setObjectName("inspectorHeader")
        self.header.setWordWrap(True)
        form.addRow(self.header)

        self.number = QLineEdit()
        self.title = QLineEdit()
        for line in (self.number, self.title):
            line.setMinimumWidth(60)
        names = lambda: [c.name for c in self.session.project.characters]  # noqa: E731
        self.prompt = PromptEdit(names, self._cast_pick)
        self.prompt.setPlaceholderText("What the camera sees. Type @ to name a character.")
        self.prompt_warning = WrappingLabel()  # the composed prompt is cut by the selected model
        self.prompt_warning.setObjectName("promptWarning")
        self.prompt_warning.setStyleSheet("color: #ffb74d;")
        self.prompt_warning.hide()
        self.negative = GrowingTextEdit(1)
        self.size_combo = _shrinkable(QComboBox())
        self.size_combo.addItems([s.value for s in ShotSize])
        self.move_combo = _shrinkable(QComboBox())
        self.move_combo.addItems([m.value.replace("_", " ") for m in CameraMove])
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0, 1)
        self.strength.setSingleStep(0.1)
        self.strength.setToolTip("camera move strength")
        self.duration = DurationEdit(lambda: self.session.project.fps)
        self.duration_label = QLabel()
        self.duration_label.setObjectName("hint")
        self.overflow = WrappingLabel()
        self.overflow.setStyleSheet("color: #ff8a80;")
        self.fit_button = QPushButton("Fit shot to dialogue")
        self.fit_button.setToolTip("lengthen the shot to its estimated voiceover plus a short tail (one undo step)")
        self.characters = QListWidget()
        self.characters.setMinimumHeight(72)
        self.characters.setMaximumHeight(96)
        self.transition = _shrinkable(QComboBox())
        self.transition.addItems([t.value.replace("_", " ") for t in TransitionKind])
        self.transition_frames = QSpinBox()
        self.transition_frames.setRange(0, 240)
        self.transition_frames.setSuffix("f")
        self.style_combo = _shrinkable(QComboBox())
        self.seed_lock = QCheckBox("lock")
        self.seed = QDoubleSpinBox()  # QSpinBox is 32-bit signed; seeds use the full unsigned range
        self.seed.setDecimals(0)
        self.seed.setRange(0, 2**32 - 1)
        self.seed.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.notes = GrowingTextEdit(2)

        duration_box = QWidget()
        duration_col = QVBoxLayout(duration_box)
        duration_col.setContentsMargins(0, 0, 0, 0)
        duration_col.setSpacing(2)
        duration_row = QHBoxLayout()
        duration_row.addWidget(self.duration, 1)
        duration_row.addWidget(self.duration_label)
        duration_col.addLayout(duration_row)
        duration_col.addWidget(self.overflow)
        duration_col.addWidget(self.fit_button)
        transition_row = QHBoxLayout()
        transition_row.addWidget(self.transition, 2)
        transition_row.addWidget(self.transition_frames, 1)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(self.seed, 1)
        move_row = QHBoxLayout()
        move_row.addWidget(self.move_combo, 2)
        move_row.addWidget(self.strength, 1)
        for label, widget in (("Number", self.number), ("Title", self.title), ("Prompt", self.prompt),
                              ("Negative", self.negative), ("Shot size", self.size_combo)):
            form.addRow(label, widget)
        form.addRow("", self.prompt_warning)
        form.addRow("Camera move", move_row)
        form.addRow("Duration", duration_box)
        form.addRow("Characters", self.characters)
        form.addRow("Transition in", transition_row)
        form.addRow("Style", self.style_combo)
        form.addRow("Seed", seed_row)
        form.addRow("Notes", self.notes)
        dialogue_title = QLabel("Dialogue")
        dialogue_title.setObjectName("inspectorHeader")
        form.addRow(dialogue_title)
        self.dialogue = DialogueEditor(self)
        form.addRow(self.dialogue)

        self.number.textEdited.connect(lambda t: self._set("number", t, merge=True))
        self.title.textEdited.connect(lambda t: self._set("title", t, merge=True))
        self.prompt.textChanged.connect(lambda: self._set_text("prompt", self.prompt))
        self.negative.textChanged.connect(lambda: self._set_text("negative_prompt", self.negative))
        self.notes.textChanged.connect(lambda: self._set_text("notes", self.notes))
        self.size_combo.activated.connect(lambda i: self._set("size", list(ShotSize)[i]))
        self.move_combo.activated.connect(lambda i: self._set("camera_move", list(CameraMove)[i]))
        self.strength.valueChanged.connect(lambda v: self._set("camera_strength", round(v, 3), merge=True))
        self.duration.committed.connect(lambda frames: self._set("duration", frames))
        self.duration.rejected.connect(self.session.message.emit)
        self.fit_button.clicked.connect(self.fit_to_dialogue)
        self.characters.itemChanged.connect(self._cast_changed)
        self.transition.activated.connect(lambda _i: self._transition_changed())
        self.transition_frames.valueChanged.connect(lambda _v: self._transition_changed())
        self.style_combo.activated.connect(self._style_changed)
        self.seed_lock.toggled.connect(self._seed_lock_changed)
        self.seed.valueChanged.connect(
            lambda v: self._set("seed", int(v), merge=True) if self.seed_lock.isChecked() else None)

        session.selection_changed.connect(self._selection_changed)
        session.changed.connect(self._model_changed)
        time_display().changed.connect(self._model_changed)
        self.show_shot(None)

    def _selection_changed(self, ids: list) -> None:
        self.show_shot(ids[-1] if ids else None)

    def _model_changed(self, _what: str) -> None:
        self.refresh()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, super().minimumSizeHint().height())

    # --- showing ---
    def show_shot(self, shot_id: str | None) -> None:
        if shot_id != self.shot_id:
            self.dialogue.current = -1
            self.duration.setModified(False)  # text typed for the previous shot is not this one's
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
            self.overflow.hide()
            self.fit_button.hide()
            self.dialogue.show_lines([], ())  # a deleted shot's lines go with it
            return
        blockers = [QSignalBlocker(w) for w in (
            self.number, self.title, self.prompt, self.negative, self.notes, self.size_combo, self.move_combo,
            self.strength, self.duration, self.characters, self.transition, self.transition_frames,
            self.style_combo, self.seed_lock, self.seed)]
        self.header.setText(f"Shot {shot.number}  ·  {plural(len(shot.takes), 'take')}")
        _set_line(self.number, shot.number)
        _set_line(self.title, shot.title)
        _set_plain(self.prompt, shot.prompt)
        _set_plain(self.negative, shot.negative_prompt)
        _set_plain(self.notes, shot.notes)
        self.size_combo.setCurrentIndex(list(ShotSize).index(shot.size))
        self.move_combo.setCurrentIndex(list(CameraMove).index(shot.camera_move))
        if self.strength.value() != shot.camera_strength:
            self.strength.setValue(shot.camera_strength)
        self.duration.set_frames(shot.duration)
        self.duration_label.setText(f"{shot.duration} f" if time_display().mode.value != "frames" else "")
        self._show_overflow(project, shot)
        self._show_prompt_check(project, shot)
        cast = tuple((c.id, c.name) for c in project.characters)
        if cast != self._cast_key:  # the character list changed: rebuild its items (not widgets)
            self._cast_key = cast
            self.characters.clear()
            for cid, name in cast:
                item = QListWidgetItem(name)
                item.setData(Qt.UserRole, cid)
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Unchecked)  # without a state Qt draws no box and Space does nothing
                self.characters.addItem(item)
        for i in range(self.characters.count()):
            item = self.characters.item(i)
            state = Qt.Checked if item.data(Qt.UserRole) in shot.characters else Qt.Unchecked
            if item.checkState() != state:
                item.setCheckState(state)
        self.transition.setCurrentIndex(list(TransitionKind).index(shot.transition_in.kind))
        self.transition_frames.setValue(shot.transition_in.frames)
        self.transition_frames.setEnabled(shot.transition_in.kind != TransitionKind.CUT)
        styles = tuple((st.id, st.name) for st in project.styles)
        if styles != self._styles_key:
            self._styles_key = styles
            self.style_combo.clear()
            self.style_combo.addItem("(project style)", None)
            for sid, name in styles:
                self.style_combo.addItem(name, sid)
        self.style_combo.setCurrentIndex(max(self.style_combo.findData(shot.style_id), 0))
        self.seed_lock.setChecked(shot.seed_locked)
        seed = shot.seed if shot.seed_locked else _derived_seed(project, shot)
        if self.seed.value() != seed:
            self.seed.setValue(seed)
        self.seed.setEnabled(shot.seed_locked)
        del blockers
        self.dialogue.show_lines(shot.dialogue, cast)

    def _show_prompt_check(self, project, shot) -> None:  # noqa: ANN001
        """Warn when the selected model cuts the composed prompt (estimate; recomputed only when
        the prompt or the generator settings change)."""
        check = prompt_check_for_shot(project, shot)
        text = check.message() if check is not None else ""
        if text != self.prompt_warning.text():
            self.prompt_warning.setText(text)
        self.prompt_warning.setVisible(bool(text))

    def _show_overflow(self, project, shot) -> None:  # noqa: ANN001
        """Estimated voiceover against the shot's length, updated as the lines are typed."""
        timing = estimate_shot_timing(project, shot)
        fmt = time_display().duration
        if timing.overlong:
            self.overflow.setText(
                f"Dialogue ≈ {fmt(timing.vo_frames, project.fps)}: "
                f"{fmt(timing.excess_frames, project.fps)} longer than the shot; it would play over the next shot.")
            self.overflow.show()
            self.fit_button.show()
        else:
            self.overflow.hide()
            self.fit_button.hide()
        if timing.lines:
            self.duration.setToolTip(f"{ACCEPTED}\ndialogue ≈ {fmt(timing.vo_frames, project.fps)} (estimated)")

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

    def fit_to_dialogue(self) -> bool:
        """Lengthen the shot to its (estimated) voiceover plus the CLI's tail: one undo step."""
        if self.shot_id is None:
            return False
        project = self.session.project
        shot = project.shot(self.shot_id)
        command = fit_shot_to_dialogue(shot, estimate_shot_timing(project, shot).vo_frames)
        return command is not None and self.session.apply(command)

    def _cast_pick(self, name: str) -> None:
        """An ``@`` completion named a character: put them in the shot's cast (own undo step)."""
        if self.shot_id is None:
            return
        project = self.session.project
        character = next((c for c in project.characters if c.name == name), None)
        shot = project.shot(self.shot_id)
        if character is not None and character.id not in shot.characters:
            self.session.apply(set_shot(self.shot_id, "characters", [*shot.characters, character.id],
                                        f"Add {name} to shot"))

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

    # --- dialogue ---
    def _line_ref(self, row: int) -> str | None:
        rows = self.dialogue.rows
        return rows[row].line_id if 0 <= row < len(rows) else None

    def set_line_field(self, line_id: str, field: str, value, label: str, merge: bool = False) -> None:  # noqa: ANN001
        if not line_id or self.shot_id is None:
            return
        self.session.apply(SetField(Ref("line", (self.shot_id, line_id)), field, value, label),
                           f"{self.shot_id}:{line_id}:{field}" if merge else None)

    def add_line(self) -> None:
        if self.shot_id is None:
            return
        shot = self.session.project.shot(self.shot_id)
        speaker = shot.characters[0] if shot.characters else ""
        line = DialogueLine(new_id("line"), speaker, "New line")
        if self.session.apply(InsertLine(self.shot_id, len(shot.dialogue), line)):
            self.dialogue.current = len(shot.dialogue) - 1

    def remove_line(self, row: int | None = None) -> None:
        line_id = self._line_ref(self.dialogue.current if row is None else row)
        if line_id and self.shot_id:
            self.session.apply(RemoveLine(self.shot_id, line_id))

    def move_line(self, step: int, row: int | None = None) -> None:
        row = self.dialogue.current if row is None else row
        line_id = self._line_ref(row)
        if line_id and self.shot_id and 0 <= row + step < len(self.dialogue.rows):
            self.session.apply(MoveLine(self.shot_id, line_id, row + step))
            self.dialogue.current = row + step

    def attach_audio_dialog(self, row: int | None = None) -> None:
        row = self.dialogue.current if row is None else row
        if self._line_ref(row) is None:
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
