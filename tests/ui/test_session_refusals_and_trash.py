"""GUI side of issue 12 points 4 and 7: a refused edit is a status-bar message, not a traceback;
deleted takes go to the trash on save and come back on undo; File > Empty trash."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from storyboard_app.model import (
    Document,
    Project,
    Sequence,
    Shot,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
)
from storyboard_app.model import commands as cmd
from storyboard_app.model import trash as trash_mod
from storyboard_app.model.trash import list_trash


@pytest.fixture
def document(tmp_path, monkeypatch) -> Document:
    monkeypatch.setattr(trash_mod, "IN_FLIGHT_GRACE", 0.0)  # files here are made by the test
    takes = [Take(id=f"tk_{i}", generator_id="sketch", media_path=f"media/takes/s1/tk_{i}.mp4",
                  status=TakeStatus.DONE) for i in (1, 2)]
    shots = [Shot(id="s1", number="1", duration=24, takes=takes, selected_take_id="tk_2"),
             Shot(id="s2", number="2", duration=24, transition_in=Transition(TransitionKind.DISSOLVE, 12))]
    project = Project(title="t", fps=12, width=160, height=90, sequences=[Sequence("q", "Scene", shots)])
    doc = Document(project, tmp_path / "gui.sbproj")
    doc.save()
    for take in takes:
        (doc.bundle / take.media_path).parent.mkdir(parents=True, exist_ok=True)
        (doc.bundle / take.media_path).write_bytes(take.id.encode())
    return doc


def test_a_refused_edit_shows_its_reason_in_the_status_bar(make_window, document):
    window = make_window(document)
    ok = window.session.apply(cmd.set_shot("s2", "duration", 6, "Change duration"))
    assert ok is False
    message = window.statusBar().currentMessage()
    assert message.startswith("Can't change duration:")
    assert "transition_in.frames" in message and "1..6 frames" in message
    assert document.project.shot("s2").duration == 24 and not document.dirty


def test_deleted_take_goes_to_trash_on_save_and_comes_back_on_undo(make_window, document):
    window = make_window(document)
    file = document.bundle / "media/takes/s1/tk_1.mp4"
    assert window.session.apply(cmd.remove_take(document.project, "s1", "tk_1"))
    assert window.session.save()
    assert not file.exists() and [e.relative for e in list_trash(document.bundle)] == ["media/takes/s1/tk_1.mp4"]
    window.session.undo()
    assert file.read_bytes() == b"tk_1"
    assert list_trash(document.bundle) == []


def test_file_menu_empty_trash(make_window, document, answers):
    window = make_window(document)
    assert window.session.apply(cmd.remove_take(document.project, "s1", "tk_1"))
    assert window.session.save()
    assert any(a.text() == "Empty &trash…" for a in window.menuBar().actions()[0].menu().actions())
    answers.queue.append(QMessageBox.No)
    window.act_empty_trash.trigger()
    assert len(list_trash(document.bundle)) == 1
    answers.queue.append(QMessageBox.Yes)
    window.act_empty_trash.trigger()
    assert list_trash(document.bundle) == []
    assert "Emptied the trash: 1 file(s)" in window.statusBar().currentMessage()


def test_empty_trash_is_refused_while_a_batch_runs(make_window, document):
    window = make_window(document)
    window.session.set_job_state("s2", "rendering")
    assert window.session.empty_trash() is None
    assert "while shots are generating" in window.statusBar().currentMessage()
    window.session.set_job_state("s2", "")
