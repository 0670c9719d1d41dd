"""Qt tests run offscreen; no modal dialog may block; no test may leave threads running."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402


class Answers:
    """Stands in for QMessageBox questions: pops scripted answers, records what was asked."""

    def __init__(self) -> None:
        self.queue: list[QMessageBox.StandardButton] = []
        self.asked: list[str] = []
        self.texts: list[str] = []  # the question's text, in the order asked

    def __call__(self, title: str, text: str, buttons) -> QMessageBox.StandardButton:  # noqa: ANN001
        self.asked.append(title)
        self.texts.append(text)
        if not self.queue:
            raise AssertionError(f"unexpected question: {title}")
        return self.queue.pop(0)


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def make_window(qtbot, tmp_path: Path, answers: Answers):
    from storyboard_app.ui.main_window import MainWindow

    windows = []

    def make(document=None, autosave_seconds: float = 3600):  # noqa: ANN001, ANN202
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
        window = MainWindow(document, settings=settings, ask=answers, autosave_seconds=autosave_seconds)
        window.resize(1400, 860)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # closed here, not by qtbot: its hook runs before this teardown
        window.session.document.history.mark_saved()  # nothing to ask on close
        window.close()
        window.thumbnails.wait(5000)
        window.deleteLater()
    QApplication.processEvents()


@pytest.fixture(autouse=True)
def no_leftover_threads(qapp: QApplication):
    """napari-style leak check: a test must not leave background work running."""
    yield
    assert QThreadPool.globalInstance().waitForDone(10000), "a test left work in the global thread pool"
