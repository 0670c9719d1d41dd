"""The Shot inspector driven with real key and mouse events (issues 12.1, 13.1, 13.3, 13.4, 13.13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from storyboard_app.model import Document
from storyboard_app.voice.estimate import estimate_shot_timing
from storyboard_app.voice.timing import DEFAULT_TAIL_FRAMES

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"


@pytest.fixture
def example_window(make_window, tmp_path):
    bundle = tmp_path / EXAMPLE.name
    shutil.copytree(EXAMPLE, bundle)
    return make_window(Document.open(bundle))


def shot_by_number(window, number: str):
    return next(s for s in window.session.project.all_shots() if s.number == number)


def type_duration(qtbot, box, text: str) -> None:
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)  # select all
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key_Return)


@pytest.mark.parametrize(("typed", "frames"), [("4:12", 108), ("108", 108), ("4s12f", 108), ("108f", 108),
                                               ("4.5s", 108), ("2s 06f", 54), ("1:00:00", 1440)])
def test_typed_duration_is_parsed_on_enter_not_per_keystroke(example_window, qtbot, typed, frames):
    window = example_window
    shot = shot_by_number(window, "1")
    window.session.select([shot.id])
    box = window.inspector.duration
    before = shot.duration
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(box, typed)
    assert box.text() == typed  # nothing reformatted while typing
    assert shot.duration == before  # nothing applied while typing
    qtbot.keyClick(box, Qt.Key_Return)
    assert shot.duration == frames
    assert box.text() == window.inspector.duration.text() == {108: "4s 12f", 54: "2s 06f", 1440: "1m 00s 00f"}[frames]
    window.act_undo.trigger()
    assert shot.duration == before


def test_duration_commits_on_focus_out_and_refuses_nonsense(example_window, qtbot):
    window = example_window
    shot = shot_by_number(window, "2")
    window.session.select([shot.id])
    box = window.inspector.duration
    messages = []
    window.session.message.connect(messages.append)
    type_duration(qtbot, box, "abc")
    assert shot.duration == 96 and box.text() == "abc" and "4s 12f" in box.toolTip()
    assert messages and "not a duration" in messages[-1]
    type_duration(qtbot, box, "0")
    assert shot.duration == 96 and "at least 1 frame" in messages[-1]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(box, "5s")
    window.inspector.number.setFocus()  # leaving the field commits
    QApplication.processEvents()
    assert shot.duration == 120 and box.text() == "5s 00f"


def test_frames_mode_from_the_view_menu(example_window, qtbot):
    window = example_window
    shot = shot_by_number(window, "1")
    window.session.select([shot.id])
    window.act_time_frames.setChecked(True)
    try:
        assert window.inspector.duration.text() == f"{shot.duration}f"
        assert "shots · 1488f" in window._status.text()
        type_duration(qtbot, window.inspector.duration, "4:12")
        assert shot.duration == 108 and window.inspector.duration.text() == "108f"
    finally:
        window.act_time_frames.setChecked(False)
    assert window.inspector.duration.text() == "4s 12f"
    assert window.settings.value("view/time_format") == "timecode"


def test_at_completion_adds_the_character_to_the_cast(example_window, qtbot):
    window = example_window
    project = window.session.project
    shot = shot_by_number(window, "1")
    mara = next(c for c in project.characters if c.name == "Mara")
    assert mara.id not in shot.characters
    window.session.select([shot.id])
    prompt = window.inspector.prompt
    prompt.setFocus()
    qtbot.keyClick(prompt, Qt.Key_End, Qt.ControlModifier)
    qtbot.keyClicks(prompt, " with @ma")
    popup = prompt.completer.popup()
    assert popup.isVisible()
    qtbot.keyClick(popup, Qt.Key_Return)  # Enter takes the first suggestion
    assert shot.prompt.endswith(" with Mara")
    assert shot.characters[-1] == mara.id
    window.act_undo.trigger()  # the cast step is its own, next to the typing
    assert mara.id not in shot.characters and shot.prompt.endswith(" with Mara")
    window.act_undo.trigger()
    assert "@" not in shot.prompt and "Mara" not in shot.prompt


def test_dialogue_rows_show_every_line_in_full_and_are_reused(example_window, qtbot):
    window = example_window
    shot = shot_by_number(window, "5")
    window.session.select([shot.id])
    editor = window.inspector.dialogue
    assert [r.text.toPlainText() for r in editor.rows] == [line.text for line in shot.dialogue]
    names = {c.id: c.name for c in window.session.project.characters}
    assert [r.speaker.currentText() for r in editor.rows] == [names[line.speaker] for line in shot.dialogue]
    rows = list(editor.rows)
    long_text = "A much longer line of dialogue that must wrap over several lines in a narrow dock " * 3
    row = editor.rows[0]
    row.text.setFocus()
    qtbot.keyClick(row.text, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(row.text, long_text)
    assert shot.dialogue[0].text == long_text
    assert editor.rows == rows  # typing reused the rows
    QApplication.processEvents()
    assert row.text.height() >= 2 * row.text.fontMetrics().lineSpacing()
    assert row.text.verticalScrollBar().maximum() == 0  # every wrapped line shows: nothing to scroll
    count = len(QApplication.allWidgets())
    for _ in range(30):
        window.inspector.add_line()
        window.act_undo.trigger()
        window.session.select([shot_by_number(window, "1").id])
        window.session.select([shot.id])
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)  # deleteLater of removed rows
    assert len(QApplication.allWidgets()) <= count + 2


def test_dialogue_overflow_shows_and_fit_is_one_undo_step(example_window, qtbot):
    window = example_window
    project = window.session.project
    shot = shot_by_number(window, "11")  # 3 s with one short line: fits
    window.session.select([shot.id])
    inspector = window.inspector
    assert inspector.overflow.isHidden() and inspector.fit_button.isHidden()
    row = inspector.dialogue.rows[0]
    row.text.setFocus()
    qtbot.keyClick(row.text, Qt.Key_End, Qt.ControlModifier)
    qtbot.keyClicks(row.text, " And the door behind it, and the stair, and the room where she kept the letters.")
    timing = estimate_shot_timing(project, shot)
    assert timing.overlong
    assert inspector.overflow.isVisibleTo(inspector) and inspector.fit_button.isVisibleTo(inspector)
    assert "longer than the shot" in inspector.overflow.text()
    dock = window.docks["inspector"]
    window.resizeDocks([dock], [320], Qt.Horizontal)  # narrow: the warning wraps to 3 lines
    qtbot.waitUntil(lambda: abs(dock.width() - 320) <= 4, timeout=3000)
    QApplication.processEvents()
    label = inspector.overflow  # every wrapped line shows (a plain QLabel here was clipped)
    assert label.height() >= label.heightForWidth(label.contentsRect().width()) > 1.5 * label.fontMetrics().lineSpacing()
    before = shot.duration
    qtbot.mouseClick(inspector.fit_button, Qt.LeftButton)
    assert shot.duration == timing.vo_frames + DEFAULT_TAIL_FRAMES
    assert inspector.overflow.isHidden()
    assert window.session.document.history.undo_label == "Fit shot to dialogue"
    window.act_undo.trigger()
    assert shot.duration == before


def test_inspector_fits_a_320_px_dock(example_window, qtbot):
    window = example_window
    shot = shot_by_number(window, "5")
    window.session.select([shot.id])
    dock = window.docks["inspector"]
    window.resizeDocks([dock], [320], Qt.Horizontal)
    qtbot.waitUntil(lambda: abs(dock.width() - 320) <= 4, timeout=3000)
    inspector = window.inspector
    for widget in (inspector.duration, inspector.prompt, inspector.dialogue.rows[-1].text):
        widget.setFocus()  # Tab through: nothing may scroll sideways
        qtbot.keyClick(widget, Qt.Key_Tab)
        QApplication.processEvents()
        assert not inspector.horizontalScrollBar().isVisible()
        assert inspector.horizontalScrollBar().maximum() == 0
        assert inspector.widget().width() <= inspector.viewport().width()
    # labels keep their full text and fit inside the viewport
    for label in ("Duration", "Shot size"):
        widget = inspector.form.labelForField(
            inspector.size_combo if label == "Shot size" else inspector.duration.parentWidget())
        assert widget is not None and widget.text() == label
        assert widget.geometry().right() <= inspector.viewport().width()
    # the prompt grows with its text instead of scrolling
    prompt = inspector.prompt
    height = prompt.height()
    prompt.setPlainText("a long prompt " * 40)
    QApplication.processEvents()
    assert prompt.height() > height and not prompt.verticalScrollBar().isVisible()


def test_counts_and_lengths_read_as_english(make_window):
    window = make_window()
    window.act_insert.trigger()
    assert window._status.text().startswith("1 shot · 3s 00f ·")
    assert window.inspector.header.text().endswith("0 takes")
    window.act_insert.trigger()
    assert window._status.text().startswith("2 shots · 6s 00f ·")


def test_uncommitted_duration_text_does_not_follow_to_another_shot(example_window, qtbot):
    window = example_window
    first, second = shot_by_number(window, "1"), shot_by_number(window, "2")
    window.session.select([first.id])
    box = window.inspector.duration
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(box, "9s")
    window.session.select([second.id])  # e.g. a keyboard shortcut while the field has focus
    assert box.text() == "4s 00f"
    qtbot.keyClick(box, Qt.Key_Return)
    assert (first.duration, second.duration) == (144, 96)


def test_the_inspector_warns_when_the_selected_model_cuts_the_prompt(example_window, qtbot):
    """Issue 15.2: an estimate against the selected model's token window, updated as one types."""
    window = example_window
    project = window.session.project
    shot = shot_by_number(window, "1")
    project.generator = "diffusers"
    project.generator_settings["diffusers"] = {"model": "flux-schnell"}
    window.session.select([shot.id])
    warning = window.inspector.prompt_warning
    assert warning.isHidden()
    box = window.inspector.prompt
    box.setFocus()
    box.setPlainText(" ".join(["rain on the neon signs of a crowded night market"] * 30))
    assert not warning.isHidden() and "flux-schnell reads 256" in warning.text()
    box.setPlainText("a key on a table")
    assert warning.isHidden()


def test_a_lines_delivery_note_shows_edits_as_one_step_and_undoes(example_window, qtbot):
    """An imported script keeps "(V.O.)" and parentheticals as a line's delivery note: the
    inspector shows it under the line and edits it like the text (typing is one undo step)."""
    window = example_window
    shot = shot_by_number(window, "5")
    shot.dialogue[0].delivery = "V.O.; quietly"
    window.session.select([shot_by_number(window, "1").id])
    window.session.select([shot.id])
    row = window.inspector.dialogue.rows[0]
    assert row.delivery.text() == "V.O.; quietly"
    assert window.inspector.dialogue.rows[1].delivery.text() == shot.dialogue[1].delivery
    row.delivery.setFocus()
    qtbot.keyClick(row.delivery, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(row.delivery, "whispering")
    assert shot.dialogue[0].delivery == "whispering"
    assert row.delivery.text() == "whispering" and row.delivery.cursorPosition() == len("whispering")
    window.act_undo.trigger()
    assert shot.dialogue[0].delivery == "V.O.; quietly"
    assert row.delivery.text() == "V.O.; quietly"  # the field follows the undo, even with focus
