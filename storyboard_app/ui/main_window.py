"""The main window: timeline along the bottom, inspector on the right, characters and styles
docks, the viewer in the middle; menus, toolbar, status bar, recent projects, autosave and
recovery, and "unsaved changes" on close."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStyle,
    QWidget,
)

from ..model import Document, Project, ProjectError, Sequence, Take, TakeStatus, new_id
from ..model.bundle import bundle_path_for, recovery_available
from ..model.commands import record_take
from .export_dialog import ExportDialog
from .history_view import HistoryView
from .inspector import ShotInspector
from .panels import IMAGE_SUFFIXES, CharactersPanel, StylesPanel
from .player import Player
from .queue import GenerationController, QueuePanel
from .session import ProjectSession
from .takes import TakesPanel
from .thumbnails import ThumbnailCache
from .timeline import TimelineView
from .viewer import Viewer

AUTOSAVE_SECONDS = 30
MAX_RECENT = 8

#: (title, text) -> answer; replaced in tests so no modal dialog ever blocks
Ask = Callable[[str, str, QMessageBox.StandardButtons], QMessageBox.StandardButton]


def _ask_with_dialog(parent: QWidget) -> Ask:
    def ask(title: str, text: str, buttons: QMessageBox.StandardButtons) -> QMessageBox.StandardButton:
        return QMessageBox.question(parent, title, text, buttons)

    return ask


def new_document() -> Document:
    project = Project(title="Untitled")
    project.sequences.append(Sequence(new_id("seq"), "Scene 1"))
    return Document(project)


class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None, settings: QSettings | None = None,
                 ask: Ask | None = None, autosave_seconds: float = AUTOSAVE_SECONDS):
        super().__init__()
        self.settings = settings or QSettings("storyboard-app", "storyboard-app")
        self.ask = ask or _ask_with_dialog(self)
        self.autosave_seconds = autosave_seconds
        self.thumbnails = ThumbnailCache(self)
        self.session: ProjectSession | None = None
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_actions()
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status)
        self._saved_state = self.settings.value("window/state")
        self.set_document(document or new_document())
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1480, 900)

    # --- building ---
    def _build_actions(self) -> None:
        style = self.style()

        def action(text: str, slot, shortcut=None, icon=None) -> QAction:  # noqa: ANN001
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            if icon is not None:
                act.setIcon(style.standardIcon(icon))
            act.triggered.connect(slot)
            return act

        self.act_new = action("&New", self.new_project, QKeySequence.New, QStyle.SP_FileIcon)
        self.act_open = action("&Open…", self.open_dialog, QKeySequence.Open, QStyle.SP_DialogOpenButton)
        self.act_save = action("&Save", self.save, QKeySequence.Save, QStyle.SP_DialogSaveButton)
        self.act_save_as = action("Save &As…", self.save_as_dialog, QKeySequence.SaveAs)
        self.act_quit = action("&Quit", self.close, QKeySequence.Quit)
        self.act_undo = action("&Undo", lambda: self.session.undo(), QKeySequence.Undo, QStyle.SP_ArrowBack)
        self.act_redo = action("&Redo", lambda: self.session.redo(), "Ctrl+Shift+Z", QStyle.SP_ArrowForward)
        self.act_insert = action("&Insert shot", lambda: self.timeline.canvas.insert_shot(), "Ctrl+I",
                                 QStyle.SP_FileDialogNewFolder)
        self.act_duplicate = action("&Duplicate shot", lambda: self.timeline.canvas.duplicate_selected(), "Ctrl+D")
        self.act_split = action("S&plit at playhead", lambda: self.timeline.canvas.split_selected(), "Ctrl+K")
        self.act_delete = action("De&lete shot", lambda: self.timeline.canvas.delete_selected(), QKeySequence.Delete,
                                 QStyle.SP_TrashIcon)
        self.act_zoom_in = action("Zoom &in", lambda: self.timeline.canvas.zoom(1.25), "Ctrl+=")
        self.act_zoom_out = action("Zoom &out", lambda: self.timeline.canvas.zoom(0.8), "Ctrl+-")
        self.act_add_scene = action("Add &scene", self.add_scene)
        self.act_generate_selected = action("Generate &selected", lambda: self.generate("selected"), "Ctrl+G",
                                            QStyle.SP_MediaSeekForward)
        self.act_generate_scene = action("Generate s&cene", lambda: self.generate("scene"))
        self.act_generate_all = action("Generate &all", lambda: self.generate("all"), "Ctrl+Shift+G")
        self.act_generate_changed = action("Generate only &changed", lambda: self.generate("changed"))
        self.act_play = action("&Play / pause", lambda: self.player.toggle(), None, QStyle.SP_MediaPlay)
        self.act_export = action("&Animatic (MP4)…", self.export_dialog, "Ctrl+E")
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for act in (self.act_new, self.act_open):
            file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        for act in (self.act_save, self.act_save_as):
            file_menu.addAction(act)
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.addAction(self.act_export)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = menu.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo):
            edit.addAction(act)
        edit.addSeparator()
        for act in (self.act_insert, self.act_duplicate, self.act_split, self.act_delete, self.act_add_scene):
            edit.addAction(act)
        gen_menu = menu.addMenu("&Generate")
        for act in (self.act_generate_selected, self.act_generate_scene, self.act_generate_all,
                    self.act_generate_changed):
            gen_menu.addAction(act)
        self.view_menu = menu.addMenu("&View")
        for act in (self.act_zoom_in, self.act_zoom_out):
            self.view_menu.addAction(act)
        self.act_time_frames = self._time_format_action()
        self.view_menu.addAction(self.act_time_frames)
        self.view_menu.addSeparator()
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        for act in (self.act_new, self.act_open, self.act_save, None, self.act_undo, self.act_redo, None,
                    self.act_insert, self.act_delete, None, self.act_play, None):
            if act is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(act)
        self.generator_combo = QComboBox()
        self.generator_combo.setToolTip("generator for new takes")
        from ..generation.registry import generator_specs

        self.generator_combo.addItem("project generator", None)
        for generator_id in sorted(generator_specs()):
            self.generator_combo.addItem(generator_id, generator_id)
        self.generator_combo.currentIndexChanged.connect(
            lambda _i: setattr(self.generation, "generator_id", self.generator_combo.currentData()))
        toolbar.addWidget(self.generator_combo)
        self.style_combo = QComboBox()
        self.style_combo.setToolTip("project style")
        self.style_combo.activated.connect(self._style_chosen)
        toolbar.addWidget(self.style_combo)
        for act in (self.act_generate_selected, self.act_generate_all, None, self.act_export):
            if act is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(act)
        self.toolbar = toolbar

    def _time_format_action(self) -> QAction:
        """View > Show times in frames: every view switches between "4s 12f" and "108f"."""
        from .timefmt import time_display

        act = QAction("Show times in &frames", self)
        act.setCheckable(True)
        act.setChecked(self.settings.value("view/time_format", "timecode") == "frames")
        time_display().set_mode("frames" if act.isChecked() else "timecode")

        def toggled(on: bool) -> None:
            self.settings.setValue("view/time_format", "frames" if on else "timecode")
            time_display().set_mode("frames" if on else "timecode")
            if self.session is not None:
                self._update_status()

        act.toggled.connect(toggled)
        return act

    def _build_views(self) -> None:
        assert self.session is not None
        self.viewer = Viewer(self.session, self.thumbnails)
        self.timeline = TimelineView(self.session, self.thumbnails)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.viewer)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        old = self.centralWidget()
        self.setCentralWidget(splitter)
        if old is not None:
            old.deleteLater()
        self.inspector = ShotInspector(self.session)
        self.characters = CharactersPanel(self.session)
        self.styles = StylesPanel(self.session)
        self.history_view = HistoryView(self.session)
        self.generation = GenerationController(self.session, self)
        self.generation.generator_id = self.generator_combo.currentData()
        self.queue_panel = QueuePanel(self.generation)
        self.player = Player(self.session, self.viewer, self)
        self.takes = TakesPanel(self.session, self.thumbnails, play=self.player.play_take)
        self.session.changed.connect(lambda _w: self._refresh_style_combo())
        self._refresh_style_combo()
        self._shortcuts(splitter)
        panels = (
            ("inspector", "Shot", self.inspector, Qt.RightDockWidgetArea),
            ("characters", "Characters", self.characters, Qt.LeftDockWidgetArea),
            ("styles", "Styles", self.styles, Qt.LeftDockWidgetArea),
            ("history", "History", self.history_view, Qt.LeftDockWidgetArea),
            ("takes", "Takes", self.takes, Qt.RightDockWidgetArea),
            ("queue", "Queue", self.queue_panel, Qt.BottomDockWidgetArea),
        )
        if getattr(self, "docks", None):
            # another document: the docks (and the user's layout) stay, their contents change
            for name, _title, widget, _area in panels:
                old_widget = self.docks[name].widget()
                self.docks[name].setWidget(widget)
                if old_widget is not None:
                    old_widget.deleteLater()
            return
        self.docks: dict[str, QDockWidget] = {}
        for name, title, widget, area in panels:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["styles"], self.docks["history"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["takes"])
        self.docks["styles"].raise_()
        self.docks["inspector"].raise_()
        if self._saved_state is not None:
            self.restoreState(self._saved_state)
        for action in self.view_menu.actions()[4:]:  # zoom in, zoom out, time format, separator
            self.view_menu.removeAction(action)
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())

    def _shortcuts(self, area: QWidget) -> None:
        """Transport keys on the viewer and timeline (not in text fields): space, J/K/L, and on
        the viewer left/right a frame, up/down a shot."""
        keys = {
            Qt.Key_Space: lambda: self.player.toggle(),
            Qt.Key_J: lambda: self.player.shuttle(-1),
            Qt.Key_K: lambda: self.player.shuttle(0),
            Qt.Key_L: lambda: self.player.shuttle(1),
        }
        for key, slot in keys.items():
            shortcut = QShortcut(QKeySequence(key), area)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        viewer_keys = {
            Qt.Key_Left: lambda: self.player.step(-1),
            Qt.Key_Right: lambda: self.player.step(1),
            Qt.Key_Up: lambda: self.player.step_shot(-1),
            Qt.Key_Down: lambda: self.player.step_shot(1),
        }
        for key, slot in viewer_keys.items():
            shortcut = QShortcut(QKeySequence(key), self.viewer)
            shortcut.setContext(Qt.WidgetShortcut)
            shortcut.activated.connect(slot)

    def _refresh_style_combo(self) -> None:
        from PySide6.QtCore import QSignalBlocker

        project = self.session.project
        with QSignalBlocker(self.style_combo):
            self.style_combo.clear()
            self.style_combo.addItem("no style", None)
            for style in project.styles:
                self.style_combo.addItem(style.name, style.id)
            self.style_combo.setCurrentIndex(max(self.style_combo.findData(project.style_id), 0))

    def _style_chosen(self, index: int) -> None:
        from ..model import Ref, SetField

        style_id = self.style_combo.itemData(index)
        if style_id != self.session.project.style_id:
            self.session.apply(SetField(Ref("project"), "style_id", style_id, "Set project style"))

    # --- generation and export ---
    def generate(self, scope: str) -> int:
        """Queue generation: "selected" shots, the selected shot's "scene", "all", or "changed"."""
        project = self.session.project
        if scope == "selected":
            ids = list(self.session.selection)
            if not ids:
                self.statusBar().showMessage("Select shots to generate", 4000)
                return 0
            return self.generation.generate(ids)
        if scope == "scene":
            if not self.session.selection:
                return 0
            seq = project.find_shot(self.session.selection[-1])[0]
            return self.generation.generate([s.id for s in seq.shots])
        return self.generation.generate(None, only_changed=scope == "changed")

    def export_dialog(self, open_folder: bool = True) -> ExportDialog:
        dialog = ExportDialog(self.session, self, open_folder=open_folder)
        dialog.show()
        return dialog

    # --- document ---
    def set_document(self, document: Document) -> None:
        if getattr(self, "generation", None) is not None:
            self.generation.shutdown()
            self.player.shutdown()
        if self.session is not None:
            self.session.autosave_timer.stop()
            self.session.deleteLater()
        self.session = ProjectSession(document, self)
        self.session.changed.connect(self._changed)
        self.session.dirty_changed.connect(lambda _d: self._update_title())
        self.session.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.session.selection_changed.connect(lambda _ids: self._update_status())
        self._build_views()
        if document.project.all_shots():
            self.session.select([document.project.all_shots()[0].id])
        self.session.start_autosave(self.autosave_seconds)
        self._update_title()
        self._update_status()
        self._refresh_recent()

    def _changed(self, _what: str) -> None:
        self._update_title()
        self._update_status()
        history = self.session.document.history
        self.act_undo.setEnabled(history.can_undo)
        self.act_redo.setEnabled(history.can_redo)
        self.act_undo.setText(f"&Undo {history.undo_label}" if history.undo_label else "&Undo")
        self.act_redo.setText(f"&Redo {history.redo_label}" if history.redo_label else "&Redo")

    def _update_title(self) -> None:
        doc = self.session.document
        name = doc.bundle.name if doc.bundle else "unsaved"
        self.setWindowTitle(f"{'● ' if doc.dirty else ''}{doc.project.title} — {name} — storyboard-app")

    def _update_status(self) -> None:
        from ..model.timecode import plural
        from .timefmt import time_display

        project = self.session.project
        shots = project.all_shots()
        length = time_display().duration(project.total_frames, project.fps)
        self._status.setText(f"{plural(len(shots), 'shot')} · {length} · "
                             f"{project.width}x{project.height} @ {project.fps} fps · {project.generator}")

    # --- file actions ---
    def confirm_discard(self) -> bool:
        """True when it is fine to drop the current document (saved, or the user says so)."""
        if self.session is None or not self.session.dirty:
            return True
        answer = self.ask("Unsaved changes", "Save changes to this project first?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.set_document(new_document())

    def open_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open project (.sbproj folder)")
        if path:
            self.open_project(path)

    def open_project(self, path: str | Path) -> bool:
        if not self.confirm_discard():
            return False
        root = bundle_path_for(path)
        use_recovery = None
        if recovery_available(root):
            answer = self.ask("Recover unsaved work?",
                              f"{root.name} has autosaved changes that were never saved (the app may have "
                              "crashed). Open the recovered version?", QMessageBox.Yes | QMessageBox.No)
            use_recovery = answer == QMessageBox.Yes
        try:
            document = ProjectSession.open(root, use_recovery)
        except ProjectError as exc:
            self.statusBar().showMessage(f"Can't open: {exc.summary()}", 10000)
            QMessageBox.warning(self, "Can't open project", exc.summary()) if self.isVisible() else None
            return False
        self.set_document(document)
        self._remember_recent(root)
        if use_recovery:
            self.statusBar().showMessage("Recovered unsaved changes — save to keep them", 10000)
        return True

    def save(self) -> bool:
        if self.session.document.bundle is None:
            return self.save_as_dialog()
        ok = self.session.save()
        if ok:
            self._remember_recent(self.session.document.bundle)
        return ok

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", "", "Storyboard project (*.sbproj)")
        return self.save_as(path) if path else False

    def save_as(self, path: str | Path) -> bool:
        ok = self.session.save(bundle_path_for(path))
        if ok:
            self._remember_recent(self.session.document.bundle)
            self._update_title()
        return ok

    def add_scene(self) -> None:
        from ..model.commands import InsertSequence

        project = self.session.project
        self.session.apply(InsertSequence(len(project.sequences),
                                          Sequence(new_id("seq"), f"Scene {len(project.sequences) + 1}")))

    # --- recent projects ---
    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [v for v in (value if isinstance(value, list) else [value]) if v]

    def _remember_recent(self, root: Path) -> None:
        items = [str(root)] + [r for r in self._recent() if r != str(root)]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_project(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    # --- drag and drop: images onto a shot become a take ---
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.suffix.lower() == ".fountain":
                self.statusBar().showMessage("Fountain script import is not available yet", 6000)
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                self.import_image_take(path)
        event.acceptProposedAction()

    def import_image_take(self, source: Path, shot_id: str | None = None) -> bool:
        """Copy an image into the bundle as a new take of the (selected) shot; undoable."""
        shot_id = shot_id or (self.session.selection[-1] if self.session.selection else None)
        bundle = self.session.document.bundle
        if shot_id is None or bundle is None:
            self.statusBar().showMessage("Save the project and select a shot to drop an image on it", 6000)
            return False
        take_id = new_id("take")
        relative = f"media/takes/{shot_id}/{take_id}{source.suffix.lower()}"
        target = Path(bundle) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        from datetime import UTC, datetime

        take = Take(id=take_id, generator_id="import", media_path=relative, status=TakeStatus.DONE,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"))
        return self.session.apply(record_take(self.session.project, shot_id, take))

    # --- closing ---
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.confirm_discard():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.session.autosave_timer.stop()
        self.generation.shutdown()
        self.player.shutdown()
        self.thumbnails.wait(3000)
        event.accept()
