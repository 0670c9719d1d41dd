"""Generating from the app: the queue controller and its dock.

The generation service runs its batch on its own thread and generation itself in worker
processes; its events arrive here through a Qt signal (queued to the UI thread), where finished
takes are recorded on the project with a model command. The UI thread never generates.

The controller keeps ONE service for the open project across batches (worker processes and a
loaded model are reused, a second Generate click queues into the same executor, GPU jobs never
overlap) and shuts it down when the project closes or the app exits.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..generation.executors import ExecutorChoice, lazy_executor_factory
from ..generation.service import BatchEvent, BatchHandle, GenerationService
from ..model.commands import CommandError, record_take
from .session import ProjectSession

BADGE_FOR_STATE = {"queued": "queued", "running": "rendering"}


@dataclass
class QueueEntry:
    shot_id: str
    shot_number: str
    state: str = "queued"
    fraction: float = 0.0
    message: str = ""
    error: str = ""
    started: float | None = None
    finished: float | None = None
    batch: BatchHandle | None = field(default=None, repr=False)
    #: the planned job's key (``PlannedJob.key``): the shot id, or for a follow-up of a paid job
    #: accepted before the shot was edited, the shot id and that take's id
    key: str = ""
    outdated: bool = False

    @property
    def job_key(self) -> str:
        return self.key or self.shot_id

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or now) - self.started

    def eta(self, now: float) -> float | None:
        if self.started is None or self.finished is not None or self.fraction <= 0.05:
            return None
        return self.elapsed(now) * (1 - self.fraction) / self.fraction


class GenerationController(QObject):
    """Starts batches, tracks every shot's job, records takes on the UI thread."""

    _event = Signal(object)  # BatchEvent from the batch thread → UI thread
    updated = Signal()
    batch_finished = Signal()
    #: shot ids that were asked for but were already up to date (nothing was queued for them)
    up_to_date = Signal(list)

    def __init__(self, session: ProjectSession, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.entries: dict[str, QueueEntry] = {}
        self.batches: list[BatchHandle] = []
        self.generator_id: str | None = None  # None: the project's generator
        self.jobs: int | None = None
        #: paid remote generation (issue 14): refuse a batch whose estimate is over this (None: no
        #: cap); re-run a job whose result expired only when allowed; the last batch's estimate
        self.max_cost: float | None = None
        self.rerun_expired = False
        self.cost_note = ""
        self._batch_ids = itertools.count(1)
        self._batch_of: dict[int, str] = {}  # id(BatchHandle) → merge key of its undo step
        self._recorded: dict[str, int] = {}  # merge key → takes folded into its current step
        self._service: GenerationService | None = None
        #: where generators run (preference "Generate → Run on…"); the GUI always falls back to
        #: local workers when a Ray cluster cannot be reached, and says so in ``executor_note``
        self.executor_choice = ExecutorChoice()
        self.executor_note = ""
        self._executor_changed = False
        self._event.connect(self._on_event)

    def service(self) -> GenerationService:
        """The project's long-lived service (made on first use, remade if the bundle moved)."""
        root = self.session.document.paths.root
        stale = self._executor_changed and self._service is not None and not self._service.busy
        if self._service is not None and (self._service.paths.root != root or stale):
            self._service.shutdown()
            self._service = None
        if self._service is None:
            self._executor_changed = False
            factory = lazy_executor_factory(self.executor_choice, self._executor_warning)
            self._service = GenerationService(root, executor_factory=factory)
        return self._service

    def set_executor_choice(self, choice: ExecutorChoice) -> None:
        """Use ``choice`` from the next batch on (a running batch finishes where it started)."""
        self.executor_choice = choice
        self.executor_note = ""
        self._executor_changed = True  # the service is remade once no batch runs on it

    def _executor_warning(self, message: str) -> None:
        self.executor_note = message  # read by the main window after the batch

    @property
    def running(self) -> bool:
        """A batch still works, or its last outcomes are posted but not yet handled here (the
        batch thread finishes right after posting them; until they arrive, badges still lag)."""
        if any(not b.finished for b in self.batches):
            return True
        return any(e.finished is None and e.batch is not None and e.job_key in e.batch.outcomes
                   for e in self.entries.values())

    def generate(self, shot_ids: list[str] | None = None, only_changed: bool = False, reroll: bool = False,
                 generator_id: str | None = None, resume_only: bool = False) -> int:
        """Queue generation for shots (None: all). Returns how many jobs were queued.

        ``resume_only``: queue only shots that follow a remote job already accepted (project
        open): nothing new is submitted, so nothing is paid for without the user asking."""
        document = self.session.document
        if document.bundle is None:
            self.session.message.emit("Save the project before generating (takes live in the bundle)")
            return 0
        project = self.session.project
        shots = project.all_shots() if shot_ids is None else [project.shot(i) for i in shot_ids]
        shots = [s for s in shots if self.entries.get(s.id) is None or self.entries[s.id].finished is not None
                 or self.entries[s.id].state in ("done", "failed", "cancelled")]
        try:
            service = self.service()
            run_options = {"rerun_expired": True} if self.rerun_expired else None
            planned = service.plan(project, shots, generator_id or self.generator_id, reroll, None, run_options)
            if resume_only:
                planned = [p for p in planned if p.pending_take_id is not None]
            if not self._within_budget(planned):
                return 0
        except Exception as exc:  # noqa: BLE001 - unknown generator, bad reference path...
            self.session.message.emit(f"Can't generate: {exc}")
            return 0
        fresh = [p for p in planned if p.action == "up_to_date"]
        planned = [p for p in planned if p.action != "up_to_date"]  # nothing to do for those
        if fresh and shot_ids is not None:
            self.up_to_date.emit([p.shot_id for p in fresh])
        if not planned:
            if not fresh or shot_ids is None:
                self.session.message.emit("Nothing to generate: every take is up to date")
            return 0
        handle = service.start(planned, self._event.emit, jobs=self.jobs)
        self._batch_of[id(handle)] = f"generate-batch:{next(self._batch_ids)}"
        self.batches.append(handle)
        for item in planned:
            self.entries[item.key] = QueueEntry(item.shot_id, item.shot_number, batch=handle, key=item.key,
                                                outdated=item.outdated)
            if not item.outdated:  # the shot's badge follows its own job, not an earlier paid one
                self.session.set_job_state(item.shot_id, "queued")
        self.updated.emit()
        return len(planned)

    def _within_budget(self, planned: list) -> bool:
        """Estimate what the batch costs (shown in the queue); refuse it over ``max_cost``."""
        from ..generation.remote.cost import CostCapExceeded, enforce_cap, estimate

        found = estimate(planned)
        self.cost_note = found.describe() if (found.paid_shots or found.resumed) else ""
        try:
            enforce_cap(found, self.max_cost)
        except CostCapExceeded as exc:
            self.session.message.emit(f"Not generating: {exc}")
            self.updated.emit()
            return False
        return True

    def resume_remote_jobs(self) -> int:
        """Follow again every remote job the project's takes say was accepted but never finished
        (the app was closed or crashed mid-batch): no second submission, no second payment."""
        from ..model import TakeStatus

        by_generator: dict[str, list[str]] = {}
        for shot in self.session.project.all_shots():
            for take in shot.takes:
                if take.remote_job and take.status in (TakeStatus.QUEUED, TakeStatus.RUNNING):
                    by_generator.setdefault(take.generator_id, []).append(shot.id)
                    break
        queued = 0
        for generator_id, shot_ids in by_generator.items():
            queued += self.generate(shot_ids, generator_id=generator_id, resume_only=True)
        if queued:
            self.session.message.emit(f"Resuming {queued} remote job(s) accepted before the app closed")
        return queued

    @Slot(object)
    def _on_event(self, event: BatchEvent) -> None:
        entry = self.entries.get(event.job_key)
        if entry is None:
            return
        now = time.monotonic()
        if event.outcome is None and event.take is not None:  # a remote service accepted the job:
            self._record(entry, event, pending=True)  # on the take at once, and autosaved, so a
            self.session.autosave()  # crash resumes it instead of paying twice
        if event.outcome is None:
            entry.state = event.state.value
            if entry.state == "running" and entry.started is None:
                entry.started = now
            entry.fraction, entry.message = event.fraction, event.message
            if not entry.outdated:
                self.session.set_job_state(event.shot_id, BADGE_FOR_STATE.get(entry.state, entry.state))
        else:
            entry.state = {"generated": "done", "cached": "done", "up_to_date": "done"}.get(event.outcome,
                                                                                            event.outcome)
            entry.fraction = 1.0 if entry.state == "done" else entry.fraction
            entry.message, entry.error = event.message, event.error
            entry.started = entry.started or now
            entry.finished = now
            if not entry.outdated:
                self.session.set_job_state(event.shot_id, "")
            if event.take is not None:
                self._record(entry, event)
        self.updated.emit()
        if not self.running and all(e.finished is not None for e in self.entries.values()):
            self.batch_finished.emit()

    def _record(self, entry: QueueEntry, event: BatchEvent, pending: bool = False) -> None:
        """Record a finished take; a batch's takes fold into ONE undo step ("Generate 7 takes")
        for as long as that step is the newest one (an edit in between starts a new step), so a
        batch never buries the director's own edits under one step per shot (issue 13.8)."""
        key = self._batch_of.get(id(entry.batch), f"generate-shot:{entry.shot_id}")
        history = self.session.document.history
        # a running take (accepted remote job) is not counted: its outcome replaces it later
        count = (self._recorded.get(key, 0) if history.top_merge_key == key else 0) + (0 if pending else 1)
        try:
            command = record_take(self.session.project, event.shot_id, event.take)
        except (KeyError, CommandError):  # the shot was deleted while it generated
            return
        command.label = "Generate take" if count <= 1 else f"Generate {count} takes"
        if self.session.apply(command, merge_key=key, window=math.inf):
            self._recorded[key] = count

    def cancel(self, shot_id: str) -> None:
        entry = self.entries.get(shot_id)
        if entry is not None and entry.batch is not None and entry.finished is None:
            entry.batch.cancel_shot(shot_id)
            if entry.state == "queued":
                entry.message = "cancelling…"

    def cancel_all(self) -> None:
        for batch in self.batches:
            if not batch.finished:
                batch.cancel()

    def retry_failed(self) -> int:
        failed = list(dict.fromkeys(e.shot_id for e in self.entries.values() if e.state == "failed"))
        return self.generate(failed) if failed else 0

    @property
    def needs_attention(self) -> bool:
        """True while a job is queued or running, or a finished one failed: the dock shows then."""
        return any(e.finished is None or e.state == "failed" for e in self.entries.values())

    def summary(self) -> str:
        """One line for the status bar: "Generating 2/7", "3 failed", or "Queue idle"."""
        entries = list(self.entries.values())
        running = [e for e in entries if e.finished is None]
        failed = sum(1 for e in entries if e.state == "failed")
        if running:
            return f"Generating {len(entries) - len(running) + 1}/{len(entries)}"
        if failed:
            return f"{failed} failed"
        return "Queue idle"

    def clear_finished(self) -> None:
        self.entries = {k: e for k, e in self.entries.items() if e.finished is None}
        self.batches = [b for b in self.batches if not b.finished]
        self.updated.emit()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every batch and stop the service's worker processes (project close, app exit)."""
        self.cancel_all()
        for batch in self.batches:
            batch.wait(timeout)
        if self._service is not None:
            self._service.shutdown(timeout)
            self._service = None


PROGRESS_ROLE = Qt.UserRole + 1


class ProgressDelegate(QStyledItemDelegate):
    """Draws a cell's progress (PROGRESS_ROLE, 0-100) as a progress bar.

    A QProgressBar widget per row repaints synchronously on every setValue, and with it the
    window around it: one progress event cost a full timeline paint on the UI thread. A delegate
    paints only when the view does.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:  # noqa: ANN001
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum, bar.progress = 0, 100, int(value)
        bar.textVisible = False
        bar.state = option.state | QStyle.State_Enabled
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawControl(QStyle.CE_ProgressBar, bar, painter, option.widget)


class QueuePanel(QWidget):
    """Jobs with progress bars, elapsed and estimated time, errors; cancel and retry."""

    COLUMNS = ["Shot", "Progress", "State", "Elapsed", "ETA", "Message"]

    def __init__(self, controller: GenerationController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.progress_delegate = ProgressDelegate(self.table)
        self.table.setItemDelegateForColumn(1, self.progress_delegate)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        cancel, cancel_all = QPushButton("Cancel"), QPushButton("Cancel all")
        retry, clear = QPushButton("Retry failed"), QPushButton("Clear finished")
        cancel.clicked.connect(self._cancel_selected)
        #: the estimated cost of paid remote generation (hidden when nothing costs money)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("queueCost")
        cancel_all.clicked.connect(controller.cancel_all)
        retry.clicked.connect(controller.retry_failed)
        clear.clicked.connect(controller.clear_finished)
        buttons = QHBoxLayout()
        for button in (cancel, cancel_all, retry, clear):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.cost_label)
        layout.addWidget(self.table)
        controller.updated.connect(self.refresh)
        self.refresh()

    def _cancel_selected(self) -> None:
        for index in self.table.selectionModel().selectedRows():
            self.controller.cancel(self.table.item(index.row(), 0).data(Qt.UserRole))

    def _set_text(self, row: int, column: int, text: str) -> QTableWidgetItem:
        """Reuse the cell's item; change its text only when it differs (every progress event
        refreshes the table: new items per cell per event made the UI thread stall)."""
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem(text)
            self.table.setItem(row, column, item)
        elif item.text() != text:
            item.setText(text)
        return item

    def refresh(self) -> None:
        now = time.monotonic()
        note = self.controller.cost_note
        if self.cost_label.text() != note:
            self.cost_label.setText(note)
        self.cost_label.setVisible(bool(note))
        entries = list(self.controller.entries.values())
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            number = entry.shot_number + (" (earlier edit)" if entry.outdated else "")
            self._set_text(row, 0, number).setData(Qt.UserRole, entry.shot_id)
            progress = self._set_text(row, 1, "")
            value = int(entry.fraction * 100)
            if progress.data(PROGRESS_ROLE) != value:
                progress.setData(PROGRESS_ROLE, value)  # drawn by ProgressDelegate when the view paints
            self._set_text(row, 2, entry.state)
            self._set_text(row, 3, f"{entry.elapsed(now):.1f} s")
            eta = entry.eta(now)
            self._set_text(row, 4, "" if eta is None else f"{eta:.1f} s")
            detail = entry.error or entry.message
            self._set_text(row, 5, detail).setToolTip(detail)
