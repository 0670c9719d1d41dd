"""The voice picker (engine, voice, speaker, rate, pitch, Preview) and the Voices page, with
locally built voice files and a loopback hub; every picker edit is undoable."""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import pytest

from storyboard_app.model import Character, Document, Project, Sequence, VoiceSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "voice"))
from voice_hub_fixtures import (  # noqa: E402
    TEST_VOICE,
    HubServer,
    build_test_voice,
    isolated_user_data,
    publish_test_voice,
)

CHOIR = "en_GB-choir-medium"  # a locally built "multi-speaker" voice (listed, never spoken)


@pytest.fixture
def voices(tmp_path, monkeypatch) -> Path:
    folder = isolated_user_data(tmp_path, monkeypatch)
    build_test_voice(folder / "piper", TEST_VOICE)
    build_test_voice(folder / "piper", CHOIR, speakers={"alto": 0, "tenor": 1})
    return folder


def document(voice: str = "en_US-joe-medium") -> Document:
    project = Project(title="Voices", characters=[Character("ch_mara", "Mara", voice=VoiceSettings(voice=voice))],
                      sequences=[Sequence("q", "Scene")])
    return Document(project)


def test_picker_lists_installed_voices_and_every_edit_is_undoable(make_window, voices):
    window = make_window(document())
    picker = window.characters.voice_picker
    voice_ids = [picker.voice.itemData(i) for i in range(picker.voice.count())]
    assert {"en_US-joe-medium", TEST_VOICE, CHOIR} <= set(voice_ids)
    assert not picker.speaker.isEnabled()  # joe has one speaker
    mara = window.session.project.characters[0]

    picker.voice.setCurrentIndex(picker.voice.findData(TEST_VOICE))
    picker.voice.activated.emit(picker.voice.currentIndex())
    assert mara.voice.voice == TEST_VOICE
    picker.voice.setCurrentIndex(picker.voice.findData(CHOIR))
    picker.voice.activated.emit(picker.voice.currentIndex())
    assert mara.voice.voice == CHOIR
    speakers = [picker.speaker.itemData(i) for i in range(picker.speaker.count())]
    assert picker.speaker.isEnabled() and speakers == ["", "alto", "tenor"]
    picker.speaker.setCurrentIndex(2)
    picker.speaker.activated.emit(2)
    assert mara.voice.speaker == "tenor"
    picker.rate.setValue(1.2)
    picker.pitch.setValue(3.0)
    assert (mara.voice.rate, mara.voice.pitch_semitones) == (1.2, 3.0)

    undo = window.session.document.history
    labels = []
    while undo.can_undo:
        labels.append(undo.undo_label)
        window.act_undo.trigger()
    assert mara.voice == VoiceSettings()  # back to the start, one step at a time
    assert labels[:2] == ["Set voice", "Set voice"] and "Set speaker" in labels
    assert picker.voice.currentData() == "en_US-joe-medium" and picker.rate.value() == 1.0


def test_preview_synthesises_in_the_background_and_plays(make_window, voices, qtbot):
    window = make_window(document(TEST_VOICE))
    picker = window.characters.voice_picker
    played: list[Path] = []
    picker.play = played.append
    with qtbot.waitSignal(picker.preview_ready, timeout=60000):
        worker = picker.preview("A short line.")
        assert worker is not None and not picker.preview_button.isEnabled()  # the UI did not block on it
    assert played == [picker.last_preview]
    with wave.open(str(played[0]), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 0.5 < seconds < 5 and picker.preview_button.isEnabled()


def test_a_missing_voice_shows_a_badge_and_the_command(make_window, voices):
    window = make_window(document("en_US-nobody-medium"))
    picker = window.characters.voice_picker
    assert picker.missing()
    assert "storyboard-app voices pull en_US-nobody-medium" in picker.badge.text()
    assert "bundled 'en_US-joe-medium'" in picker.badge.text()
    assert picker.voice.currentText() == "en_US-nobody-medium  (not installed)"
    assert "voice not installed" in window.characters.list.item(0).text()
    picker.voice.setCurrentIndex(picker.voice.findData("en_US-joe-medium"))
    picker.voice.activated.emit(picker.voice.currentIndex())
    assert not picker.missing() and "voice not installed" not in window.characters.list.item(0).text()


def test_voices_page_filters_pulls_with_progress_and_removes(make_window, tmp_path, monkeypatch, qtbot):
    voices = isolated_user_data(tmp_path, monkeypatch)
    server = HubServer().start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        publish_test_voice(server, tmp_path, voices)
        window = make_window(document(TEST_VOICE))
        assert window.characters.voice_picker.missing()
        dialog = window.open_voices()
        page = dialog.page
        page.gender.setCurrentIndex(page.gender.findData("female"))
        keys = {page.table.item(r, 0).text() for r in range(page.table.rowCount())}
        assert "en_US-amy-medium" in keys and "en_US-joe-medium" not in keys  # the shipped snapshot

        with qtbot.waitSignal(page.installed_changed, timeout=30000):
            assert page.refresh_catalogue() is not None
        assert set(page.catalogue.voices) == {TEST_VOICE}
        assert page.select(TEST_VOICE) and page.row_text(TEST_VOICE)["Gender"] == "female"
        seen: list[float] = []
        with qtbot.waitSignal(page.installed_changed, timeout=60000):
            worker = page.pull()
            worker.signals.progress.connect(lambda f, _m: seen.append(f))
            assert page.cancel_button.isEnabled() and not page.pull_button.isEnabled()
        assert page.row_text(TEST_VOICE)["Here"] == "installed" and page.progress.value() == 1000
        assert seen and seen[-1] == pytest.approx(1.0)
        # the character panel followed: Mara's voice is installed now
        assert not window.characters.voice_picker.missing()

        page.select(TEST_VOICE)
        with qtbot.waitSignal(page.installed_changed, timeout=30000):
            page.remove()
        assert page.row_text(TEST_VOICE)["Here"] == "" and window.characters.voice_picker.missing()
        dialog.close()
    finally:
        server.stop()


def test_cancel_keeps_the_part_for_a_resume(make_window, tmp_path, monkeypatch, qtbot):
    voices = isolated_user_data(tmp_path, monkeypatch)
    server = HubServer().start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        publish_test_voice(server, tmp_path, voices)
        window = make_window(document())
        page = window.open_voices().page
        with qtbot.waitSignal(page.installed_changed, timeout=30000):
            page.refresh_catalogue()
        page.select(TEST_VOICE)
        worker = page.pull()
        worker.cancel()  # before its first block: it stops at once
        qtbot.waitUntil(lambda: page.worker is None, timeout=30000)
        assert "cancelled" in page.status.text()
        assert "installed" not in page.row_text(TEST_VOICE)["Here"]
        window.voices_dialog.close()
    finally:
        server.stop()
