"""Generate > Models…: the diffusers models on this machine, and fetching one on request.

A list (preset, model, present / partial / missing, size on disk), Pull with a progress bar in a
background worker (cancel keeps the partial file; the next pull resumes it), Remove. The work is
``generators.diffusers_local.hub`` (the same code as ``storyboard-app models``); nothing slow runs
on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .workers import Worker, run_in_background

COLUMNS = ("Preset", "Model", "State", "Size", "Note")


def pull_job(name: str, progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> str:
    """Worker body: pull ``name`` reporting a fraction and "12.3 MB / 2.0 GB  file"."""
    from generators.diffusers_local import hub

    def report(done: int, total: int, file: str) -> None:
        progress(done / total if total else 0.0, f"{hub.human_size(done)} / {hub.human_size(total)}  {file}")

    hub.pull(name, progress=report, cancelled=cancelled)
    status = hub.model_status(name)
    return f"{status.repo_id}: {status.state}, {hub.human_size(status.size)}"


def _ask(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No) == QMessageBox.Yes


class ModelsDialog(QDialog):
    pulled = Signal(str)  # the summary; "" when the pull failed or was cancelled

    def __init__(self, parent: QWidget | None = None, confirm: Callable[[QWidget, str, str], bool] = _ask):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(820, 420)
        self.confirm = confirm
        self.worker: Worker | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Generation never downloads: pull a model here (or `storyboard-app models pull`).")
        self.status.setWordWrap(True)
        self.pull_button = QPushButton("Pull")
        self.cancel_button = QPushButton("Cancel pull")
        self.remove_button = QPushButton("Remove")
        self.refresh_button = QPushButton("Refresh")
        self.close_button = QPushButton("Close")
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.pull_button, self.cancel_button, self.remove_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.pull_button.clicked.connect(self.pull_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self.remove_button.clicked.connect(self.remove_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.close)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    # --- list ---
    def refresh(self) -> None:
        from generators.diffusers_local import hub

        selected = self.selected_name()
        rows = hub.model_rows()
        self.table.setRowCount(len(rows))
        for row, (preset, status) in enumerate(rows):
            values = (preset.name if preset else "", status.repo_id, status.state,
                      hub.human_size(status.size) if status.size else "",
                      status.detail or (preset.note if preset else ""))
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col == 0:
                    item.setData(Qt.UserRole, preset.name if preset else status.repo_id)
                self.table.setItem(row, col, item)
            if preset is not None and preset.name == selected or status.repo_id == selected:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.UserRole)

    def state_of(self, name: str) -> str:
        for row in range(self.table.rowCount()):
            if name in (self.table.item(row, 0).data(Qt.UserRole), self.table.item(row, 1).text()):
                return self.table.item(row, 2).text()
        return ""

    def select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if name in (self.table.item(row, 0).data(Qt.UserRole), self.table.item(row, 1).text()):
                self.table.selectRow(row)
                return
        raise KeyError(name)

    def _update_buttons(self) -> None:
        busy = self.worker is not None
        chosen = self.selected_name() is not None
        self.pull_button.setEnabled(chosen and not busy)
        self.remove_button.setEnabled(chosen and not busy)
        self.cancel_button.setEnabled(busy)

    # --- pull / cancel / remove ---
    def pull_selected(self) -> Worker | None:
        name = self.selected_name()
        if name is None or self.worker is not None:
            return None
        self.worker = Worker(pull_job, name, with_progress=True)
        self.worker.signals.progress.connect(self._progress)
        self.worker.signals.finished.connect(self._pulled)
        self.worker.signals.failed.connect(self._failed)
        self.progress.setValue(0)
        self.status.setText(f"Pulling {name}…")
        self._update_buttons()
        run_in_background(self.worker)
        return self.worker

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(message)

    def _pulled(self, summary: str) -> None:
        self.worker = None
        self.progress.setValue(1000)
        self.status.setText(f"Pulled {summary}")
        self.refresh()
        self.pulled.emit(summary)

    def _failed(self, message: str) -> None:
        self.worker = None
        cancelled = "cancelled" in message
        self.status.setText("Pull cancelled: the partial download stays, Pull again resumes it." if cancelled
                            else f"Pull failed: {message}")
        self.refresh()
        self.pulled.emit("")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")

    def remove_selected(self) -> int:
        from generators.diffusers_local import hub

        name = self.selected_name()
        if name is None or self.worker is not None:
            return 0
        if not self.confirm(self, "Remove model", f"Delete {name} from the Hugging Face cache ({hub.cache_dir()})?"):
            return 0
        freed = hub.remove(name)
        self.status.setText(f"Removed {name}: {hub.human_size(freed)} freed" if freed else f"{name} was not downloaded")
        self.refresh()
        return freed

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - a pull in flight stops with the dialog
        if self.worker is not None:
            self.worker.cancel()
        super().closeEvent(event)
