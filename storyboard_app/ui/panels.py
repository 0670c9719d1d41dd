"""Characters and styles panels (dockable)."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..assets import resource
from ..model import Character, Ref, SetField, Style, VoiceSettings, new_id
from ..model.commands import InsertCharacter, InsertStyle, remove_character
from .session import ProjectSession

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
PRESETS_DIR = resource("styles", "presets")  # importlib.resources: also found in a wheel


def builtin_styles() -> list[Style]:
    """Style presets shipped in resources/styles/presets/*.json."""
    styles = []
    for path in sorted((p for p in PRESETS_DIR.iterdir() if p.name.endswith(".json")), key=lambda p: p.name):
        data = json.loads(path.read_text(encoding="utf-8"))
        stem = path.name.removesuffix(".json")
        styles.append(Style(id=f"preset_{stem}", name=data["name"], prompt_suffix=data.get("prompt_suffix", ""),
                            negative_prompt=data.get("negative_prompt", ""), palette=list(data.get("palette", [])),
                            generator_params=dict(data.get("generator_params", {}))))
    return styles


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
        reroll = QPushButton("Reroll")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.25, 4.0)
        self.rate.setSingleStep(0.05)
        self.pitch = QDoubleSpinBox()
        self.pitch.setRange(-24, 24)
        self.pitch.setSuffix(" st")
        self.refs = QListWidget()
        self.refs.setMaximumHeight(70)
        self.refs.setAcceptDrops(True)
        self.setAcceptDrops(True)
        add, remove = QPushButton("Add character"), QPushButton("Remove")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed)
        seed_row.addWidget(reroll)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("Seed", seed_row)
        form.addRow("Speaking rate", self.rate)
        form.addRow("Pitch", self.pitch)
        form.addRow("References", self.refs)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addLayout(form)
        add.clicked.connect(self.add_character)
        remove.clicked.connect(self.remove_selected)
        reroll.clicked.connect(lambda: self._set("seed", secrets.randbelow(2**32), "Reroll seed"))
        self.list.currentRowChanged.connect(lambda _r: self._show())
        self.name.textEdited.connect(lambda t: self._set("name", t, "Rename character", merge=True))
        self.description.textChanged.connect(self._description_changed)
        self.seed.valueChanged.connect(lambda v: self._set("seed", int(v), "Set seed", merge=True))
        self.rate.valueChanged.connect(lambda v: self._voice("rate", round(v, 3)))
        self.pitch.valueChanged.connect(lambda v: self._voice("pitch_semitones", round(v, 2)))
        session.changed.connect(lambda _w: self.refresh())
        self.refresh()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def refresh(self) -> None:
        current = self.current_id()
        with QSignalBlocker(self.list):
            self.list.clear()
            for ch in self.session.project.characters:
                item = QListWidgetItem(f"{ch.name}   (seed {ch.seed})")
                item.setData(Qt.UserRole, ch.id)
                self.list.addItem(item)
                if ch.id == current:
                    self.list.setCurrentItem(item)
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
        for w in (self.name, self.description, self.seed, self.rate, self.pitch, self.refs):
            w.setEnabled(ch is not None)
        if ch is None:
            return
        blockers = [QSignalBlocker(w) for w in (self.name, self.description, self.seed, self.rate, self.pitch)]
        if self.name.text() != ch.name:
            self.name.setText(ch.name)
        if self.description.toPlainText() != ch.description:
            self.description.setPlainText(ch.description)
        self.seed.setValue(ch.seed)
        self.rate.setValue(ch.voice.rate)
        self.pitch.setValue(ch.voice.pitch_semitones)
        self.refs.clear()
        for ref in ch.reference_images:
            self.refs.addItem(Path(ref).name)
        del blockers

    def _set(self, field: str, value, label: str, merge: bool = False) -> None:  # noqa: ANN001
        cid = self.current_id()
        if cid:
            self.session.apply(SetField(Ref("character", (cid,)), field, value, label),
                               f"char:{cid}:{field}" if merge else None)

    def _description_changed(self) -> None:
        ch = self._character()
        if ch is not None and ch.description != self.description.toPlainText():
            self._set("description", self.description.toPlainText(), "Edit description", merge=True)

    def _voice(self, field: str, value: float) -> None:
        ch = self._character()
        if ch is None:
            return
        voice = VoiceSettings(**{**ch.voice.__dict__, field: value})
        self._set("voice", voice, "Set voice", merge=True)

    def add_character(self) -> None:
        project = self.session.project
        character = Character(new_id("ch"), f"Character {len(project.characters) + 1}", seed=secrets.randbelow(2**32))
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
        target = Path(bundle) / "media" / "refs" / f"{ch.id}-{secrets.token_hex(3)}{source.suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        refs = [*ch.reference_images, target.relative_to(bundle).as_posix()]
        self._set("reference_images", refs, "Add reference image")
        return True

    def dragEnterEvent(self, event) -> None:  # noqa: ANN001, N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: ANN001, N802
        for url in event.mimeData().urls():
            self.add_reference(Path(url.toLocalFile()))
        event.acceptProposedAction()


class StylesPanel(QWidget):
    """Built-in presets plus project styles; add a preset to the project, set the project style."""

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
        session.changed.connect(lambda _w: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        project = self.session.project
        current = self.list.currentRow()
        with QSignalBlocker(self.list):
            self.list.clear()
            for st in project.styles:
                mark = "●  " if st.id == project.style_id else "    "
                item = QListWidgetItem(f"{mark}{st.name}   (project)")
                item.setData(Qt.UserRole, ("project", st.id))
                item.setToolTip(st.prompt_suffix)
                self.list.addItem(item)
            project_ids = {s.id for s in project.styles}
            for st in self.presets:
                if st.id in project_ids:
                    continue
                item = QListWidgetItem(f"    {st.name}   (preset)")
                item.setData(Qt.UserRole, ("preset", st.id))
                item.setToolTip(st.prompt_suffix)
                self.list.addItem(item)
            self.list.setCurrentRow(min(max(current, 0), self.list.count() - 1))

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
