"""Issue 17: the project's frame rate is picked from the rates editors use, 23.976 included, as
one undoable edit typed into the real combo box."""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from ui13_fixtures import coloured_project

from storyboard_app.model import Document


def _type_rate(qtbot, dialog, text: str) -> None:  # noqa: ANN001
    box = dialog.fps
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)


def test_frame_rate_combo_sets_ntsc_as_one_undoable_step(make_window, qtbot, tmp_path):
    window = make_window(Document.open(coloured_project(tmp_path, ["#ff0000", "#00ff00"])))
    project = window.session.project
    dialog = window.project_settings_dialog()
    offered = [dialog.fps.itemText(i) for i in range(dialog.fps.count())]
    assert offered == ["23.976", "24", "25", "29.97", "30", "50", "59.94", "60"]
    assert dialog.fps.currentText() == "24"

    _type_rate(qtbot, dialog, "29.97")
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert (project.fps, project.ntsc, project.frame_rate) == (30, True, Fraction(30000, 1001))
    assert "29.97 fps" in window._status.text()
    assert window.session.document.history.undo_label == "Project settings"

    dialog = window.project_settings_dialog()
    assert dialog.fps.currentText() == "29.97"  # shown as it was chosen
    _type_rate(qtbot, dialog, "23.976")
    assert dialog.apply_and_close()
    assert (project.fps, project.ntsc) == (24, True)

    window.session.undo()
    assert (project.fps, project.ntsc) == (30, True)
    window.session.undo()
    assert (project.fps, project.ntsc) == (24, False)
    assert "24 fps" in window._status.text()


def test_frame_rate_that_is_not_a_rate_is_refused_with_a_message(make_window, qtbot, tmp_path):
    window = make_window(Document.open(coloured_project(tmp_path, ["#ff0000"])))
    dialog = window.project_settings_dialog()
    _type_rate(qtbot, dialog, "25.5")
    assert not dialog.apply_and_close()
    assert dialog.error.text().startswith("frame rate:")
    assert (window.session.project.fps, window.session.project.ntsc) == (24, False)
    _type_rate(qtbot, dialog, "12")  # animation on twos: any whole rate may be typed
    assert dialog.apply_and_close()
    assert (window.session.project.fps, window.session.project.ntsc) == (12, False)
