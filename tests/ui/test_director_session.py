"""Acceptance (issue 13): a first-time director's whole session, from an empty project to an
exported MP4, driven with key and mouse events on the real widgets.

Characters, a scene, six shots with prompts, sizes, moves, cast and dialogue; a reorder and a
renumber; undo and redo; generate; a new take; fit a shot to its dialogue; export. Asserts the
project, the takes and the export. Modal OS dialogs (save-as path, the scene-name prompt) are the
only places answered by a stand-in, because a test cannot type into a native file dialog.

The exported MP4 is decoded and checked on pixels (the ``check_*`` functions at the end): the
coat colour of a described character, burn-in boxes that do not overlap (layout and pixels), and
the direction each camera move takes the picture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QInputDialog, QPushButton
from ui13_fixtures import activate, card_point

from storyboard_app.media.ffmpeg import probe, run_ffmpeg
from storyboard_app.model import CameraMove, ShotSize
from storyboard_app.render.burnins import (
    BurnIns,
    layout_burnins,
    layout_static,
    shot_caption,
    shot_label,
    subtitle_text,
)

# pixel helpers shared with the sketch and camera tests (their folders are not packages)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generators"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
from camera_markers import EXPECTED_MOTION  # noqa: E402
from sketch_pixels import HUES, colour_pixels  # noqa: E402

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


# ------------------------------------------------------------------ pixel checks of the export
def shot_ranges(frames: np.ndarray, project) -> list[tuple[int, int]]:  # noqa: ANN001
    """(first, end) export frame of each shot, after the slate (the export runs at project fps)."""
    durations = [s.duration for s in project.all_shots()]
    slate = len(frames) - sum(durations)
    assert slate == 2 * project.fps, f"slate of {slate} frames"
    ranges, start = [], slate
    for d in durations:
        ranges.append((start, start + d))
        start += d
    return ranges


def shot_texts(project, index: int) -> tuple[str, str, list[str]]:  # noqa: ANN001
    """The label, caption and subtitle texts the exporter burns into shot ``index``."""
    shot = project.all_shots()[index]
    scene = next(seq.name for seq in project.sequences if shot in seq.shots)
    subtitles = [subtitle_text(project.character(ln.speaker).name if ln.speaker else "Narrator", ln.text)
                 for ln in shot.dialogue if ln.text.strip()]
    return shot_label(shot, index, scene), shot_caption(shot), subtitles


def check_coat_colour(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """Mara ("a tall woman in a red coat") is drawn in red: in the middle frame of shot 2, where
    she is alone, the figure region (centre of the frame, below the label zone, above the caption)
    is mostly saturated red, measured as the sketch tests measure coat colours."""
    shots = project.all_shots()
    assert shots[1].characters == [project.characters[0].id]  # shot 2: Mara alone
    first, end = shot_ranges(frames, project)[1]
    frame = frames[(first + end) // 2]
    h, w = frame.shape[:2]
    figure = frame[int(h * 0.35):int(h * 0.85), int(w * 0.3):int(w * 0.7)]
    counts = {family: colour_pixels(figure, family) for family in HUES}
    assert counts["red"] > 0.25 * figure.shape[0] * figure.shape[1], f"no red coat on Mara in shot 2: {counts}"
    assert all(counts["red"] > 3 * n for family, n in counts.items() if family != "red"), counts


def check_text_boxes_do_not_overlap(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """No two burn-in boxes intersect, and the long line of shot 3 is subtitled in full.

    Layout: every shot's label, caption and all its lines at once (the worst case) at the export
    size. Pixels: shot 3 has a static camera, so its first frame (before the dialogue lead) and
    its last frame (after the line) differ only in the timecode; the middle frame differs by the
    subtitle box alone. That changed area must be the laid-out subtitle box, it must end above
    the caption's box, and the caption's and label's pixels must be untouched by it."""
    h, w = frames.shape[1:3]
    for index in range(len(project.all_shots())):
        label, caption, subtitles = shot_texts(project, index)
        blocks = layout_burnins(w, h, label=label, caption=caption, subtitles=subtitles)
        for i, a in enumerate(blocks):
            assert a.rect.x >= 0 and a.rect.right <= w and a.rect.y >= 0 and a.rect.bottom <= h, (index, a)
            for b in blocks[i + 1:]:
                assert not a.rect.intersects(b.rect), f"shot {index + 1}: {a.zone} {a.rect} overlaps {b.zone} {b.rect}"
        placed = [b for b in blocks if b.zone == "subtitle"]
        assert len(placed) == len(subtitles), f"shot {index + 1}: a subtitle was left out"
        for block, text in zip(placed, subtitles, strict=True):
            assert " ".join(block.lines).split() == text.split(), f"shot {index + 1}: subtitle cut: {block.lines}"

    label, caption, subtitles = shot_texts(project, 2)
    assert subtitles and subtitles[0].startswith("ITO: You're late again")
    blocks = {b.zone: b.rect for b in layout_burnins(w, h, label=label, caption=caption, subtitles=subtitles)}
    first, end = shot_ranges(frames, project)[2]
    gray = frames[first:end].astype(np.int16).mean(axis=3)
    outside_timecode = np.ones((h, w), bool)
    tc = blocks["timecode"]
    outside_timecode[:tc.bottom + 8, tc.x - 8:] = False  # the timecode ticks (and the codec's blocks round it)
    assert np.abs(gray[0] - gray[-1])[outside_timecode].mean() < 1.5, "shot 3 is not a still picture"
    middle = len(gray) // 2
    changed = (np.abs(gray[middle] - gray[0]) > 12) & outside_timecode
    assert changed.sum() > 200, "no subtitle box appeared in the middle of shot 3"
    sub = blocks["subtitle"]
    # The box's extent is measured away from the other text boxes: x264 redraws their sharp white
    # glyph edges a little differently in every P-frame (a few pixels >12 levels apart), which is
    # noise, not subtitle; whether the subtitle drew over them is checked per zone below.
    away_from_text = changed.copy()
    for zone, r in blocks.items():
        if zone != "subtitle":
            away_from_text[max(r.y - 4, 0):r.bottom + 4, max(r.x - 4, 0):r.right + 4] = False
    # rows and columns with a few changed pixels: a stray pixel of codec noise is not a box
    ys = np.nonzero(away_from_text.sum(axis=1) >= 3)[0]
    xs = np.nonzero(away_from_text.sum(axis=0) >= 3)[0]
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    assert sub.y - 2 <= top and bottom < sub.bottom + 2 and sub.x - 2 <= left and right < sub.right + 2, \
        f"changed pixels {left, top, right, bottom} outside the subtitle box {sub}"
    assert bottom - top > 0.7 * sub.height and right - left > 0.7 * sub.width, "the subtitle box is not drawn in full"
    cap = blocks["caption"]
    assert bottom < cap.y, f"the subtitle box (rows {top}-{bottom}) runs into the caption's (from row {cap.y})"
    for zone in ("caption", "label", "previz"):
        r = blocks[zone]
        # a few pixels of codec noise may differ between frames; a subtitle drawn there changes many
        assert changed[r.y:r.bottom, r.x:r.right].mean() <= 0.02, f"the subtitle drew over the {zone}"
    # the caption box is there (darker than the picture around it) in every frame of the shot
    inside = gray[middle][cap.y:cap.bottom, cap.x:cap.right]
    assert (inside < 110).mean() > 0.6, "no dark caption box at the bottom of shot 3"


def image_shift(first: np.ndarray, last: np.ndarray) -> tuple[int, int, float]:
    """(dx, dy, peak) by phase correlation: ``last`` shows ``first``'s content moved by (dx, dy)."""
    a = first.astype(float) @ [0.299, 0.587, 0.114]
    b = last.astype(float) @ [0.299, 0.587, 0.114]
    window = np.hanning(a.shape[0])[:, None] * np.hanning(a.shape[1])[None, :]
    fa, fb = np.fft.fft2((a - a.mean()) * window), np.fft.fft2((b - b.mean()) * window)
    cross = fb * np.conj(fa)
    corr = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    dy, dx = np.unravel_index(corr.argmax(), corr.shape)
    dy = dy - a.shape[0] if dy > a.shape[0] // 2 else dy
    dx = dx - a.shape[1] if dx > a.shape[1] // 2 else dx
    return int(dx), int(dy), float(corr.max())


def check_camera_direction(frames: np.ndarray, project) -> None:  # noqa: ANN001
    """Each moving shot's content moves the way its move is named (truck right: the scene moves
    left; tilt down: up; crane up: down) and a static shot holds still: phase correlation of the
    first and last frame of the shot, over the band between the top burn-ins and the caption."""
    h, w = frames.shape[1:3]
    checked = set()
    for index, (shot, (first, end)) in enumerate(zip(project.all_shots(), shot_ranges(frames, project), strict=True)):
        move = shot.camera_move.value
        sx, sy, scale = EXPECTED_MOTION[move]
        if scale:
            continue  # push/pull: a zoom, not a translation
        label, caption, _ = shot_texts(project, index)
        static = layout_static(w, h, BurnIns(), label=label, caption=caption)
        top = max(b.rect.bottom for b in static if b.zone != "caption") + 2
        bottom = next(b.rect.y for b in static if b.zone == "caption") - 2
        dx, dy, peak = image_shift(frames[first][top:bottom], frames[end - 1][top:bottom])
        assert peak > 0.2, f"shot {index + 1} ({move}): no clear match between first and last frame"
        for sign, delta, axis in ((sx, dx, "x"), (sy, dy, "y")):
            if sign == 0:
                assert abs(delta) <= 1, f"shot {index + 1} ({move}): content drifted {delta:+d} px in {axis}"
            else:
                assert sign * delta >= 5, f"shot {index + 1} ({move}): content moved {delta:+d} px in {axis}, expected sign {sign:+d}"
        checked.add(move)
    assert {"truck_right", "tilt_down", "crane_up", "static"} <= checked
