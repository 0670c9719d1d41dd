"""The style editor under the styles list (issue 18.1): a project style edited field by field.

Every field is one undoable ``SetField`` on ``Ref("style", id)``: the name and the two prompts
as the user types (a burst of typing merges into one step, as the character panel's description
does), each palette change (add a colour with the colour picker, change the selected one, remove
it) and the generator parameters, which are JSON and applied with a button only once they parse
as an object (a bad value never reaches the project; the reason shows under the field). Built-in
presets are read-only here: "Duplicate" makes a project copy to edit. The widgets re-read the
model after every change, so undo and redo show what the project holds.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..model import Ref, SetField, Style
from .session import ProjectSession

PARAMS_HINT = '{"sketch": {"contrast": 1.4, "grain": 10}, "steps": 30}'


def parse_generator_params(text: str) -> dict[str, Any]:
    """The parameters typed as JSON: an object whose generator sections (``{"sketch": {...}}``)
    are objects too; ValueError with a one-line reason otherwise. NaN and Infinity are refused,
    as the project loader refuses them."""
    from ..generation.registry import generator_specs

    text = text.strip()
    if not text:
        return {}

    def refuse(name: str) -> Any:
        raise ValueError(f"generator parameters: {name} is not a number JSON allows")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise ValueError(f"generator parameters: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise ValueError('generator parameters: must be a JSON object ({"key": value})')
    for key, section in value.items():
        if key in generator_specs() and not isinstance(section, dict):
            raise ValueError(f"generator parameters: {key!r} names a generator, so its value must be an object")
    return value


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class StyleEditor(QWidget):
    """Edits the project style ``style_id``; shows a preset read-only."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.style_id: str | None = None
        self.editable = False
        self._shown_params: dict[str, Any] | None = None
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #8a90a2")
        self.name = QLineEdit()
        self.prompt_suffix = QPlainTextEdit()
        self.prompt_suffix.setPlaceholderText("added to every prompt in this style: pencil storyboard, loose lines…")
        self.negative_prompt = QPlainTextEdit()
        self.negative_prompt.setPlaceholderText("what the style avoids: photo, colour…")
        for box in (self.prompt_suffix, self.negative_prompt):
            box.setMaximumHeight(54)
        self.palette = QListWidget()
        self.palette.setMaximumHeight(72)
        self.palette.setFlow(QListWidget.LeftToRight)
        self.palette.setWrapping(True)
        self.add_colour = QPushButton("Add colour…")
        self.change_colour = QPushButton("Change…")
        self.remove_colour = QPushButton("Remove")
        self.params = QPlainTextEdit()
        self.params.setPlaceholderText(PARAMS_HINT)
        self.params.setMaximumHeight(80)
        self.apply_params = QPushButton("Apply parameters")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #e5484d")
        colours = QHBoxLayout()
        for button in (self.add_colour, self.change_colour, self.remove_colour):
            colours.addWidget(button)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Prompt suffix", self.prompt_suffix)
        form.addRow("Negative prompt", self.negative_prompt)
        form.addRow("Palette", self.palette)
        form.addRow("", colours)
        form.addRow("Generator parameters (JSON)", self.params)
        form.addRow("", self.apply_params)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        self.name.textEdited.connect(self._name_edited)
        self.prompt_suffix.textChanged.connect(
            lambda: self._text_changed("prompt_suffix", self.prompt_suffix, "Edit style prompt"))
        self.negative_prompt.textChanged.connect(
            lambda: self._text_changed("negative_prompt", self.negative_prompt, "Edit style negative prompt"))
        self.add_colour.clicked.connect(lambda: self.pick_colour(None))
        self.change_colour.clicked.connect(lambda: self.pick_colour(self.palette.currentRow()))
        self.palette.itemDoubleClicked.connect(lambda item: self.pick_colour(self.palette.row(item)))
        self.remove_colour.clicked.connect(self.remove_selected_colour)
        self.apply_params.clicked.connect(lambda: self.commit_params())
        self.show_style(None, False)

    # --- what is shown ---
    def _style(self) -> Style | None:
        if self.style_id is None:
            return None
        try:
            return self.session.project.style(self.style_id)
        except KeyError:
            return None

    def show_style(self, style: Style | None, editable: bool) -> None:
        """Show ``style`` (a project style when ``editable``; a preset read-only)."""
        self.style_id = style.id if style is not None and editable else None
        self.editable = editable and style is not None
        self._shown_params = None
        self.error.clear()
        self.hint.setText("" if self.editable else (
            "A built-in preset: Duplicate it (or use it) to edit a project copy" if style is not None
            else "Select a style"))
        for widget in (self.name, self.prompt_suffix, self.negative_prompt, self.palette, self.add_colour,
                       self.change_colour, self.remove_colour, self.params, self.apply_params):
            widget.setEnabled(self.editable)
        self._fill(style)

    def refresh(self) -> None:
        """Re-read the shown project style (after an edit, undo or redo)."""
        if self.style_id is not None:
            style = self._style()
            if style is None:  # deleted (or its insertion undone)
                self.show_style(None, False)
            else:
                self._fill(style)

    def _fill(self, style: Style | None) -> None:
        blockers = [QSignalBlocker(w) for w in (self.name, self.prompt_suffix, self.negative_prompt, self.params)]
        try:
            values = ((self.name, style.name if style else ""),)
            for line, value in values:
                if line.text() != value:
                    line.setText(value)
            for box, value in ((self.prompt_suffix, style.prompt_suffix if style else ""),
                               (self.negative_prompt, style.negative_prompt if style else "")):
                if box.toPlainText() != value:
                    box.setPlainText(value)
            params = dict(style.generator_params) if style else {}
            if params != self._shown_params:  # typed but unapplied JSON survives unrelated edits
                self.params.setPlainText(json.dumps(params, indent=1, ensure_ascii=False) if params else "")
                self._shown_params = params
        finally:
            del blockers
        current = self.palette.currentRow()
        self.palette.clear()
        for colour in style.palette if style else []:
            item = QListWidgetItem(_swatch(colour), colour)
            item.setData(Qt.UserRole, colour)
            self.palette.addItem(item)
        if self.palette.count():
            self.palette.setCurrentRow(min(max(current, 0), self.palette.count() - 1))

    # --- edits: each one SetField, one undo step ---
    def _set(self, field: str, value: Any, label: str, merge: bool = False) -> bool:
        if self.style_id is None:
            return False
        key = f"style:{self.style_id}:{field}" if merge else None
        ok = self.session.apply(SetField(Ref("style", (self.style_id,)), field, value, label), key)
        if ok:
            self.error.clear()
        return ok

    def _name_edited(self, text: str) -> None:
        if text.strip():
            self._set("name", text, "Rename style", merge=True)
        else:
            self.error.setText("A style needs a name")

    def _text_changed(self, field: str, box: QPlainTextEdit, label: str) -> None:
        style = self._style()
        if style is not None and getattr(style, field) != box.toPlainText():
            self._set(field, box.toPlainText(), label, merge=True)

    def pick_colour(self, row: int | None) -> bool:
        """Add a colour (``row`` None) or change the colour at ``row`` with the colour picker."""
        style = self._style()
        if style is None or (row is not None and not 0 <= row < len(style.palette)):
            return False
        initial = QColor(style.palette[row]) if row is not None else QColor("#808080")
        chosen = QColorDialog.getColor(initial, self, "Palette colour")
        if not chosen.isValid():  # cancelled
            return False
        palette = list(style.palette)
        if row is None:
            palette.append(chosen.name())
            ok = self._set("palette", palette, "Add palette colour")
            row = len(palette) - 1
        else:
            if palette[row] == chosen.name():
                return False
            palette[row] = chosen.name()
            ok = self._set("palette", palette, "Change palette colour")
        if ok:
            self.palette.setCurrentRow(row)
        return ok

    def remove_selected_colour(self) -> bool:
        style = self._style()
        row = self.palette.currentRow()
        if style is None or not 0 <= row < len(style.palette):
            return False
        return self._set("palette", style.palette[:row] + style.palette[row + 1:], "Remove palette colour")

    def commit_params(self) -> bool:
        """Apply the typed JSON as the style's generator parameters (one step), if it is valid."""
        style = self._style()
        if style is None:
            return False
        try:
            params = parse_generator_params(self.params.toPlainText())
        except ValueError as exc:
            self.error.setText(str(exc))
            return False
        if params == style.generator_params:
            self.error.clear()
            return False
        return self._set("generator_params", params, "Set style parameters")
