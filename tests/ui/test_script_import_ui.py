"""File > Import script… and dropping a .fountain/.csv on the window: a preview, then one undo step."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox

from storyboard_app.ui.main_window import menu_actions

DATA = Path(__file__).resolve().parents[1] / "script" / "data"
KEEPER = DATA / "the_keeper.fountain"


def drop(window, qtbot, path: Path) -> None:
    """Drop ``path`` on the window and wait for the preview (read and planned off the UI thread)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(200, 200), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.script_import_ready, timeout=20000):
        window.dropEvent(event)


def test_dropped_fountain_shows_a_preview_then_applies_as_one_undo_step(make_window, qtbot):
    window = make_window()
    shots_before = [s.id for s in window.session.project.all_shots()]
    drop(window, qtbot, KEEPER)
    dialog = window.script_import_dialog
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModal
    assert dialog.summary.text().startswith("5 scenes (5 new), 10 shots (10 new")
    assert "Characters: 2 (2 new)" in dialog.counts.text()
    rows = dialog.rows()
    assert ("add character", "", "", "Maren: 60s, weathered, in a navy peacoat") in rows
    assert sum(1 for r in rows if r[0] == "add") == 10
    assert window.session.project.all_shots() == [] or [s.id for s in window.session.project.all_shots()] == shots_before

    qtbot.mouseClick(dialog.apply_button, Qt.LeftButton)
    project = window.session.project
    assert len(project.all_shots()) == 10 and project.title == "THE KEEPER"
    assert [c.name for c in project.characters] == ["Maren", "Bram"]
    for shot in project.all_shots():  # the timeline shows them
        assert window.timeline.canvas.card(shot.id) is not None
    assert "THE KEEPER" in window.windowTitle()
    assert window.act_undo.text() == "&Undo Import the_keeper.fountain"
    window.act_undo.trigger()
    assert [s.id for s in window.session.project.all_shots()] == shots_before
    assert window.session.project.characters == []


def test_menu_action_cancel_changes_nothing(make_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    assert window.act_import_script in menu_actions(window.menuBar())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(DATA / "shots_semicolon_bom.csv"), ""))
    with qtbot.waitSignal(window.script_import_ready, timeout=20000):
        window.act_import_script.trigger()
    dialog = window.script_import_dialog
    assert "3 shots (3 new" in dialog.summary.text()
    before = window.session.document.history.can_undo
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Cancel), Qt.LeftButton)
    assert not dialog.isVisible()
    assert window.session.project.all_shots() == [] and window.session.document.history.can_undo == before


def test_reimport_preview_lists_changes_and_removals(make_window, qtbot, tmp_path):
    window = make_window()
    drop(window, qtbot, KEEPER)
    qtbot.mouseClick(window.script_import_dialog.apply_button, Qt.LeftButton)
    revised = tmp_path / "v2.fountain"
    revised.write_text(KEEPER.read_text().replace("*smooth*", "bright")
                       .replace("The boat from the POV, closer now, its engine coughing.\n\n", ""))
    drop(window, qtbot, revised)
    rows = window.script_import_dialog.rows()
    assert [r[0] for r in rows].count("update") == 1 and [r[0] for r in rows].count("remove") == 1
    qtbot.mouseClick(window.script_import_dialog.apply_button, Qt.LeftButton)
    assert window.session.project.sequences[-1].name == "Removed in revision"


def test_a_bad_shot_list_says_why_in_the_status_bar(make_window, qtbot, tmp_path):
    window = make_window()
    bad = tmp_path / "bad.csv"
    bad.write_text("description,size\nRain,huge\n")
    with qtbot.waitSignal(window.script_import_ready, timeout=20000) as ready:
        window.import_script(bad)
    assert ready.args == [None]
    assert "bad.csv: row 2, column 'size'" in window.statusBar().currentMessage()
