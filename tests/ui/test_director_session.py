"""Acceptance (issue 13): a first-time director's whole session, from an empty project to an
exported MP4, driven with key and mouse events on the real widgets.

Characters, a scene, six shots with prompts, sizes, moves, cast and dialogue; a reorder and a
renumber; undo and redo; generate; a new take; fit a shot to its dialogue; export. Asserts the
project, the takes and the export. Modal OS dialogs (save-as path, the scene-name prompt) are the
only places answered by a stand-in, because a test cannot type into a native file dialog.

The pixel checks of the exported MP4 (coat colour of a described character, text boxes that do
not overlap, camera direction) belong to other branches' work (sketch looks, burn-in layout,
camera signs); their hooks are the ``TODO(lead)`` functions at the end, called from the test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QInputDialog, QPushButton
from ui13_fixtures import activate, card_point

from storyboard_app.media.ffmpeg import probe, run_ffmpeg
from storyboard_app.model import CameraMove, ShotSize

CHARACTERS = [("Mara", "a tall woman in a red coat"), ("Ito", "an old man with a grey beard and glasses")]
LONG_LINE = ("You're late again, Mara. The broth has never once waited for anybody in this market, "
             "and it is not going to start with you tonight.")
# prompt, size, move, cast (indexes), dialogue (speaker index, text)
SHOTS = [
    ("the night market under paper lanterns", ShotSize.WS, CameraMove.PUSH_IN, [], []),
    ("Mara walks between the stalls", ShotSize.MS, CameraMove.TRUCK_RIGHT, [0], []),
    ("Ito behind the noodle counter", ShotSize.MS, CameraMove.STATIC, [1], [(1, LONG_LINE)]),
    ("Ito slides a brass key across the counter", ShotSize.CU, CameraMove.TILT_DOWN, [1], []),
    ("Mara looks at the key", ShotSize.CU, CameraMove.STATIC, [0], [(0, "For me?")]),
    ("Mara walks away into the crowd", ShotSize.WS, CameraMove.CRANE_UP, [0], []),
]


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:  # noqa: ANN001
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    for i in range(1, 6):
        qtbot.mouseMove(widget, start + (end - start) * i / 5)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def key(qtbot, window, widget, k, modifiers=Qt.NoModifier) -> None:  # noqa: ANN001
    """A key press as the user makes it: into the active window, on the focused widget."""
    activate(qtbot, window)
    widget.setFocus()
    qtbot.keyClick(widget, k, modifiers)


def type_into(qtbot, widget, text: str) -> None:  # noqa: ANN001
    """Click into a text field, select what is there, type over it."""
    target = widget.viewport() if hasattr(widget, "viewport") else widget
    qtbot.mouseClick(target, Qt.LeftButton, pos=QPoint(10, 10))
    qtbot.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(widget, text)


def choose(qtbot, combo, index: int) -> None:  # noqa: ANN001
    """Pick entry ``index`` of a closed combo box with the keyboard (Home, then Down)."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Home)
    for _ in range(index):
        qtbot.keyClick(combo, Qt.Key_Down)
    assert combo.currentIndex() == index


def button(parent, text: str) -> QPushButton:  # noqa: ANN001
    return next(b for b in parent.findChildren(QPushButton) if b.text() == text)


def numbers(window) -> list[str]:  # noqa: ANN001
    return [s.number for s in window.session.project.all_shots()]


def test_a_first_time_directors_session(make_window, qtbot, tmp_path, monkeypatch):  # noqa: PLR0915
    window = make_window()
    activate(qtbot, window)
    session = window.session
    canvas = window.timeline.canvas

    # --- save it somewhere (Ctrl+S on an unsaved project asks where) ---
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "Night Market"), ""))
    key(qtbot, window, canvas, Qt.Key_S, Qt.ControlModifier)
    bundle = tmp_path / "Night Market.sbproj"
    assert (bundle / "project.json").is_file()

    # --- project settings: small and quick (Ctrl+,) ---
    key(qtbot, window, canvas, Qt.Key_Comma, Qt.ControlModifier)
    dialog = next(w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Project settings" and w.isVisible())
    type_into(qtbot, dialog.title, "Night Market")
    for box, value in ((dialog.fps, "12"), (dialog.width_box, "320"), (dialog.height_box, "180")):
        box.setFocus()
        qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
        qtbot.keyClicks(box, value)
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok), Qt.LeftButton)
    project = session.project
    assert (project.title, project.fps, project.width, project.height) == ("Night Market", 12, 320, 180)

    # --- characters ---
    panel = window.characters
    window.docks["characters"].raise_()
    for name, description in CHARACTERS:
        qtbot.mouseClick(panel.add_button, Qt.LeftButton)
        type_into(qtbot, panel.name, name)
        type_into(qtbot, panel.description, description)
    assert [(c.name, c.description) for c in project.characters] == CHARACTERS

    # --- the scene: F2 renames it (the name prompt is a modal dialog: answered by a stand-in) ---
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("EXT. NIGHT MARKET - NIGHT", True))
    key(qtbot, window, canvas, Qt.Key_F2)
    assert project.sequences[0].name == "EXT. NIGHT MARKET - NIGHT"

    # --- six shots: Ctrl+I, then the Shot panel: prompt, size, move, cast, dialogue ---
    inspector = window.inspector
    window.docks["inspector"].raise_()
    for prompt, size, move, cast, lines in SHOTS:
        key(qtbot, window, canvas, Qt.Key_I, Qt.ControlModifier)
        shot = session.current_shot()
        type_into(qtbot, inspector.prompt, prompt)
        choose(qtbot, inspector.size_combo, list(ShotSize).index(size))
        choose(qtbot, inspector.move_combo, list(CameraMove).index(move))
        for index in cast:
            inspector.characters.setFocus()
            inspector.characters.setCurrentRow(index)
            qtbot.keyClick(inspector.characters, Qt.Key_Space)
        for speaker, text in lines:
            qtbot.mouseClick(inspector.dialogue.add_button, Qt.LeftButton)
            row = inspector.dialogue.rows[-1]
            choose(qtbot, row.speaker, speaker + 1)  # entry 0 is the narrator
            qtbot.mouseClick(row.text.viewport(), Qt.LeftButton)
            qtbot.keyClick(row.text, Qt.Key_A, Qt.ControlModifier)
            qtbot.keyClicks(row.text, text)
            index = len(inspector.dialogue.rows) - 1
            qtbot.waitUntil(lambda r=index, s=shot, t=text: s.dialogue[r].text == t, timeout=3000)
        assert shot.prompt == prompt and shot.size == size and shot.camera_move == move
        assert shot.characters == [project.characters[i].id for i in cast]
        assert [(ln.speaker, ln.text) for ln in shot.dialogue] == [(project.characters[s].id, t) for s, t in lines]
    shots = project.all_shots()
    assert numbers(window) == ["1", "2", "3", "4", "5", "6"]

    # --- reorder: drag shot 5 before shot 4 → numbers read 1 2 3 5 4 6; renumber; undo; redo ---
    drag(qtbot, canvas, card_point(canvas, shots[4].id), card_point(canvas, shots[3].id) + QPoint(-30, 0))
    assert numbers(window) == ["1", "2", "3", "5", "4", "6"]
    key(qtbot, window, canvas, Qt.Key_N, Qt.ControlModifier | Qt.ShiftModifier)
    assert numbers(window) == ["1", "2", "3", "4", "5", "6"]
    order = [s.id for s in project.all_shots()]
    assert order == [shots[i].id for i in (0, 1, 2, 4, 3, 5)]
    key(qtbot, window, canvas, Qt.Key_Z, Qt.ControlModifier)
    assert numbers(window) == ["1", "2", "3", "5", "4", "6"]
    key(qtbot, window, canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert numbers(window) == ["1", "2", "3", "4", "5", "6"]

    # --- the long line overflows shot 3: drawn on its card; fit it (Ctrl+Shift+F) ---
    third = shots[2]
    assert canvas.overflow_frames(third) > 0
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, third.id))
    before = third.duration
    with qtbot.waitSignal(window.fit_finished, timeout=60000):
        key(qtbot, window, canvas, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert third.duration > before and canvas.overflow_frames(third) == 0

    # --- generate everything (Ctrl+Shift+G): one undo step for the batch ---
    key(qtbot, window, canvas, Qt.Key_G, Qt.ControlModifier | Qt.ShiftModifier)
    assert not window.docks["queue"].isHidden()
    qtbot.waitUntil(lambda: all(s.selected_take for s in project.all_shots()), timeout=180000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=20000)
    assert session.document.history.undo_label == "Generate 6 takes"
    assert window.docks["queue"].isHidden()

    # --- a new take of shot 2 (click, Ctrl+R): a second take with another seed, now selected ---
    second = shots[1]
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, second.id))
    key(qtbot, window, canvas, Qt.Key_R, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(second.takes) == 2, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=20000)
    assert second.takes[0].seed != second.takes[1].seed and second.selected_take_id == second.takes[1].id
    for shot in project.all_shots():
        assert shot.selected_take.status.value == "done"
        assert (bundle / shot.selected_take.media_path).is_file()
    key(qtbot, window, canvas, Qt.Key_S, Qt.ControlModifier)

    # --- export (Ctrl+E): type the file name, press Export ---
    key(qtbot, window, canvas, Qt.Key_E, Qt.ControlModifier)
    export = next(w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Export animatic" and w.isVisible())
    out = tmp_path / "night-market.mp4"
    type_into(qtbot, export.output, str(out))
    with qtbot.waitSignal(export.finished_export, timeout=240000) as blocker:
        qtbot.mouseClick(export.export_button, Qt.LeftButton)
    assert blocker.args == [str(out)] and out.is_file()
    info = probe(out)
    total = sum(s.duration for s in project.all_shots()) + 2 * project.fps  # + the 2 s slate
    assert abs(info.duration - total / project.fps) < 0.2
    assert (info.width, info.height) == (320, 180)
    assert "Animatic length" in export.status.text() and "exported in" in export.status.text()
    export.close()

    frames = decode(out)
    check_coat_colour(frames, project)
    check_text_boxes_do_not_overlap(frames, project)
    check_camera_direction(frames, project)


def decode(path: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, 180, 320, 3)


def check_coat_colour(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """TODO(lead): after merging the sketch-look branch (13.9), assert Mara ("a tall woman in a red
    coat") is drawn in red: the middle frame of shot 2 has a red coat region."""


def check_text_boxes_do_not_overlap(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """TODO(lead): after merging the burn-in branch (13.12), assert in shot 3 (long line) that
    the subtitle box and the caption/label zones do not overlap and the line wraps in full."""


def check_camera_direction(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """TODO(lead): after merging the camera-sign branch (13.2), track a marker between the
    first and last frame of shot 2 (truck right: the scene moves left) and shot 6 (crane up)."""
