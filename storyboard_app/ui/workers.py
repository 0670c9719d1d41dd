"""Background work for the UI: a QRunnable with a signals object (superqt's thread_worker
pattern), so nothing slow ever runs on the UI thread."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class WorkerSignals(QObject):
    finished = Signal(object)  # the result
    failed = Signal(str)  # one-line error
    progress = Signal(float, str)


class Worker(QRunnable):
    """Run ``fn(*args, progress=..., **kwargs)`` on the pool; results arrive as signals on the UI thread."""

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False, **kwargs: Any):
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.with_progress = with_progress
        self.signals = WorkerSignals()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> None:
        try:
            if self.with_progress:
                self.kwargs["progress"] = lambda f, m="": self.signals.progress.emit(float(f), str(m))
                self.kwargs["cancelled"] = lambda: self.cancelled
            result = self.fn(*self.args, **self.kwargs)
        except Exception as exc:  # noqa: BLE001 - reported to the UI as a message
            traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.finished.emit(result)


def run_in_background(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
