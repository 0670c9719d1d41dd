from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from storyboard_app.media.ffmpeg import write_wav
from storyboard_app.model import Document, ShotSize, load_project, project_json
from storyboard_app.ui.timeline import CARD_TOP

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"


def card_point(canvas, shot_id: str, where: str = "middle") -> QPoint:
    card = canvas.card(shot_id)
    x = card.x + card.w // 2 if where == "middle" else card.x + card.w - 2
    return QPoint(int(x), CARD_TOP + 60)


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    for i in range(1, 6):
        qtbot.mouseMove(widget, start + (end - start) * i / 5)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def test_build_edit_undo_everything_redo_save_and_reopen(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.save_as(tmp_path / "Sequence")
    bundle = tmp_path / "Sequence.sbproj"
    original = project_json(window.session.project)
    canvas = window.timeline.canvas

    for _ in range(3):
        window.act_insert.trigger()
    shots = window.session.project.all_shots()
    assert len(shots) == 3 and [s.number for s in shots] == ["1", "2", "3"]

    # edit a prompt by typing: one undo step for the whole word
    window.session.select([shots[1].id])
    window.inspector.prompt.setFocus()
    qtbot.keyClicks(window.inspector.prompt, "rain on neon")
    assert shots[1].prompt == "rain on neon"
    window.inspector.size_combo.activated.emit(list(ShotSize).index(ShotSize.CU))
    assert shots[1].size == ShotSize.CU

    # reorder by drag: the first shot goes after the third
    drag(qtbot, canvas, card_point(canvas, shots[0].id), card_point(canvas, shots[2].id) + QPoint(40, 0))
    assert [s.number for s in window.session.project.all_shots()] == ["2", "3", "1"]

    # resize by dragging the right edge: +40 px at 1.6 px/frame = +25 frames
    before = shots[2].duration
    edge = card_point(canvas, shots[2].id, "edge")
    drag(qtbot, canvas, edge, edge + QPoint(40, 0))
    assert shots[2].duration == before + 25
    edited = project_json(window.session.project)

    # undo all the way back, then redo all the way
    steps = 0
    while window.session.document.history.can_undo:
        window.act_undo.trigger()
        steps += 1
    assert steps == 7  # 3 inserts, typing (merged), size, move, resize
    assert project_json(window.session.project) == original
    while window.session.document.history.can_redo:
        window.act_redo.trigger()
    assert project_json(window.session.project) == edited

    assert window.save()
    assert "●" not in window.windowTitle()
    assert project_json(load_project(bundle)) == edited
    reopened = make_window()
    assert reopened.open_project(bundle)
    assert project_json(reopened.session.project) == edited


def test_title_shows_unsaved_changes(make_window, tmp_path):
    window = make_window()
    window.save_as(tmp_path / "a")
    assert "●" not in window.windowTitle()
    window.act_insert.trigger()
    assert window.windowTitle().startswith("●")
    window.act_undo.trigger()
    assert "●" not in window.windowTitle()


def test_autosave_then_recovery_after_a_crash(make_window, tmp_path, answers):
    bundle = tmp_path / "nm.sbproj"
    shutil.copytree(EXAMPLE, bundle)
    window = make_window(Document.open(bundle))
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    window.inspector.title.setText("")
    window.inspector.title.textEdited.emit("Crash test")
    window.session.autosave_timer.timeout.emit()  # the autosave tick
    assert (bundle / ".autosave.json").exists()
    edited = project_json(window.session.project)
    window.session.document.history.mark_saved()  # the "crash": the window goes away unsaved

    answers.queue = [QMessageBox.Yes]
    recovered = make_window()
    assert recovered.open_project(bundle)
    assert answers.asked == ["Recover unsaved work?"]
    assert project_json(recovered.session.project) == edited
    assert recovered.session.dirty and recovered.windowTitle().startswith("●")

    # declining recovery opens the saved version and discards the autosave
    recovered.session.document.history.mark_saved()
    answers.queue = [QMessageBox.No]
    declined = make_window()
    assert declined.open_project(bundle)
    assert declined.session.project.all_shots()[0].title == "Market from above"
    assert not (bundle / ".autosave.json").exists()


def test_closing_with_unsaved_changes_asks(make_window, answers, tmp_path):
    window = make_window()
    window.act_insert.trigger()
    answers.queue = [QMessageBox.Cancel]
    assert not window.close()
    assert window.isVisible()
    answers.queue = [QMessageBox.Discard]
    assert window.close()


def test_split_duplicate_delete_and_keyboard(make_window, qtbot, tmp_path):
    window = make_window()
    window.act_insert.trigger()
    shot = window.session.project.all_shots()[0]
    window.session.set_playhead(30)
    window.act_split.trigger()
    assert [s.duration for s in window.session.project.all_shots()] == [30, shot.duration and 42]
    window.act_duplicate.trigger()
    assert len(window.session.project.all_shots()) == 3
    canvas = window.timeline.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_Home)
    assert window.session.selection == [window.session.project.all_shots()[0].id]
    qtbot.keyClick(canvas, Qt.Key_Right)
    assert window.session.selection == [window.session.project.all_shots()[1].id]
    qtbot.keyClick(canvas, Qt.Key_Delete)
    assert len(window.session.project.all_shots()) == 2


def test_dropped_image_becomes_a_take_and_audio_attaches_to_a_line(make_window, tmp_path):
    from PIL import Image

    window = make_window()
    window.save_as(tmp_path / "p")
    window.act_insert.trigger()
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    image = tmp_path / "frame.png"
    Image.new("RGB", (64, 36), (200, 20, 20)).save(image)
    assert window.import_image_take(image)
    take = shot.selected_take
    assert take.generator_id == "import" and (tmp_path / "p.sbproj" / take.media_path).is_file()

    window.inspector.add_line()
    assert len(shot.dialogue) == 1
    wav = tmp_path / "line.wav"
    write_wav(wav, np.zeros(4800, np.float32), 48000)
    assert window.inspector.attach_audio(0, wav)
    assert shot.dialogue[0].audio.startswith("media/audio/")
    window.act_undo.trigger()
    assert shot.dialogue[0].audio is None


def test_characters_panel_edits_are_undoable(make_window):
    window = make_window()
    panel = window.characters
    panel.add_character()
    project = window.session.project
    assert len(project.characters) == 1
    panel.name.textEdited.emit("Mara")
    assert project.characters[0].name == "Mara"
    seed = project.characters[0].seed
    panel.rate.setValue(1.3)
    assert project.characters[0].voice.rate == 1.3
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert project.characters[0].name != "Mara" and project.characters[0].seed == seed


def test_styles_panel_sets_a_preset_as_project_style(make_window):
    window = make_window()
    panel = window.styles
    names = [panel.list.item(i).text() for i in range(panel.list.count())]
    row = next(i for i, n in enumerate(names) if "Noir" in n)
    panel.list.setCurrentRow(row)
    panel.use_selected()
    project = window.session.project
    assert project.style_id == "preset_noir" and project.styles[0].name == "Noir"
    window.act_undo.trigger()
    assert project.style_id is None and not project.styles


def test_duration_accepts_frames_or_seconds_and_frames(make_window):
    window = make_window()
    window.act_insert.trigger()
    shot = window.session.project.all_shots()[0]
    box = window.inspector.duration
    assert box.text() == "3s 00f"
    box.setText("2:06")
    box.setModified(True)
    box.commit()
    assert shot.duration == 54 and box.text() == "2s 06f"
    window.act_undo.trigger()
    assert shot.duration == 72
