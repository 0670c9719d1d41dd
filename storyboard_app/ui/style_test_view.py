"""The style-test view (issue 18): run a test, see the grid, enlarge a cell, star a style, adopt it.

A non-modal dialog opened from Generate > Style test…. Rows are shots, columns are styles. Work
stays off the UI thread: the batches run on the project's long-lived ``GenerationService``
(the queue's), their events come back through a signal and the takes are recorded here, on the
UI thread, through ``ProjectSession.apply`` (tagged with the style, never selected); frame grabs
for the grid run in a ``Worker``. Favourites and "Adopt this style" are undoable commands.
"""

from __future__ import annotations

import math

from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..generation.registry import DEFAULT_GENERATOR, generator_spec, load_generator_class
from ..generation.service import BatchEvent, BatchHandle
from ..generation.style_test import (
    cell_command,
    cell_takes,
    estimate,
    plan_style_test,
    resolve_styles,
    shots_of,
    style_test_batch,
)
from ..model import Compound, StyleTest, TakeStatus
from ..model.style_presets import builtin_styles
from ..model.style_tests import adopt_style, put_style_test, toggle_favourite
from .workers import Worker, run_in_background

TILE = (256, 144)


def pil_to_pixmap(image: Image.Image) -> QPixmap:
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


class StyleTestDialog(QDialog):
    """Pick shots and styles, run, compare, adopt."""

    _event = Signal(str, object)  # style id, BatchEvent (from a batch thread)
    grid_ready = Signal()
    column_rendered = Signal(str)  # the animatic file of a column, before it plays

    def __init__(self, window, parent: QWidget | None = None):  # noqa: ANN001 - MainWindow
        super().__init__(parent or window)
        self.window_ = window
        self.session = window.session
        self.setWindowTitle("Style test")
        self.resize(1200, 760)
        self.handles: list[BatchHandle] = []
        self._pending = 0
        self._runs = 0
        self._merge_key = ""
        self.cells: dict = {}
        self.frames: dict = {}
        self._grab: Worker | None = None
        self._event.connect(self._on_event)

        self.test_combo = QComboBox()
        self.test_combo.currentTextChanged.connect(self._load_test)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("test name")
        self.shots_edit = QLineEdit()
        self.shots_edit.setPlaceholderText("shot numbers, e.g. 1,2,3 (default: the current scene)")
        self.styles_list = QListWidget()
        self.styles_list.setMaximumWidth(260)
        self.run_button = QPushButton("Run style test")
        self.run_button.clicked.connect(self.run_test)
        self.status = QLabel("")
        self.table = QTableWidget()
        self.table.setIconSize(QSize(*TILE))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.cellDoubleClicked.connect(self.enlarge)
        self.table.horizontalHeader().sectionClicked.connect(lambda col: self.table.selectColumn(col))
        self.favourite_button = QPushButton("★ Favourite")
        self.favourite_button.clicked.connect(self.toggle_favourite)
        self.adopt_button = QPushButton("Adopt this style")
        self.adopt_button.clicked.connect(self.adopt_current)
        self.play_button = QPushButton("▶ Play column")
        self.play_button.setToolTip("Render this style's column as an animatic (with temp voiceover) and play it")
        self.play_button.clicked.connect(self.play_column)
        self._play: Worker | None = None
        self.enlarge_button = QPushButton("Enlarge")
        self.enlarge_button.clicked.connect(lambda: self.enlarge(self.table.currentRow(), self.table.currentColumn()))

        form = QVBoxLayout()
        form.addWidget(QLabel("Style test"))
        form.addWidget(self.test_combo)
        form.addWidget(self.name_edit)
        form.addWidget(self.shots_edit)
        form.addWidget(QLabel("Styles"))
        form.addWidget(self.styles_list, 1)
        form.addWidget(self.run_button)
        left = QWidget()
        left.setLayout(form)
        buttons = QHBoxLayout()
        for button in (self.enlarge_button, self.play_button, self.favourite_button, self.adopt_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.status)
        right = QVBoxLayout()
        right.addWidget(self.table, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(right, 1)
        self._fill_styles()
        self._fill_tests()
        self.session.changed.connect(self._project_changed)

    # --- set-up ---
    def _fill_styles(self) -> None:
        project = self.session.project
        seen = set()
        for style in [*project.styles, *builtin_styles()]:
            if style.id in seen:
                continue
            seen.add(style.id)
            item = QListWidgetItem(style.name)
            item.setData(Qt.UserRole, style.id)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.styles_list.addItem(item)

    def _fill_tests(self) -> None:
        current = self.test_combo.currentText()
        self.test_combo.blockSignals(True)
        self.test_combo.clear()
        self.test_combo.addItems([t.name for t in self.session.project.style_tests])
        self.test_combo.blockSignals(False)
        if current and current in [t.name for t in self.session.project.style_tests]:
            self.test_combo.setCurrentText(current)
        self._load_test(self.test_combo.currentText())

    def set_styles(self, keys: list[str]) -> None:
        """Check these styles (ids) in the list (the tests and keyboard users use it)."""
        for i in range(self.styles_list.count()):
            item = self.styles_list.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in keys else Qt.Unchecked)

    def checked_styles(self) -> list[str]:
        return [self.styles_list.item(i).data(Qt.UserRole) for i in range(self.styles_list.count())
                if self.styles_list.item(i).checkState() == Qt.Checked]

    @property
    def test(self) -> StyleTest | None:
        try:
            return self.session.project.style_test(self.test_combo.currentText())
        except KeyError:
            return None

    @Slot(str)
    def _load_test(self, name: str) -> None:
        test = self.test
        if test is None:
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        self.name_edit.setText(test.name)
        self.set_styles(test.style_ids)
        self.refresh_grid()

    def _project_changed(self, what: str) -> None:
        if self.isVisible() and what.startswith(("Undo", "Redo")):
            self._fill_tests()

    # --- running ---
    def run_test(self) -> int:
        """Save the test in the project and start its batch; returns the clips to make."""
        session = self.session
        project = session.project
        if session.document.bundle is None:
            self.status.setText("Save the project first: takes live in the bundle")
            return 0
        keys = self.checked_styles()
        if not keys:
            self.status.setText("Check at least one style")
            return 0
        style_ids, add = resolve_styles(project, keys)
        if add and not session.apply(Compound(add, "Add styles for a style test")):
            return 0
        numbers = [n.strip() for n in self.shots_edit.text().split(",") if n.strip()]
        if numbers:
            shots = [s for s in project.all_shots() if s.number in numbers or s.id in numbers]
        else:
            current = session.current_shot()
            scene = project.find_shot(current.id)[0] if current is not None else (
                project.sequences[0] if project.sequences else None)
            shots = list(scene.shots) if scene is not None else []
        if not shots:
            self.status.setText("No shots to test")
            return 0
        name = self.name_edit.text().strip() or ", ".join(project.style(s).name for s in style_ids)[:60]
        old = next((t for t in project.style_tests if t.name == name), None)
        test = StyleTest(name, [s.id for s in shots], style_ids, list(old.favourites) if old else [])
        if not session.apply(put_style_test(project, test)):
            return 0
        self._fill_tests()
        self.test_combo.setCurrentText(name)
        test = project.style_test(name)
        n_shots, n_styles, seconds, cost = estimate(project, test)
        service = self.window_.generation.service()
        plans = plan_style_test(project, session.document.paths.root, test, service=service)
        todo = sum(1 for planned in plans.values() for p in planned if p.action != "up_to_date")
        caps = load_generator_class(generator_spec(project.generator or DEFAULT_GENERATOR)).capabilities
        if todo and (caps.remote or caps.needs_gpu):  # time or money: ask before it starts
            answer = self.window_.ask(
                "Start the style test?",
                f"{n_shots} shots x {n_styles} styles: {todo} clips to make, {_about(seconds)}, "
                f"cost {cost}.", QMessageBox.Ok | QMessageBox.Cancel)
            if answer != QMessageBox.Ok:
                self.status.setText("Style test not started")
                return 0
        self.status.setText(f"{n_shots} shots x {n_styles} styles: {todo} to make, {_about(seconds)}, "
                            f"cost {cost}")
        self._pending = sum(len(planned) for planned in plans.values())  # outcomes still to handle here
        self._runs += 1
        self._merge_key = f"style-test:{test.name}:{self._runs}"
        # one batch for every shot x style: the job runner schedules the cells together
        self.handles = [service.start(style_test_batch(plans), lambda e: self._event.emit(e.tag, e))]
        self.run_button.setEnabled(False)
        return todo

    @property
    def running(self) -> bool:
        """Outcomes are still to arrive here (a finished batch may still have queued events)."""
        return self._pending > 0

    @Slot(str, object)
    def _on_event(self, style_id: str, event: BatchEvent) -> None:
        if event.outcome is not None and event.take is not None and event.take.status == TakeStatus.DONE:
            command = cell_command(self.session.project, event.shot_id, style_id, event.take)
            if command is not None:  # the run's takes fold into one undo step, like a batch's
                self.session.apply(command, merge_key=self._merge_key, window=math.inf)
        if event.outcome is not None:
            self._pending -= 1
            if not self.running:
                self.run_button.setEnabled(True)
                self.refresh_grid()

    # --- the grid ---
    def refresh_grid(self) -> None:
        from ..render.style_grid import grid_frames

        test = self.test
        if test is None:
            return
        project, root = self.session.project, self.session.document.paths.root
        self.cells = cell_takes(project, root, test)
        shots = shots_of(project, test)
        styles = [sid for sid in test.style_ids if any(s.id == sid for s in project.styles)]
        keep = (self.table.currentRow(), self.table.currentColumn())  # the user's cell survives a refresh
        self.table.clear()
        self.table.setRowCount(len(shots))
        self.table.setColumnCount(len(styles))
        self.table.setHorizontalHeaderLabels([("★ " if sid in test.favourites else "") + project.style(sid).name
                                              for sid in styles])
        self.table.setVerticalHeaderLabels([f"{s.number} {s.title}".strip() for s in shots])
        for row in range(len(shots)):
            self.table.setRowHeight(row, TILE[1] + 8)
            for col in range(len(styles)):
                item = QTableWidgetItem("…" if self.cells.get((shots[row].id, styles[col])) else "no take yet")
                self.table.setItem(row, col, item)
        for col in range(len(styles)):
            self.table.setColumnWidth(col, TILE[0] + 8)
        self._shots, self._styles = shots, styles
        if 0 <= keep[0] < len(shots) and 0 <= keep[1] < len(styles):
            self.table.setCurrentCell(*keep)
        worker = Worker(grid_frames, project, root, test, dict(self.cells), TILE, 2)
        # only the newest grab fills the table: an older one may finish after the table changed
        worker.signals.finished.connect(lambda grid, w=worker: self._show_frames(grid) if w is self._grab else None)
        worker.signals.failed.connect(lambda msg: self.status.setText(f"Can't show the grid: {msg}"))
        self._grab = run_in_background(worker)

    @Slot(object)
    def _show_frames(self, grid) -> None:  # noqa: ANN001 - GridFrames
        self.frames = grid.frames
        for row, shot in enumerate(self._shots):
            for col, style_id in enumerate(self._styles):
                picture = grid.frames.get((shot.id, style_id))
                item = self.table.item(row, col)
                if picture is None or item is None:
                    continue
                item.setText("")
                item.setIcon(QIcon(pil_to_pixmap(picture)))
        self.grid_ready.emit()

    def current_style(self) -> str | None:
        col = self.table.currentColumn()
        return self._styles[col] if 0 <= col < len(getattr(self, "_styles", [])) else None

    @Slot(int, int)
    def enlarge(self, row: int, col: int) -> QDialog | None:
        if not (0 <= row < len(self._shots) and 0 <= col < len(self._styles)):
            return None
        shot, style_id = self._shots[row], self._styles[col]
        take = self.cells.get((shot.id, style_id))
        from ..render.stills import placeholder, shot_frame

        project = self.session.project
        if take is None:
            picture = placeholder(shot, project.width, project.height)
        else:
            import dataclasses

            picture = shot_frame(project, self.session.document.paths.root,
                                 dataclasses.replace(shot, selected_take_id=take.id))
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Shot {shot.number} — {project.style(style_id).name}")
        label = QLabel()
        label.setPixmap(pil_to_pixmap(picture).scaled(960, 540, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        box = QVBoxLayout(dialog)
        box.addWidget(label)
        dialog.show()
        self.enlarged = dialog
        return dialog

    def play_column(self) -> bool:
        """Render the current column as an animatic in the background, then play it in the
        viewer (the window's player)."""
        from ..model import Document
        from ..render.service import render_animatic
        from ..render.style_compare import style_project

        style_id, test = self.current_style(), self.test
        if style_id is None or test is None:
            self.status.setText("Pick a cell or a column first")
            return False
        folder = self.session.document.paths.cache / "style-tests"
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() else "-" for c in f"{test.name}-{style_id}")
        output = folder / f"{safe}.mp4"
        # the copy is made here, on the UI thread; the worker only reads its own copy
        view = Document(style_project(self.session.project, test, style_id, self.cells), self.session.document.bundle)
        worker = Worker(lambda: render_animatic(view, output, generate=False).output)
        worker.signals.finished.connect(self._play_rendered)
        worker.signals.failed.connect(lambda msg: self.status.setText(f"Can't play the column: {msg}"))
        self.status.setText(f"Rendering {self.session.project.style(style_id).name}…")
        self._play = run_in_background(worker)
        return True

    @Slot(object)
    def _play_rendered(self, path) -> None:  # noqa: ANN001 - Path
        self.status.setText("Playing in the viewer")
        self.column_rendered.emit(str(path))
        player = getattr(self.window_, "player", None)
        if player is not None:
            player.play_take(path)

    def toggle_favourite(self) -> None:
        style_id, test = self.current_style(), self.test
        if style_id is None or test is None:
            self.status.setText("Pick a cell or a column first")
            return
        if self.session.apply(toggle_favourite(self.session.project, test.name, style_id)):
            self.refresh_grid()

    def adopt_current(self) -> bool:
        """One undoable step: the project style becomes this column's, its takes are selected."""
        style_id, test = self.current_style(), self.test
        if style_id is None or test is None:
            self.status.setText("Pick a cell or a column first")
            return False
        takes = {shot_id: take.id for (shot_id, sid), take in self.cells.items() if sid == style_id and take}
        ok = self.session.apply(adopt_style(self.session.project, style_id, takes))
        if ok:
            self.status.setText(f"Adopted {self.session.project.style(style_id).name} "
                                f"({len(takes)} takes selected) — Undo reverts it")
        return ok

    def done(self, result: int) -> None:  # closing: batches keep running on the service
        self.session.changed.disconnect(self._project_changed)
        super().done(result)


def _about(seconds: float) -> str:
    """"about 40 s", "about 12 min", "about 2.5 h": an estimate, said as one."""
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def open_style_test(window) -> StyleTestDialog:  # noqa: ANN001 - MainWindow
    dialog = StyleTestDialog(window)
    dialog.show()
    window.style_test_dialog = dialog
    return dialog
