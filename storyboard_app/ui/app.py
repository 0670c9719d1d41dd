"""Starting the desktop app: QApplication, dark theme, high-DPI, the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from ..assets import resource

STYLESHEET = resource("styles", "dark.qss")  # importlib.resources: also found in a wheel


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("storyboard-app")
    app.setOrganizationName("storyboard-app")
    app.setStyle("Fusion")
    if STYLESHEET.is_file():
        app.setStyleSheet(STYLESHEET.read_text(encoding="utf-8"))
    return app  # type: ignore[return-value]


def run(project: str | None = None) -> int:
    from .main_window import MainWindow

    app = make_app()
    window = MainWindow()
    if project:
        window.open_project(project)
    window.show()
    return app.exec()
