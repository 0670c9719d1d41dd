"""Issue 13.3 in the window: dialogue that overflows its shot is drawn on the card as it is typed,
and "Fit shot to dialogue" (menu, card menu, shortcut) fits it in one undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from ui13_fixtures import activate, card_point

from storyboard_app.model import DialogueLine, Document, Project, Sequence, new_id
from storyboard_app.model.commands import InsertLine, Ref, SetField, add_shot
from storyboard_app.ui.timeline import CARD_H, CARD_TOP

LONG = ("I have walked this market every night for eleven years and never once seen the lantern "
        "maker close before midnight.")


def project_with_two_shots(tmp_path) -> Document:  # noqa: ANN001
    project = Project(title="Fit", width=320, height=180)
    seq = Sequence(new_id("seq"), "Scene 1")
    project.sequences.append(seq)
    for _ in range(2):
        add_shot(project, seq.id, duration=48).apply(project)
    document = Document(project)
    document.save(tmp_path / "fit.sbproj")
    return document


def red_past_the_card(window, shot_id: str) -> bool:  # noqa: ANN001
    canvas = window.timeline.canvas
    card = canvas.card(shot_id)
    image = canvas.grab().toImage()
    colour = QColor(image.pixel(card.x + card.w + 6, CARD_TOP + CARD_H - 3))
    return colour.red() > 180 and colour.green() < 110


def test_overflow_is_drawn_as_it_happens_and_fit_fixes_it(make_window, qtbot, tmp_path):
    window = make_window(project_with_two_shots(tmp_path))
    activate(qtbot, window)
    first, second = window.session.project.all_shots()
    canvas = window.timeline.canvas
    line = DialogueLine(new_id("line"), "", "Hello.")
    window.session.apply(InsertLine(first.id, 0, line))
    assert canvas.overflow_frames(first) == 0 and not red_past_the_card(window, first.id)
    # the line grows past the shot's two seconds: the card shows it at once
    window.session.apply(SetField(Ref("line", (first.id, line.id)), "text", LONG))
    assert canvas.overflow_frames(first) > 0
    assert red_past_the_card(window, first.id)
    # right-click the card, Fit shot to dialogue
    canvas.customContextMenuRequested.emit(card_point(canvas, first.id))
    fit = next(a for a in window.last_context_menu.actions() if a.text().replace("&", "") == "Fit shot to dialogue")
    window.last_context_menu.close()
    with qtbot.waitSignal(window.fit_finished, timeout=60000):
        fit.trigger()
    assert first.duration > 48 and second.duration == 48
    assert window.session.document.history.undo_label == "Fit shot to dialogue"
    assert canvas.overflow_frames(first) == 0  # exact measurement, now fitting
    assert not red_past_the_card(window, first.id)
    # undo restores the length; the shortcut does it again
    window.act_undo.trigger()
    assert first.duration == 48 and canvas.overflow_frames(first) > 0
    activate(qtbot, window)  # the popup menu took the activation
    canvas.setFocus()
    with qtbot.waitSignal(window.fit_finished, timeout=60000):
        qtbot.keyClick(canvas, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert first.duration > 48
