"""The takes browser for the selected shot: every take with its thumbnail, generator, seed and
time; pin one as the selected take (undoable), delete takes (their files go on the next save),
compare two side by side."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..model.bundle import BundlePaths
from ..model.commands import remove_take, select_take
from .session import ProjectSession
from .thumbnails import ThumbnailCache

#: shown on a take whose paid remote job was accepted before its shot was edited
OUTDATED_NOTE = "made for an earlier version of the shot (paid job, kept; not selected)"


class TakesPanel(QWidget):
    def __init__(self, session: ProjectSession, thumbnails: ThumbnailCache, parent: QWidget | None = None,
                 play: Callable[[Path], None] | None = None):
        super().__init__(parent)
        self.session = session
        self.thumbnails = thumbnails
        self.play = play
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.IconMode)
        self.list.setIconSize(QSize(160, 90))
        self.list.setResizeMode(QListWidget.Adjust)
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.setWordWrap(True)
        self.play_button = QPushButton("Play")
        self.pin_button = QPushButton("Use this take")
        self.delete_button = QPushButton("Delete")
        self.compare_button = QPushButton("Compare two")
        buttons = QGridLayout()  # 2x2, so the dock (tabbed with the inspector) fits 320 px
        for i, b in enumerate((self.play_button, self.pin_button, self.delete_button, self.compare_button)):
            buttons.addWidget(b, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.play_button.clicked.connect(self.play_current)
        self.pin_button.clicked.connect(self.pin_current)
        self.delete_button.clicked.connect(self.delete_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.list.itemDoubleClicked.connect(lambda _i: self.pin_current())
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        # bound methods: connections die with this panel (see Viewer.detach)
        session.selection_changed.connect(self._refresh_slot)
        session.changed.connect(self._refresh_slot)
        thumbnails.ready.connect(self._refresh_slot)
        self.refresh()

    def _refresh_slot(self, *_args: object) -> None:
        self.refresh()

    def detach(self) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.thumbnails.ready.disconnect(self._refresh_slot)

    def _signature(self, shot) -> tuple | None:  # noqa: ANN001
        """What the list shows: rebuilding (and making pixmaps) only when this changes."""
        if shot is None:
            return None
        bundle = self.session.document.bundle
        thumbs = []
        for take in shot.takes:
            image = None
            if take.media_path and bundle is not None:
                try:
                    image = self.thumbnails.get(str(BundlePaths(bundle).media_path(take.media_path)))
                except ValueError:
                    image = None
            thumbs.append(image.cacheKey() if image is not None else 0)
        return (shot.id, shot.selected_take_id,
                tuple((t.id, t.status.value, t.error, t.seed, t.prompt, t.outdated) for t in shot.takes), tuple(thumbs))

    def refresh(self) -> None:
        shot = self.session.current_shot()
        signature = self._signature(shot)
        if signature == getattr(self, "_shown", ()) and signature is not None:
            return
        self._shown = signature
        with QSignalBlocker(self.list):
            current = {i.data(Qt.UserRole) for i in self.list.selectedItems()}
            self.list.clear()
            if shot is None:
                return
            bundle = self.session.document.bundle
            for take in reversed(shot.takes):
                mark = "★ " if take.id == shot.selected_take_id else ""
                when = take.created_at.replace("T", " ")[:16]
                label = f"{mark}{take.generator_id} · seed {take.seed}\n{when}"
                if take.status.value != "done":
                    label += f"\n{take.status.value}: {take.error[:60]}"
                if take.outdated:
                    label += f"\n{OUTDATED_NOTE}"
                item = QListWidgetItem(label)
                item.setData(Qt.UserRole, take.id)
                item.setToolTip("\n".join(x for x in (take.prompt, f"request {take.request_hash[:12]}", take.error,
                                                       OUTDATED_NOTE if take.outdated else "") if x))
                if take.media_path and bundle is not None:
                    try:
                        image = self.thumbnails.get(str(BundlePaths(bundle).media_path(take.media_path)))
                    except ValueError:
                        image = None
                    if image is not None:
                        item.setIcon(QIcon(QPixmap.fromImage(image)))
                self.list.addItem(item)
                if take.id in current:
                    item.setSelected(True)

    def _context_menu(self, pos: QPoint) -> QMenu:
        """Right-click a take: play, use, compare, delete (the same as the buttons)."""
        item = self.list.itemAt(pos)
        if item is not None and not item.isSelected():
            self.list.clearSelection()
            item.setSelected(True)
        menu = QMenu(self)
        if item is not None:
            menu.addAction("Play", self.play_current)
            menu.addAction("Use this take", self.pin_current)
            if len(self.selected_take_ids()) == 2:
                menu.addAction("Compare two", self.compare_selected)
            menu.addSeparator()
            menu.addAction("Delete", self.delete_selected)
        self.last_context_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))
        return menu

    def selected_take_ids(self) -> list[str]:
        return [i.data(Qt.UserRole) for i in self.list.selectedItems()]

    def play_current(self) -> None:
        shot = self.session.current_shot()
        ids = self.selected_take_ids()
        take = shot.take(ids[0]) if shot is not None and ids else None
        if take is None or not take.media_path or self.play is None:
            return
        self.play(BundlePaths(self.session.document.bundle).media_path(take.media_path))

    def pin_current(self) -> None:
        shot = self.session.current_shot()
        ids = self.selected_take_ids()
        if shot is not None and ids:
            self.session.apply(select_take(self.session.project, shot.id, ids[0]))

    def delete_selected(self) -> None:
        from ..model.commands import Compound, RemoveTake, set_shot

        shot = self.session.current_shot()
        ids = self.selected_take_ids()
        if shot is None or not ids:
            return
        if len(ids) == 1:
            self.session.apply(remove_take(self.session.project, shot.id, ids[0]))
            return
        commands = []
        if shot.selected_take_id in ids:  # fall back to the newest good take that stays
            remaining = [t for t in shot.takes if t.id not in ids and t.status.value == "done"]
            commands += [set_shot(shot.id, "selected_take_id", remaining[-1].id if remaining else None),
                         set_shot(shot.id, "take_pinned", False)]
        commands += [RemoveTake(shot.id, take_id) for take_id in ids]
        self.session.apply(Compound(commands, f"Delete {len(ids)} takes"))

    def compare_selected(self) -> QDialog | None:
        ids = self.selected_take_ids()
        shot = self.session.current_shot()
        if shot is None or len(ids) != 2:
            self.session.message.emit("Select two takes to compare")
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Shot {shot.number}: compare takes")
        row = QHBoxLayout(dialog)
        bundle = BundlePaths(self.session.document.bundle)
        for take_id in ids:
            take = shot.take(take_id)
            column = QVBoxLayout()
            picture = QLabel()
            image = self.thumbnails.get(str(bundle.media_path(take.media_path))) if take and take.media_path else None
            if image is not None:
                picture.setPixmap(QPixmap.fromImage(image).scaledToWidth(480, Qt.SmoothTransformation))
            column.addWidget(picture)
            column.addWidget(QLabel(f"{take.generator_id} · seed {take.seed} · {take.created_at[:16]}"))
            row.addLayout(column)
        dialog.show()
        return dialog
