"""Characters and styles panels (dockable)."""

from __future__ import annotations

import copy
import secrets
from pathlib import Path

from PySide6.QtCore import QPoint, QSignalBlocker, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..media.imports import MediaImportError, import_media
from ..model import Character, Ref, SetField, new_id
from ..model.commands import InsertCharacter, InsertStyle, remove_character
from ..model.style_presets import builtin_styles
from .session import ProjectSession
from .voice_picker import VoicePicker

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


PREVIEW_SIZE = (96, 128)


def look_preview(character: Character, seed: int | None = None) -> QImage:
    """The sketch generator's figure for ``character`` (with ``seed`` instead of its own), as a
    QImage. Drawing one figure with PIL takes about 0.25 ms, so this runs on the UI thread.

    The look comes from the description first and the seed for what it leaves open, exactly as
    in a sketch take; without the sketch generator installed, a blank card."""
    width, height = PREVIEW_SIZE
    image = QImage(width, height, QImage.Format_RGB888)
    image.fill(Qt.darkGray)
    try:
        from PIL import Image, ImageDraw

        from generators.sketch import figure
    except ImportError:
        return image
    seed = character.seed if seed is None else seed
    look = figure.look_for(character.description, seed)
    picture = Image.new("RGB", (width, height), (44, 48, 58))
    figure.draw_figure(ImageDraw.Draw(picture), look, width / 2, height - 8, height * 0.8)
    data = picture.tobytes()
    return QImage(data, width, height, width * 3, QImage.Format_RGB888).copy()


class CharactersPanel(QWidget):
    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.name = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(70)
        self.description.setPlaceholderText("prompt fragment: a tall woman in a yellow raincoat…")
        self.seed = QDoubleSpinBox()
        self.seed.setDecimals(0)
        self.seed.setRange(0, 2**32 - 1)
        reroll = QPushButton("Reroll look")
        reroll.setToolTip("Try another seed: the preview shows the new look before you keep it")
        self.reroll_button = reroll
        self.seed_help = QLabel("seed: decides the look where the description is silent")
        self.seed_help.setWordWrap(True)
        self.seed_help.setStyleSheet("color: #8a90a2")
        self.preview_now = QLabel()
        self.preview_new = QLabel()
        self.preview_now.setToolTip("the look now")
        self.preview_new.setToolTip("the rerolled look")
        self.keep_button = QPushButton("Keep new look")
        self.discard_button = QPushButton("Discard")
        self.pending_seed: int | None = None
        self._pending_for: str | None = None  # the character the proposed seed is for
        # issue 15: engine, voice, speaker, rate, pitch and Preview (ui/voice_picker.py)
        self.voice_picker = VoicePicker(session, self.current_id)
        self.rate, self.pitch = self.voice_picker.rate, self.voice_picker.pitch
        self.refs = QListWidget()
        self.refs.setMaximumHeight(70)
        self.refs.setAcceptDrops(True)
        self.setAcceptDrops(True)
        self.add_ref_button = QPushButton("Add reference image…")
        self.add_ref_button.setToolTip("An image of this character for generators that use references "
                                       "(or drop one on this panel)")
        self.add_ref_button.clicked.connect(self.add_reference_dialog)
        add, remove = QPushButton("Add character"), QPushButton("Remove")
        self.add_button, self.remove_button = add, remove
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed)
        seed_row.addWidget(reroll)
        look_row = QHBoxLayout()
        look_row.addWidget(self.preview_now)
        look_row.addWidget(self.preview_new)
        keep_column = QVBoxLayout()
        keep_column.addWidget(self.keep_button)
        keep_column.addWidget(self.discard_button)
        keep_column.addStretch(1)
        look_row.addLayout(keep_column)
        look_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("Seed", seed_row)
        form.addRow("", self.seed_help)
        form.addRow("Look", look_row)
        form.addRow(self.voice_picker)
        form.addRow("References", self.refs)
        form.addRow("", self.add_ref_button)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addLayout(form)
        add.clicked.connect(self.add_character)
        remove.clicked.connect(self.remove_selected)
        reroll.clicked.connect(lambda: self.reroll_look())
        self.keep_button.clicked.connect(lambda: self.keep_look())
        self.discard_button.clicked.connect(lambda: self._clear_pending())
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentRowChanged.connect(lambda _r: self._show())
        self.name.textEdited.connect(lambda t: self._set("name", t, "Rename character", merge=True))
        self.description.textChanged.connect(self._description_changed)
        self.seed.valueChanged.connect(lambda v: self._set("seed", int(v), "Set seed", merge=True))
        session.changed.connect(lambda _w: self.refresh())
        self.refresh()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def refresh(self) -> None:
        """Update the list in place; items are rebuilt only when characters were added,
        removed or reordered (a refresh runs after every edit of the project)."""
        current = self.current_id()
        characters = self.session.project.characters
        ids = [ch.id for ch in characters]
        missing = _missing_voice_ids(characters)
        with QSignalBlocker(self.list):
            if ids != [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]:
                self.list.clear()
                for ch in characters:
                    item = QListWidgetItem()
                    item.setData(Qt.UserRole, ch.id)
                    self.list.addItem(item)
            for i, ch in enumerate(characters):
                item = self.list.item(i)
                text = f"{ch.name}   (seed {ch.seed})" + ("   ⚠ voice not installed" if ch.id in missing else "")
                if item.text() != text:
                    item.setText(text)
                if ch.id == current and self.list.currentRow() != i:
                    self.list.setCurrentRow(i)
            if self.list.currentRow() < 0 and self.list.count():
                self.list.setCurrentRow(0)
        self._show()

    def _character(self) -> Character | None:
        cid = self.current_id()
        try:
            return self.session.project.character(cid) if cid else None
        except KeyError:
            return None

    def _show(self) -> None:
        ch = self._character()
        self.voice_picker.refresh()
        for w in (self.name, self.description, self.seed, self.refs, self.reroll_button, self.add_ref_button):
            w.setEnabled(ch is not None)
        self._show_pending()
        if ch is None:  # show neutral values, not the spin boxes' minimums
            self.preview_now.clear()
            blockers = [QSignalBlocker(w) for w in (self.name, self.description, self.seed)]
            self.name.clear()
            self.description.clear()
            self.seed.setValue(0)
            self.refs.clear()
            del blockers
            return
        self.preview_now.setPixmap(QPixmap.fromImage(look_preview(ch)))
        blockers = [QSignalBlocker(w) for w in (self.name, self.description, self.seed)]
        if self.name.text() != ch.name:
            self.name.setText(ch.name)
        if self.description.toPlainText() != ch.description:
            self.description.setPlainText(ch.description)
        self.seed.setValue(ch.seed)
        names = [Path(ref).name for ref in ch.reference_images]
        if names != [self.refs.item(i).text() for i in range(self.refs.count())]:
            self.refs.clear()
            self.refs.addItems(names)
        del blockers

    # --- the look: reroll with a preview, keep or discard ---
    def reroll_look(self, seed: int | None = None) -> int | None:
        """Propose a new seed and show its look beside the current one; nothing changes yet."""
        ch = self._character()
        if ch is None:
            return None
        self.pending_seed = secrets.randbelow(2**32) if seed is None else seed
        self._pending_for = ch.id
        self._show_pending()
        return self.pending_seed

    def keep_look(self) -> bool:
        """Apply the proposed seed (one undoable step, "Reroll look")."""
        if self.pending_seed is None or self._pending_for != self.current_id():
            return False
        seed, self.pending_seed = self.pending_seed, None
        self._set("seed", seed, "Reroll look")
        self._show_pending()
        return True

    def _clear_pending(self) -> None:
        self.pending_seed = None
        self._show_pending()

    def _show_pending(self) -> None:
        ch = self._character()
        pending = self.pending_seed is not None and ch is not None and self._pending_for == ch.id
        for w in (self.preview_new, self.keep_button, self.discard_button):
            w.setVisible(pending)
        if pending:
            self.preview_new.setPixmap(QPixmap.fromImage(look_preview(ch, self.pending_seed)))
            self.keep_button.setToolTip(f"use seed {self.pending_seed}")

    def _context_menu(self, pos: QPoint) -> QMenu:
        item = self.list.itemAt(pos)
        if item is not None:
            self.list.setCurrentItem(item)
        menu = QMenu(self)
        if item is not None:
            menu.addAction("Rename", lambda: (self.name.setFocus(), self.name.selectAll()))
            menu.addAction("Reroll look", self.reroll_look)
            menu.addAction("Add reference image…", self.add_reference_dialog)
            menu.addSeparator()
            menu.addAction("Delete character", self.remove_selected)
        menu.addAction("Add character", self.add_character)
        self.last_context_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))
        return menu

    def add_reference_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Add reference image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        return self.add_reference(Path(path)) if path else False

    def _set(self, field: str, value, label: str, merge: bool = False) -> None:  # noqa: ANN001
        cid = self.current_id()
        if cid:
            self.session.apply(SetField(Ref("character", (cid,)), field, value, label),
                               f"char:{cid}:{field}" if merge else None)

    def _description_changed(self) -> None:
        ch = self._character()
        if ch is not None and ch.description != self.description.toPlainText():
            self._set("description", self.description.toPlainText(), "Edit description", merge=True)

    def add_character(self) -> None:
        project = self.session.project
        character = Character(new_id("ch"), f"Character {len(project.characters) + 1}", seed=secrets.randbelow(2**32),
                              voice=copy.copy(project.narrator_voice))  # starts from the default voice
        if self.session.apply(InsertCharacter(len(project.characters), character)):
            self.list.setCurrentRow(self.list.count() - 1)

    def remove_selected(self) -> None:
        cid = self.current_id()
        if cid:
            self.session.apply(remove_character(self.session.project, cid))

    def add_reference(self, source: Path) -> bool:
        """Copy an image into media/refs/ and add it to the character's references (undoable)."""
        ch = self._character()
        bundle = self.session.document.bundle
        if ch is None or bundle is None or source.suffix.lower() not in IMAGE_SUFFIXES:
            self.session.message.emit(f"{source.name}: drop an image (PNG, JPG, WebP) on a character")
            return False
        try:
            relative = import_media(bundle, source, "image", "media/refs", stem=ch.id)
        except MediaImportError as exc:
            self.session.message.emit(str(exc))
            return False
        refs = [*ch.reference_images, relative]
        self._set("reference_images", refs, "Add reference image")
        return True

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001, N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001, N802
        for url in event.mimeData().urls():
            self.add_reference(Path(url.toLocalFile()))
        event.acceptProposedAction()


def _missing_voice_ids(characters: list[Character]) -> set[str]:
    """Characters whose voice is not installed here (their list entry gets a badge)."""
    from ..voice.fallback import installed

    return {ch.id for ch in characters if installed(ch.voice) is False}


class StylesPanel(QWidget):
    """Built-in presets plus project styles; add a preset to the project, set the project style,
    and edit a project style field by field (``style_editor.StyleEditor``)."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.presets = builtin_styles()
        self.list = QListWidget()
        use = QPushButton("Use as project style")
        clear = QPushButton("No style")
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(use)
        row.addWidget(clear)
        layout.addLayout(row)
        use.clicked.connect(self.use_selected)
        clear.clicked.connect(lambda: self.session.apply(SetField(Ref("project"), "style_id", None, "Clear style")))
        files = QHBoxLayout()  # issue 18: styles as small JSON files, and copies to edit
        for text, slot in (("Duplicate", self.duplicate_selected), ("Export…", lambda: self.export_selected()),
                           ("Import…", lambda: self.import_file())):
            button = QPushButton(text)
            button.clicked.connect(slot)
            files.addWidget(button)
        layout.addLayout(files)
        from .style_editor import StyleEditor

        self.editor = StyleEditor(session)
        layout.addWidget(self.editor)
        self.list.currentRowChanged.connect(lambda _r: self._show_selected())
        session.changed.connect(lambda _w: self.refresh())
        self.refresh()
        self._show_selected()

    def _show_selected(self) -> None:
        """The editor follows the selection; the same project style is only re-read (typing goes on)."""
        item = self.list.currentItem()
        editable = item is not None and item.data(Qt.UserRole)[0] == "project"
        style = self._selected_style()
        if editable and style is not None and style.id == self.editor.style_id:
            self.editor.refresh()
        else:
            self.editor.show_style(style, editable)

    def _selected_style(self):  # noqa: ANN202 - Style | None
        item = self.list.currentItem()
        if item is None:
            return None
        kind, style_id = item.data(Qt.UserRole)
        styles = self.session.project.styles if kind == "project" else self.presets
        return next((s for s in styles if s.id == style_id), None)

    def duplicate_selected(self) -> bool:
        """A project copy of the selected style (preset or project) to edit freely."""
        from ..model.style_presets import duplicate_style

        style = self._selected_style()
        if style is None:
            return False
        copy_ = duplicate_style(style)
        return self.session.apply(InsertStyle(len(self.session.project.styles), copy_, f"Duplicate style {style.name}"))

    def export_selected(self, path: Path | None = None) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        from ..model.style_presets import export_style

        style = self._selected_style()
        if style is None:
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export style", f"{style.name}.json", "Style (*.json)")
            if not chosen:
                return None
            path = Path(chosen)
        try:
            return export_style(style, path)
        except OSError as exc:
            self.session.message.emit(f"Can't export the style: {exc}")
            return None

    def import_file(self, path: Path | None = None) -> bool:
        from PySide6.QtWidgets import QFileDialog

        from ..model.style_presets import StyleFileError, import_style

        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Import style", "", "Style (*.json)")
            if not chosen:
                return False
            path = Path(chosen)
        try:
            style = import_style(path)
        except StyleFileError as exc:
            self.session.message.emit(f"Can't import the style: {exc}")
            return False
        return self.session.apply(InsertStyle(len(self.session.project.styles), style, f"Import style {style.name}"))

    def refresh(self) -> None:
        """Rebuild the items only when the styles or the project style changed."""
        project = self.session.project
        project_ids = {s.id for s in project.styles}
        rows = [(f"{'●  ' if st.id == project.style_id else '    '}{st.name}   (project)", ("project", st.id),
                 st.prompt_suffix) for st in project.styles]
        rows += [(f"    {st.name}   (preset)", ("preset", st.id), st.prompt_suffix)
                 for st in self.presets if st.id not in project_ids]
        if rows == getattr(self, "_rows", None):
            if hasattr(self, "editor"):
                self._show_selected()
            return
        self._rows = rows
        current = self.list.currentRow()
        selected = self.list.currentItem().data(Qt.UserRole) if self.list.currentItem() is not None else None
        with QSignalBlocker(self.list):
            self.list.clear()
            for text, data, tip in rows:
                item = QListWidgetItem(text)
                item.setData(Qt.UserRole, data)
                item.setToolTip(tip)
                self.list.addItem(item)
            # the selection follows its style (a preset added to the project moves up the list)
            datas = [data for _, data, _ in rows]
            if selected is not None and tuple(selected) in map(tuple, datas):
                self.list.setCurrentRow(list(map(tuple, datas)).index(tuple(selected)))
            elif selected is not None and ("project", selected[1]) in datas:
                self.list.setCurrentRow(datas.index(("project", selected[1])))
            else:
                self.list.setCurrentRow(min(max(current, 0), self.list.count() - 1))
        if hasattr(self, "editor"):
            self._show_selected()

    def use_selected(self) -> None:
        from ..model.commands import Compound

        item = self.list.currentItem()
        if item is None:
            return
        kind, style_id = item.data(Qt.UserRole)
        commands = []
        if kind == "preset":
            preset = next(s for s in self.presets if s.id == style_id)
            commands.append(InsertStyle(len(self.session.project.styles), preset))
        commands.append(SetField(Ref("project"), "style_id", style_id))
        self.session.apply(Compound(commands, "Set project style"))
