"""The main window: timeline along the bottom, inspector on the right, characters and styles
docks, the viewer in the middle; menus, toolbar, status bar, recent projects, autosave and
recovery, and "unsaved changes" on close."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..generation.executors import ExecutorChoice
from ..media.imports import MediaImportError, import_media
from ..model import Document, Project, ProjectError, Sequence, Take, TakeStatus, new_id
from ..model.bundle import bundle_path_for, recovery_available
from ..model.commands import record_take
from . import (
    deliverables_dialog,  # issue 17
    icons,
    voices_page,  # issue 15
)
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
from .workers import Worker, run_in_background

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


#: keys that are not menu actions (shown in Help > Keyboard shortcuts)
TRANSPORT_KEYS = [
    ("Play / pause (viewer, timeline)", "Space"),
    ("Shuttle back / pause / forward", "J / K / L"),
    ("Step a frame (viewer)", "Left / Right"),
    ("Previous / next shot (viewer)", "Up / Down"),
    ("Previous / next shot (timeline)", "Left / Right"),
    ("Zoom the timeline", "Ctrl+wheel, + / -"),
]


def action_tooltip(act: QAction, tip: str = "") -> str:
    """"Insert shot (Ctrl+I)" or "Insert a new shot… (Ctrl+I)": every tooltip names its shortcut."""
    text = tip or act.text().replace("&", "").rstrip("…")
    keys = act.shortcut().toString(QKeySequence.NativeText)
    return f"{text} ({keys})" if keys else text


def menu_actions(menu_bar) -> list[QAction]:  # noqa: ANN001
    """Every action in the menus, submenus included (separators and submenu entries left out)."""
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for act in menu.actions():
            if act.menu() is not None:
                walk(act.menu())
            elif not act.isSeparator():
                found.append(act)

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu())
    return found


_fonts_warm = False


def _warm_up_fonts() -> None:
    """Parse the burn-in fonts' coverage once per process, in the thread pool: the viewer's first
    burn-in would otherwise spend ~0.1-0.2 s of the UI thread on it."""
    global _fonts_warm
    if _fonts_warm:
        return
    _fonts_warm = True
    from ..render.text import warm_up

    QThreadPool.globalInstance().start(warm_up)


class MainWindow(QMainWindow):
    fit_finished = Signal()
    #: the script-import preview is showing (the dialog), or the script could not be read (None)
    script_import_ready = Signal(object)

    def __init__(self, document: Document | None = None, settings: QSettings | None = None,
                 ask: Ask | None = None, autosave_seconds: float = AUTOSAVE_SECONDS):
        super().__init__()
        self.settings = settings or QSettings("storyboard-app", "storyboard-app")
        self.ask = ask or _ask_with_dialog(self)
        self.autosave_seconds = autosave_seconds
        self.thumbnails = ThumbnailCache(self)
        _warm_up_fonts()
        self.session: ProjectSession | None = None
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_actions()
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status)
        self._queue_busy: bool | None = None
        self._fit_worker: Worker | None = None
        self._saved_state = self.settings.value("window/state")
        self.set_document(document or new_document())
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1480, 900)

    # --- building ---
    def _build_actions(self) -> None:
        def action(text: str, slot, shortcut=None, icon_name: str | None = None, tip: str = "") -> QAction:  # noqa: ANN001
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            if icon_name is not None:
                act.setIcon(icons.icon(icon_name))
            act.setToolTip(action_tooltip(act, tip))
            act.triggered.connect(slot)
            return act

        self.act_new = action("&New", self.new_project, QKeySequence.New, "new", "New empty project")
        self.act_open = action("&Open…", self.open_dialog, QKeySequence.Open, "open", "Open a .sbproj project")
        self.act_save = action("&Save", self.save, QKeySequence.Save, "save")
        self.act_save_as = action("Save &As…", self.save_as_dialog, QKeySequence.SaveAs)
        self.act_import_image = action("&Import image as panel…", self.import_image_dialog, "Ctrl+Shift+I",
                                       "import_image", "Use a drawing or photo as the selected shot's take")
        self.act_import_script = action("Import &script…", self.import_script_dialog, "Ctrl+Shift+J", None,
                                        "A Fountain screenplay or a shot-list CSV into scenes and shots "
                                        "(a revised script updates the project)")
        self.act_settings = action("Project se&ttings…", self.project_settings_dialog, "Ctrl+,", "settings",
                                   "Title, frame rate, size and generator")
        self.act_quit = action("&Quit", self.close, QKeySequence.Quit)
        self.act_undo = action("&Undo", lambda: self.session.undo(), QKeySequence.Undo, "undo")
        self.act_redo = action("&Redo", lambda: self.session.redo(), "Ctrl+Shift+Z", "redo")
        self.act_insert = action("&Insert shot", lambda: self.timeline.canvas.insert_shot(), "Ctrl+I",
                                 "insert_shot", "Insert a new shot after the selected one")
        self.act_duplicate = action("&Duplicate shot", lambda: self.timeline.canvas.duplicate_selected(), "Ctrl+D",
                                    "duplicate")
        self.act_split = action("S&plit at playhead", lambda: self.timeline.canvas.split_selected(), "Ctrl+K",
                                "split")
        self.act_delete = action("De&lete shot", lambda: self.timeline.canvas.delete_selected(), QKeySequence.Delete,
                                 "delete_shot")
        self.act_renumber = action("Re&number shots", self.renumber_shots, "Ctrl+Shift+N", "renumber",
                                   "Number all shots 1, 2, 3… in timeline order")
        self.act_fit = action("&Fit shot to dialogue", self.fit_selected_to_dialogue, "Ctrl+Shift+F", "fit",
                              "Lengthen the selected shots so their dialogue ends inside them")
        self.act_zoom_in = action("Zoom &in", lambda: self.timeline.canvas.zoom(1.25), "Ctrl+=")
        self.act_zoom_out = action("Zoom &out", lambda: self.timeline.canvas.zoom(0.8), "Ctrl+-")
        self.act_add_scene = action("Add &scene", self.add_scene, None, "scene")
        self.act_rename_scene = action("&Rename scene…", lambda: self.rename_scene(), "F2")
        self.act_delete_scene = action("Delete sc&ene", lambda: self.delete_scene())
        self.act_generate_selected = action("Generate &selected", lambda: self.generate("selected"), "Ctrl+G",
                                            "generate", "Generate takes for the selected shots (skips up-to-date ones)")
        self.act_new_take = action("&New take", self.new_take, "Ctrl+R", "new_take",
                                   "Another take of the selected shots with a new seed")
        self.act_generate_scene = action("Generate s&cene", lambda: self.generate("scene"))
        self.act_generate_all = action("Generate &all", lambda: self.generate("all"), "Ctrl+Shift+G", "generate_all")
        self.act_generate_changed = action("Generate only &changed", lambda: self.generate("changed"))
        self.act_executor = action("Run generators &on…", lambda: self.choose_executor(),
                                   tip="local worker processes, or a Ray cluster (address)")
        self.act_play = action("&Play / pause", lambda: self.player.toggle(), None, "play",
                               "Play the animatic from the playhead (Space)")
        self.act_export = action("&Animatic (MP4)…", self.export_dialog, "Ctrl+E", "export", "Export the animatic")
        self.act_shortcuts = action("&Keyboard shortcuts", self.shortcuts_dialog, "F1", "shortcuts")
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for act in (self.act_new, self.act_open):
            file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        for act in (self.act_save, self.act_save_as):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(self.act_import_image)
        file_menu.addAction(self.act_import_script)
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.addAction(self.act_export)
        # issue 17 hook: File > Export > PDF/edit/subtitles/stills, File > Import edited cut
        deliverables_dialog.install_menu_actions(self, self.export_menu, file_menu)
        file_menu.addSeparator()
        self.act_empty_trash = file_menu.addAction("Empty &trash…", self.empty_trash)
        file_menu.addSeparator()
        file_menu.addAction(self.act_settings)
        voices_page.install_menu_action(self, file_menu)  # issue 15: File > Voices…
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = menu.addMenu("&Edit")
        for act in (self.act_undo, self.act_redo):
            edit.addAction(act)
        edit.addSeparator()
        for act in (self.act_insert, self.act_duplicate, self.act_split, self.act_delete, None, self.act_renumber,
                    self.act_fit):
            edit.addSeparator() if act is None else edit.addAction(act)
        scene_menu = menu.addMenu("&Scene")
        for act in (self.act_add_scene, self.act_rename_scene, self.act_delete_scene):
            scene_menu.addAction(act)
        gen_menu = menu.addMenu("&Generate")
        for act in (self.act_generate_selected, self.act_new_take, self.act_generate_scene, self.act_generate_all,
                    self.act_generate_changed):
            gen_menu.addAction(act)
        gen_menu.addSeparator()
        gen_menu.addAction(self.act_executor)
        self.act_remote = gen_menu.addAction("&Remote services…", self.open_remote_services)  # issue 14
        self.act_style_test = gen_menu.addAction("&Style test…", self.open_style_test)  # issue 18
        self.act_models = gen_menu.addAction("&Models…", self.open_models)  # issue 15: pull / remove models
        self.view_menu = menu.addMenu("&View")
        for act in (self.act_zoom_in, self.act_zoom_out):
            self.view_menu.addAction(act)
        self.act_overlay = QAction("&Burn-ins over the picture", self)
        self.act_overlay.setCheckable(True)
        self.act_overlay.setChecked(True)
        self.act_overlay.setToolTip("Show the export's shot label, timecode and subtitles in the viewer")
        self.act_overlay.toggled.connect(self._overlay_toggled)
        self.view_menu.addAction(self.act_overlay)
        self.act_time_frames = self._time_format_action()
        self.view_menu.addAction(self.act_time_frames)
        self._view_docks_separator = self.view_menu.addSeparator()
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)
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
        from .generator_status import GeneratorStatus

        # remote ones say whether their key is set, or (asked in the background) whether their
        # server answers
        self.generator_status = GeneratorStatus(self)
        self.generator_status.checked.connect(self._generator_checked)
        self.generator_combo.addItem("project generator", None)
        for generator_id in sorted(generator_specs()):
            self.generator_combo.addItem(self.generator_status.label(generator_id), generator_id)
        self.generator_combo.currentIndexChanged.connect(
            lambda _i: setattr(self.generation, "generator_id", self.generator_combo.currentData()))
        toolbar.addWidget(self.generator_combo)
        self.style_combo = QComboBox()
        self.style_combo.setToolTip("project style")
        self.style_combo.activated.connect(self._style_chosen)
        toolbar.addWidget(self.style_combo)
        for act in (self.act_generate_selected, self.act_new_take, self.act_generate_all, None, self.act_export):
            if act is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(act)
        self.toolbar = toolbar
        # the Queue dock shows only while jobs exist; otherwise this indicator stands in for it
        self.queue_indicator = QToolButton()
        self.queue_indicator.setAutoRaise(True)
        self.queue_indicator.setIcon(icons.icon("queue"))
        self.queue_indicator.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.queue_indicator.setToolTip("Generation queue: click to show or hide it")
        self.queue_indicator.clicked.connect(lambda: self.docks["queue"].setVisible(not self.docks["queue"].isVisible()))
        self.statusBar().addPermanentWidget(self.queue_indicator)
        # "Shot 3 is up to date" comes with a button that makes a new take (issue 13.7)
        self.new_take_button = QPushButton("New take")
        self.new_take_button.setToolTip(self.act_new_take.toolTip())
        self.new_take_button.clicked.connect(self.new_take)
        self.new_take_button.hide()
        # permanent (right-hand) side, so it never covers the message it belongs to
        self.statusBar().insertPermanentWidget(0, self.new_take_button)
        self._up_to_date_timer = QTimer(self)
        self._up_to_date_timer.setSingleShot(True)
        self._up_to_date_timer.timeout.connect(self.new_take_button.hide)

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
        self.generation.updated.connect(self._queue_updated)
        self.generation.up_to_date.connect(self._shots_up_to_date)
        self.generation.set_executor_choice(self._executor_preference())
        from .remote_keys import paid_preferences

        self.generation.max_cost, self.generation.rerun_expired = paid_preferences(self.settings)
        self.generation.batch_finished.connect(self._executor_note)
        self.queue_panel = QueuePanel(self.generation)
        self.player = Player(self.session, self.viewer, self)
        if not self.act_overlay.isChecked():
            self.viewer.set_burnins(False)
        self.takes = TakesPanel(self.session, self.thumbnails, play=self.player.play_take)
        self.session.changed.connect(lambda _w: self._refresh_style_combo())
        self._refresh_style_combo()
        self._shortcuts(splitter)
        self.timeline.canvas.setContextMenuPolicy(Qt.CustomContextMenu)
        self.timeline.canvas.customContextMenuRequested.connect(self._timeline_menu)
        panels = (
            ("inspector", "Shot", self.inspector, Qt.RightDockWidgetArea),
            # the character (voice picker) and style (editor) panels are taller than a laptop
            # screen's share of the left column: they scroll instead of growing the window
            ("characters", "Characters", _scrolling(self.characters), Qt.LeftDockWidgetArea),
            ("styles", "Styles", _scrolling(self.styles), Qt.LeftDockWidgetArea),
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
            self._queue_updated()
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
        actions = self.view_menu.actions()
        fixed = actions.index(self._view_docks_separator) + 1  # the dock toggles follow it
        for action in actions[fixed:]:
            self.view_menu.removeAction(action)
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self._queue_updated()

    def open_models(self):  # noqa: ANN201 - Generate > Models… (issue 15)
        from .models_dialog import ModelsDialog

        dialog = ModelsDialog(self, confirm=lambda parent, title, text: self.ask(title, text, QMessageBox.Yes | QMessageBox.No) == QMessageBox.Yes)
        dialog.show()
        self.models_dialog = dialog
        return dialog

    def open_style_test(self):  # noqa: ANN201 - StyleTestDialog
        from .style_test_view import open_style_test

        return open_style_test(self)

    def _overlay_toggled(self, on: bool) -> None:
        self.viewer.set_burnins(on)

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
            # the previous document's views must stop listening to the window-wide thumbnail
            # cache before they are deleted, or a late thumbnail reaches a dead widget (13.6)
            for view in (self.viewer, self.timeline.canvas, self.takes):
                view.detach()
            self.player.deleteLater()
            self.generation.deleteLater()
        if self.session is not None:
            self.session.close()
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
        if document.bundle is not None and not document.read_only:
            self.generation.resume_remote_jobs()  # accepted paid jobs finish, never resubmitted
        self.refresh_generator_status()

    def refresh_generator_status(self) -> None:
        """Re-label the generator picker: key status now, server probes (with the open project's
        settings) in the background; ``_generator_checked`` updates an item when its probe returns."""
        ids = [self.generator_combo.itemData(i) for i in range(self.generator_combo.count())]
        ids = [i for i in ids if i is not None]
        settings = dict(self.session.project.generator_settings) if self.session is not None else {}
        self.generator_status.refresh(ids, settings)
        for index in range(self.generator_combo.count()):
            generator_id = self.generator_combo.itemData(index)
            if generator_id is not None:
                self.generator_combo.setItemText(index, self.generator_status.label(generator_id))
                self.generator_combo.setItemData(index, "", Qt.ToolTipRole)

    def _generator_checked(self, generator_id: str, label: str, detail: str) -> None:
        index = self.generator_combo.findData(generator_id)
        if index >= 0:
            self.generator_combo.setItemText(index, label)
            self.generator_combo.setItemData(index, detail, Qt.ToolTipRole)

    def open_remote_services(self) -> None:
        """Generate > Remote services…: keys (OS keyring), cost cap, re-run of expired results."""
        from .remote_keys import RemoteKeysDialog, paid_preferences

        dialog = RemoteKeysDialog(self.settings, self)
        if dialog.exec() and self.session is not None:
            self.generation.max_cost, self.generation.rerun_expired = paid_preferences(self.settings)
        self.refresh_generator_status()
        dialog.deleteLater()

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
                             f"{project.width}x{project.height} @ {project.rate_label} fps · {project.generator}")

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
        if document.read_only:
            self.statusBar().showMessage(f"Opened read-only: {document.read_only}", 15000)
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

    def empty_trash(self) -> None:
        """File > Empty trash: deleted takes' files are kept for undo until this (or 30 days)."""
        answer = self.ask("Empty trash", "Delete the files of deleted takes for good? Undoing a take "
                          "deletion will then no longer bring its clip back.",
                          QMessageBox.Yes | QMessageBox.No)
        if answer == QMessageBox.Yes:
            self.session.empty_trash()

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

    # --- shots and scenes ---
    def renumber_shots(self) -> bool:
        from ..model.commands import renumber_shots

        command = renumber_shots(self.session.project)
        if command is None:
            self.statusBar().showMessage("Shots are already numbered 1, 2, 3…", 4000)
            return False
        return self.session.apply(command)

    def _scene_for(self, sequence_id: str | None) -> Sequence | None:
        project = self.session.project
        if sequence_id is None:
            shot = self.session.current_shot()
            if shot is not None:
                return project.find_shot(shot.id)[0]
            return project.sequences[-1] if project.sequences else None
        try:
            return project.sequence(sequence_id)
        except KeyError:
            return None

    def rename_scene(self, sequence_id: str | None = None, name: str | None = None) -> bool:
        """Rename a scene (the selected shot's by default); asks for the name unless given."""
        from ..model import Ref, SetField

        scene = self._scene_for(sequence_id)
        if scene is None:
            return False
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename scene", "Scene heading (e.g. EXT. MARKET - NIGHT):",
                                            text=scene.name)
            if not ok:
                return False
        name = name.strip()
        if not name or name == scene.name:
            return False
        return self.session.apply(SetField(Ref("sequence", (scene.id,)), "name", name, "Rename scene"))

    def delete_scene(self, sequence_id: str | None = None) -> bool:
        """Delete a scene and its shots (undoable); the last scene stays."""
        from ..model.commands import RemoveSequence

        scene = self._scene_for(sequence_id)
        if scene is None:
            return False
        if len(self.session.project.sequences) == 1:
            self.statusBar().showMessage("A project keeps at least one scene", 5000)
            return False
        return self.session.apply(RemoveSequence(scene.id))

    def _timeline_menu(self, pos: QPoint) -> QMenu:
        """Right-click on a card (shot actions) or on a scene header (scene actions)."""
        from .timeline import CARD_TOP, RULER_H

        canvas = self.timeline.canvas
        menu = QMenu(self)
        if RULER_H <= pos.y() < CARD_TOP:
            scene = next((sc for sc in canvas.scenes if sc.x0 <= pos.x() <= sc.x1), None)
            if scene is not None:
                menu.addAction("Rename scene…", lambda sid=scene.sequence_id: self.rename_scene(sid))
                menu.addAction("Delete scene", lambda sid=scene.sequence_id: self.delete_scene(sid))
            menu.addAction(self.act_add_scene)
        else:
            card = canvas.card_at(pos.x())
            if card is not None and card.shot_id not in self.session.selection:
                self.session.select([card.shot_id])
            if card is not None:
                for act in (self.act_generate_selected, self.act_new_take, None, self.act_fit, self.act_duplicate,
                            self.act_split, self.act_delete, None, self.act_import_image):
                    menu.addSeparator() if act is None else menu.addAction(act)
                menu.addSeparator()
            menu.addAction(self.act_insert)
            menu.addAction(self.act_renumber)
        self.last_context_menu = menu
        menu.popup(canvas.mapToGlobal(pos))
        return menu

    def fit_selected_to_dialogue(self) -> Worker | None:
        """Measure the selected shots' voiced dialogue (off the UI thread: it may synthesise) and
        lengthen those it overflows, in one undo step: the CLI's ``voice --fit``."""
        from ..voice import fit_shots_to_dialogue
        from ..voice.service import VoiceService
        from .timeline import dialogue_signature

        ids = [i for i in self.session.selection]
        shots = [self.session.project.shot(i) for i in ids]
        shots = [s for s in shots if s.dialogue]
        if not shots:
            self.statusBar().showMessage("Select a shot with dialogue to fit", 4000)
            return None
        if self.session.document.bundle is None:
            self.statusBar().showMessage("Save the project first (voiced lines are cached in it)", 5000)
            return None
        snapshot = copy.deepcopy(self.session.project)
        root = self.session.document.paths.root

        def job():  # noqa: ANN202 - worker thread
            service = VoiceService(root)
            return [service.timing(snapshot, shot.id) for shot in shots]

        def done(timings) -> None:  # noqa: ANN001
            self._fit_worker = None
            for timing in timings:
                with contextlib.suppress(KeyError):
                    shot = self.session.project.shot(timing.shot_id)
                    self.session.exact_vo[shot.id] = (dialogue_signature(self.session.project, shot), timing.vo_frames)
            project = self.session.project
            live = [t for t in timings if any(s.id == t.shot_id for s in project.all_shots())]
            command = fit_shots_to_dialogue(project, live)
            if command is None:
                self.statusBar().showMessage("The dialogue already fits", 4000)
                self.timeline.canvas.update()
            else:
                command.label = "Fit shot to dialogue" if len(live) == 1 else "Fit shots to dialogue"
                self.session.apply(command)
                self.statusBar().showMessage("Fitted to the dialogue", 4000)
            self.fit_finished.emit()

        def failed(message: str) -> None:
            self._fit_worker = None
            self.statusBar().showMessage(f"Can't fit: {message}", 8000)
            self.fit_finished.emit()

        self._fit_worker = Worker(job)
        self._fit_worker.signals.finished.connect(done)
        self._fit_worker.signals.failed.connect(failed)
        self.statusBar().showMessage("Measuring the dialogue…")
        run_in_background(self._fit_worker)
        return self._fit_worker

    # --- generation feedback ---
    def new_take(self) -> int:
        """Generate another take of the selected shots with a new seed (reroll). A shot whose seed
        is locked would come out the same, so it is named instead of silently re-rendered."""
        self.new_take_button.hide()
        ids = list(self.session.selection)
        if not ids:
            self.statusBar().showMessage("Select shots for a new take", 4000)
            return 0
        project = self.session.project
        locked = [project.shot(i) for i in ids if project.shot(i).seed_locked]
        free = [i for i in ids if not project.shot(i).seed_locked]
        if locked:
            numbers = ", ".join(s.number for s in locked)
            self.statusBar().showMessage(f"Shot {numbers}: seed locked, a new take would look the same — "
                                         "unlock the seed in the Shot inspector to vary it", 8000)
        return self.generation.generate(free, reroll=True) if free else 0

    def _executor_preference(self) -> ExecutorChoice:
        """Preference "Run generators on…": a Ray address (auto, HOST:PORT, ray://HOST:PORT) or
        empty for local worker processes. The GUI falls back to local workers, with a message,
        when the cluster cannot be reached."""
        address = str(self.settings.value("generation/ray_address", "") or "").strip()
        return ExecutorChoice("ray", address, fallback=True) if address else ExecutorChoice()

    def choose_executor(self, address: str | None = None) -> None:
        """Ask for (or set) the Ray address; empty means local worker processes."""
        if address is None:
            current = str(self.settings.value("generation/ray_address", "") or "")
            address, ok = QInputDialog.getText(
                self, "Run generators on", "Ray cluster address (auto, HOST:PORT or ray://HOST:PORT);\n"
                "empty: worker processes on this computer", text=current)
            if not ok:
                return
        self.settings.setValue("generation/ray_address", address.strip())
        self.generation.set_executor_choice(self._executor_preference())
        where = f"the Ray cluster at {address.strip()}" if address.strip() else "local worker processes"
        self.statusBar().showMessage(f"Generators run on {where} from the next batch", 6000)

    def _executor_note(self) -> None:
        if self.generation.executor_note:
            self.statusBar().showMessage(self.generation.executor_note, 15000)

    def _shots_up_to_date(self, shot_ids: list) -> None:
        numbers = []
        for shot_id in shot_ids:
            with contextlib.suppress(KeyError):
                numbers.append(self.session.project.shot(shot_id).number)
        which = f"Shot {numbers[0]} is" if len(numbers) == 1 else f"Shots {', '.join(numbers)} are"
        shortcut = self.act_new_take.shortcut().toString(QKeySequence.NativeText)
        self.statusBar().showMessage(f"{which} up to date — New take ({shortcut}) makes another with a new seed",
                                     10000)
        self.new_take_button.show()
        self._up_to_date_timer.start(10000)

    def _queue_updated(self) -> None:
        """The Queue dock shows while jobs run or failed; the viewer gets the space otherwise."""
        if not getattr(self, "docks", None):
            return
        busy = self.generation.needs_attention
        if busy != self._queue_busy:
            self._queue_busy = busy
            self.docks["queue"].setVisible(busy)
        self.queue_indicator.setText(self.generation.summary())

    # --- dialogs ---
    def import_image_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Import image as panel", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        return self.import_image_take(Path(path)) if path else False

    def import_script_dialog(self) -> Worker | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import script", "",
                                              "Scripts (*.fountain *.spmd *.csv);;All files (*)")
        return self.import_script(Path(path)) if path else None

    def import_script(self, path: Path) -> Worker:
        """Read and plan the import of ``path`` (Fountain or CSV) on the thread pool, then show
        the preview; Apply makes it one undoable edit. ``script_import_ready`` says when."""
        from ..script import load_script, plan_import
        from .script_import import ScriptImportDialog

        path = Path(path)
        snapshot = copy.deepcopy(self.session.project)

        def job():  # noqa: ANN202 - worker thread
            draft = load_script(path)
            return draft, plan_import(snapshot, draft)

        def done(result) -> None:  # noqa: ANN001
            self._script_worker = None
            draft, plan = result
            if self.session.project != snapshot:  # edited while it was read: plan on what is there now
                plan = plan_import(self.session.project, draft)
            dialog = ScriptImportDialog(plan, path.name, self)
            dialog.accepted.connect(lambda: self._apply_import(plan))
            dialog.show()
            self.script_import_dialog = dialog
            self.script_import_ready.emit(dialog)

        def failed(message: str) -> None:
            self._script_worker = None
            self.statusBar().showMessage(message, 10000)
            self.script_import_ready.emit(None)

        self.statusBar().showMessage(f"Reading {path.name}…")
        self._script_worker = Worker(job)
        self._script_worker.signals.finished.connect(done)
        self._script_worker.signals.failed.connect(failed)
        run_in_background(self._script_worker)
        return self._script_worker

    def _apply_import(self, plan) -> None:  # noqa: ANN001 - ImportPlan
        if self.session.apply(plan.command):
            shots = self.session.project.all_shots()
            if shots and not self.session.selection:
                self.session.select([shots[0].id])
            self.statusBar().showMessage(f"Imported: {plan.summary()}", 10000)

    def project_settings_dialog(self) -> QDialog:
        from .project_settings import ProjectSettingsDialog

        dialog = ProjectSettingsDialog(self.session, self)
        dialog.show()
        return dialog

    def shortcuts_dialog(self) -> QDialog:
        """Help > Keyboard shortcuts: every menu action with a shortcut, plus the transport keys."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["Command", "Keys"])
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        rows = [(a.text().replace("&", "").split("  ")[0], a.shortcut().toString(QKeySequence.NativeText))
                for a in menu_actions(self.menuBar()) if not a.shortcut().isEmpty()]
        rows += TRANSPORT_KEYS
        table.setRowCount(len(rows))
        for row, (name, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        dialog.resize(460, 560)
        dialog.show()
        self.shortcuts_table = table
        return dialog

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
            if path.suffix.lower() in (".fountain", ".csv"):
                self.import_script(path)
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
        try:
            relative = import_media(bundle, source, "image", f"media/takes/{shot_id}", stem=take_id)
        except MediaImportError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return False
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
        self.session.close()
        self.thumbnails.wait(3000)
        event.accept()


def _scrolling(panel: QWidget) -> QScrollArea:
    """``panel`` in a frameless scroll area that fills the dock, so a tall panel scrolls rather
    than forcing its minimum height on the whole window."""
    area = QScrollArea()
    area.setObjectName(f"{panel.objectName() or type(panel).__name__}Scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.NoFrame)
    area.setWidget(panel)
    return area
