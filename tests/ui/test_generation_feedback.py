"""Issue 13.7 (Generate on an up-to-date shot says so and offers New take), 13.8 (one batch is
one undo step) and 13.14 (the Queue dock shows only while jobs exist)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from ui13_fixtures import activate

from storyboard_app.model import Document, Project, Sequence, new_id
from storyboard_app.model.commands import add_shot
from storyboard_app.ui.timeline import CARD_TOP


def sketch_project(tmp_path, shots: int = 3) -> Document:  # noqa: ANN001
    project = Project(title="Gen", width=320, height=180, fps=12)
    seq = Sequence(new_id("seq"), "Scene 1")
    project.sequences.append(seq)
    for i in range(shots):
        add_shot(project, seq.id, duration=12, prompt=f"a lantern {i}").apply(project)
    document = Document(project)
    document.save(tmp_path / "gen.sbproj")
    return document


def test_a_batch_is_one_undo_step_and_keeps_the_users_edits(make_window, qtbot, tmp_path):
    window = make_window(sketch_project(tmp_path))
    activate(qtbot, window)
    history = window.session.document.history
    shots = window.session.project.all_shots()
    window.session.select([shots[0].id])
    window.inspector.prompt.setFocus()
    qtbot.keyClicks(window.inspector.prompt, " at dusk")  # the director's own edit
    before = history.labels()[0]
    assert window.docks["queue"].isHidden()  # no jobs: no Queue dock (13.14)
    assert window.queue_indicator.text() == "Queue idle"
    qtbot.keyClick(window.timeline.canvas, Qt.Key_G, Qt.ControlModifier | Qt.ShiftModifier)  # Generate all
    assert not window.docks["queue"].isHidden()
    qtbot.waitUntil(lambda: all(s.selected_take for s in window.session.project.all_shots()), timeout=90000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    done = history.labels()[0]
    assert done[:-1] == before and done[-1] == "Generate 3 takes"
    assert window.act_undo.text() == "&Undo Generate 3 takes"
    window.act_undo.trigger()  # one undo removes the whole batch, the typed prompt stays
    assert all(not s.takes for s in window.session.project.all_shots())
    assert " at dusk" in shots[0].prompt
    assert window.docks["queue"].isHidden()  # all done, nothing failed: the dock goes away again


def test_generate_on_an_up_to_date_shot_offers_a_new_take(make_window, qtbot, tmp_path):
    window = make_window(sketch_project(tmp_path, shots=1))
    activate(qtbot, window)
    shot = window.session.project.all_shots()[0]
    canvas = window.timeline.canvas
    card = canvas.card(shot.id)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=QPoint(card.x + card.w // 2, CARD_TOP + 40))
    qtbot.keyClick(canvas, Qt.Key_G, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(shot.takes) == 1, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    first_seed = shot.takes[0].seed
    qtbot.keyClick(canvas, Qt.Key_G, Qt.ControlModifier)  # again: nothing changed
    assert "up to date" in window.statusBar().currentMessage()
    assert "Ctrl+R" in window.statusBar().currentMessage()
    assert window.new_take_button.isVisible()
    assert len(shot.takes) == 1
    qtbot.mouseClick(window.new_take_button, Qt.LeftButton)  # New take: a reroll
    qtbot.waitUntil(lambda: len(shot.takes) == 2, timeout=60000)
    assert shot.takes[1].seed != first_seed and shot.selected_take_id == shot.takes[1].id
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    # the shortcut does the same
    qtbot.keyClick(canvas, Qt.Key_R, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(shot.takes) == 3, timeout=60000)
    qtbot.waitUntil(lambda: not window.generation.running, timeout=10000)
    # a locked seed would give the same picture again: say so instead of rendering it
    shot.seed_locked = True
    qtbot.keyClick(canvas, Qt.Key_R, Qt.ControlModifier)
    assert "seed locked" in window.statusBar().currentMessage()
    assert not window.generation.running and len(shot.takes) == 3
