"""Issue 13.16 (icons and shortcut tooltips), 13.17 (the commands a storyboard artist expects,
right-click menus, project settings, import, keyboard shortcuts, empty-project hint) and 13.18
(the characters list explains the seed and previews a rerolled look)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QStyle
from ui13_fixtures import activate, card_point, coloured_project, still

from storyboard_app.model import Document
from storyboard_app.ui.main_window import menu_actions
from storyboard_app.ui.timeline import CARD_TOP, RULER_H
from storyboard_app.ui.viewer import EMPTY_HINT


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:  # noqa: ANN001
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    for i in range(1, 6):
        qtbot.mouseMove(widget, start + (end - start) * i / 5)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def menu_texts(menu) -> list[str]:  # noqa: ANN001
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_every_action_with_a_shortcut_names_it_in_its_tooltip(make_window):
    window = make_window()
    actions = menu_actions(window.menuBar()) + [a for a in window.toolbar.actions() if not a.isSeparator()]
    with_keys = [a for a in actions if not a.shortcut().isEmpty()]
    assert len(with_keys) >= 20
    for act in with_keys:
        keys = act.shortcut().toString(QKeySequence.NativeText)
        assert keys in act.toolTip(), (act.text(), act.toolTip())
    menu_keys = [a.shortcut().toString() for a in menu_actions(window.menuBar()) if not a.shortcut().isEmpty()]
    assert len(menu_keys) == len(set(menu_keys)), "two menu actions share a shortcut (ambiguous: neither fires)"
    # icons say what the action does: not the new-folder icon for Insert shot, not fast-forward
    # for Generate (the standard icons of 0.1.0)
    style = QApplication.style()
    for act, wrong in ((window.act_insert, QStyle.SP_FileDialogNewFolder),
                       (window.act_generate_selected, QStyle.SP_MediaSeekForward)):
        assert not act.icon().isNull()
        assert act.icon().pixmap(24).toImage() != style.standardIcon(wrong).pixmap(24).toImage()


def test_empty_project_shows_how_to_add_the_first_shot(make_window, qtbot):
    window = make_window()
    assert not window.session.project.all_shots()
    assert "Ctrl+I" in EMPTY_HINT
    image = window.viewer.grab().toImage()  # the hint is painted (not a blank card)
    assert image.width() > 0
    canvas = window.timeline.canvas
    qtbot.mouseDClick(canvas, Qt.LeftButton, pos=QPoint(60, CARD_TOP + 50))
    assert len(window.session.project.all_shots()) == 1


def test_reorder_then_renumber_undoably(make_window, qtbot, tmp_path):
    window = make_window()
    activate(qtbot, window)
    canvas = window.timeline.canvas
    canvas.setFocus()
    for _ in range(5):
        qtbot.keyClick(canvas, Qt.Key_I, Qt.ControlModifier)
    shots = window.session.project.all_shots()
    drag(qtbot, canvas, card_point(canvas, shots[4].id), card_point(canvas, shots[3].id) + QPoint(-30, 0))
    assert [s.number for s in window.session.project.all_shots()] == ["1", "2", "3", "5", "4"]
    qtbot.keyClick(canvas, Qt.Key_N, Qt.ControlModifier | Qt.ShiftModifier)  # Renumber shots
    assert [s.number for s in window.session.project.all_shots()] == ["1", "2", "3", "4", "5"]
    assert window.session.document.history.undo_label == "Renumber shots"
    qtbot.keyClick(canvas, Qt.Key_Z, Qt.ControlModifier)
    assert [s.number for s in window.session.project.all_shots()] == ["1", "2", "3", "5", "4"]


def test_card_and_scene_context_menus(make_window, qtbot, monkeypatch):
    window = make_window()
    canvas = window.timeline.canvas
    for _ in range(2):
        window.act_insert.trigger()
    first = window.session.project.all_shots()[0]
    canvas.customContextMenuRequested.emit(card_point(canvas, first.id))
    menu = window.last_context_menu
    texts = menu_texts(menu)
    for wanted in ("Generate selected", "New take", "Fit shot to dialogue", "Duplicate shot", "Delete shot",
                   "Insert shot", "Renumber shots", "Import image as panel…"):
        assert wanted in texts, texts
    assert window.session.selection == [first.id]  # right-click selects the card under it
    menu.close()
    # the scene header: rename and delete scene
    scene = window.session.project.sequences[0]
    canvas.customContextMenuRequested.emit(QPoint(canvas.scenes[0].x0 + 10, RULER_H + 8))
    menu = window.last_context_menu
    assert {"Rename scene…", "Delete scene", "Add scene"} <= set(menu_texts(menu))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("EXT. MARKET - NIGHT", True))
    next(a for a in menu.actions() if a.text() == "Rename scene…").trigger()
    assert scene.name == "EXT. MARKET - NIGHT"
    menu.close()
    window.act_add_scene.trigger()
    assert len(window.session.project.sequences) == 2
    second = window.session.project.sequences[1]
    canvas.customContextMenuRequested.emit(QPoint(canvas.scenes[1].x0 + 10, RULER_H + 8))
    next(a for a in window.last_context_menu.actions() if a.text() == "Delete scene").trigger()
    assert [s.id for s in window.session.project.sequences] == [scene.id]
    window.act_undo.trigger()
    assert [s.id for s in window.session.project.sequences] == [scene.id, second.id]
    # the last scene cannot go
    assert not window.delete_scene(scene.id) or len(window.session.project.sequences) == 1


def test_takes_and_characters_context_menus(make_window, qtbot, tmp_path, monkeypatch):
    bundle = coloured_project(tmp_path, ["#ff0000"])
    window = make_window(Document.open(bundle))
    window.session.select([window.session.project.all_shots()[0].id])
    takes = window.takes
    window.docks["takes"].raise_()
    rect = takes.list.visualItemRect(takes.list.item(0))
    takes.list.customContextMenuRequested.emit(rect.center())
    assert {"Play", "Use this take", "Delete"} <= set(menu_texts(takes.last_context_menu))
    takes.last_context_menu.close()
    panel = window.characters
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    rect = panel.list.visualItemRect(panel.list.item(0))
    panel.list.customContextMenuRequested.emit(rect.center())
    texts = set(menu_texts(panel.last_context_menu))
    assert {"Rename", "Reroll look", "Add reference image…", "Delete character"} <= texts
    panel.last_context_menu.close()
    # a reference image by button, not only by drop
    ref = still(tmp_path / "face.png", "#336699")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(ref), ""))
    qtbot.mouseClick(panel.add_ref_button, Qt.LeftButton)
    character = window.session.project.characters[0]
    assert len(character.reference_images) == 1
    assert (bundle / character.reference_images[0]).is_file()


def test_reroll_look_previews_before_it_changes_anything(make_window, qtbot):
    window = make_window()
    panel = window.characters
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    character = window.session.project.characters[0]
    assert "decides the look where the description is silent" in panel.seed_help.text()
    seed = character.seed
    before = panel.preview_now.pixmap().toImage()
    panel.reroll_look(seed=seed + 12345)  # the button draws a random seed; this one is known
    assert character.seed == seed  # a preview only
    assert not panel.preview_new.isHidden()
    assert panel.preview_new.pixmap().toImage() != before  # another look is shown beside it
    qtbot.mouseClick(panel.keep_button, Qt.LeftButton)
    assert character.seed == seed + 12345
    assert window.session.document.history.undo_label == "Reroll look"
    assert panel.preview_new.isHidden()
    qtbot.mouseClick(panel.reroll_button, Qt.LeftButton)
    assert panel.pending_seed is not None
    qtbot.mouseClick(panel.discard_button, Qt.LeftButton)
    assert character.seed == seed + 12345


def test_project_settings_import_image_and_shortcuts(make_window, qtbot, tmp_path, monkeypatch):
    bundle = coloured_project(tmp_path, ["#ff0000", "#00ff00"])
    window = make_window(Document.open(bundle))
    dialog = window.project_settings_dialog()
    dialog.title.selectAll()
    qtbot.keyClicks(dialog.title, "Night Market")
    dialog.fps.setCurrentText("25")
    dialog.settings.setPlainText("{not json")
    assert not dialog.apply_and_close()
    assert "JSON" in dialog.error.text()
    dialog.settings.setPlainText('{"line_width": 3}')
    assert dialog.apply_and_close()
    project = window.session.project
    assert (project.title, project.fps) == ("Night Market", 25)
    assert project.generator_settings[project.generator] == {"line_width": 3}
    assert window.session.document.history.undo_label == "Project settings"
    # File > Import image as panel: a take for the selected shot
    shot = project.all_shots()[1]
    window.session.select([shot.id])
    picture = still(tmp_path / "panel.png", "#123456")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(picture), ""))
    window.act_import_image.trigger()
    assert len(shot.takes) == 2 and shot.selected_take.generator_id == "import"
    assert Path(bundle / shot.selected_take.media_path).is_file()
    # Help > Keyboard shortcuts lists the actions with their keys
    window.act_shortcuts.trigger()
    table = window.shortcuts_table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["New take"] == "Ctrl+R" and rows["Insert shot"] == "Ctrl+I"
    assert "Space" in rows.values()
