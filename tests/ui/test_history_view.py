"""The History dock follows edits cheaply: nothing while off screen, then only changed rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def labels(view) -> list[str]:  # noqa: ANN001
    return [view.item(i).text() for i in range(view.count())]


def test_history_catches_up_when_shown_and_jumps_on_click(make_window, qtbot):
    window = make_window()
    view = window.history_view
    calls = []
    original = view.refresh
    view.refresh = lambda: (calls.append(1), original())[1]  # type: ignore[method-assign]
    window.docks["styles"].raise_()  # History is the tab behind Styles: off screen
    qtbot.waitUntil(lambda: view.visibleRegion().isEmpty(), timeout=3000)
    for _ in range(3):
        window.act_insert.trigger()
        QApplication.processEvents()
    assert not calls  # no work for a view nobody sees
    window.docks["history"].raise_()
    qtbot.waitUntil(lambda: labels(view) == ["(opened)", "Insert shot", "Insert shot", "Insert shot"], timeout=3000)
    window.act_undo.trigger()
    qtbot.waitUntil(lambda: view.currentRow() == 2, timeout=3000)
    assert labels(view)[-1] == "Insert shot" and view.item(3).foreground().color().name() == "#6b7080"
    assert len(window.session.project.all_shots()) == 2
    rect = view.visualItemRect(view.item(0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert not window.session.project.all_shots()  # jumped back to the opened state
    qtbot.waitUntil(lambda: view.currentRow() == 0, timeout=3000)
