"""Project settings: the notes (the pitch deck's logline) and the default voice, which narrator
lines speak with and new characters start from (schema 2)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from storyboard_app.model import DialogueLine, Document, Project, Sequence, Shot, VoiceSettings
from storyboard_app.voice.service import _settings


def _doc(tmp_path) -> Document:  # noqa: ANN001
    project = Project(title="Settings", sequences=[Sequence("sq", "Scene", [Shot(id="s1", number="1")])])
    return Document(project, tmp_path / "settings.sbproj")


def test_notes_and_default_voice_are_one_undoable_step(make_window, qtbot, tmp_path):
    window = make_window(_doc(tmp_path))
    dialog = window.project_settings_dialog()
    dialog.notes.setFocus()
    qtbot.keyClicks(dialog.notes, "A locksmith's last job.")
    dialog.voice_rate.setFocus()
    dialog.voice_rate.selectAll()
    qtbot.keyClicks(dialog.voice_rate, "1.25")
    qtbot.keyClick(dialog.voice_rate, Qt.Key_Tab)
    assert dialog.apply_and_close()
    project = window.session.project
    assert project.notes == "A locksmith's last job."
    assert project.narrator_voice.rate == 1.25
    assert window.session.document.history.undo_label == "Project settings"

    # a narrator line speaks with the default voice; a new character starts from it
    line = DialogueLine(id="l1", text="Night.")
    assert _settings(project, line) == project.narrator_voice
    window.characters.add_character()
    assert project.characters[-1].voice == project.narrator_voice
    assert project.characters[-1].voice is not project.narrator_voice  # a copy, edited on its own

    window.act_undo.trigger()  # the character
    window.act_undo.trigger()  # the settings
    assert project.notes == "" and project.narrator_voice == VoiceSettings()
