"""The per-character voice picker: engine, voice, speaker, rate, pitch, and a Preview button.

Every change is one undoable ``SetField`` on the character's ``voice`` (rate and pitch merge
while a spin box is held, as the other character fields do). The voice list is what is installed
here (bundled and pulled voices), plus the voice the project names when it is not installed, shown
as such; then a badge says so, names the command that fetches it, and the lines speak with the
bundled voice (``voice.fallback``). Preview synthesises a sample line off the UI thread, writes it
as a WAV and plays it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from ..model import Character, Ref, SetField, VoiceSettings
from .session import ProjectSession
from .workers import Worker, run_in_background

SAMPLE_LINE = "Hello. This is how {name} sounds in the animatic."


def installed_voice_list(engine_name: str):  # noqa: ANN201 - list[VoiceInfo]
    """The voices engine ``engine_name`` has here; [] when it is not installed."""
    from ..voice.engine import VoiceError
    from ..voice.registry import get_engine

    try:
        return get_engine(engine_name).voices()
    except VoiceError:
        return []


_entry_point_engines: list[str] | None = None


def engine_list() -> list[str]:
    """Installed engine names: entry points (scanned once per process: the scan reads every
    installed distribution, and the picker refreshes after every edit) plus registered ones."""
    global _entry_point_engines
    from ..voice.registry import _engines, engine_names

    if _entry_point_engines is None:
        _entry_point_engines = engine_names()
    return sorted(set(_entry_point_engines) | set(_engines))


def synthesize_preview(text: str, settings: VoiceSettings, folder: Path) -> Path:
    """Speak ``text`` (with the bundled voice when ``settings`` names a missing one) into a WAV."""
    from ..media.ffmpeg import write_wav
    from ..voice.engine import VoiceError, find_voice
    from ..voice.fallback import fallback_settings
    from ..voice.registry import get_engine

    engine = get_engine(settings.engine)
    try:
        find_voice(engine, settings.voice)
    except VoiceError:  # a missing voice: preview what the export will play
        settings = fallback_settings(settings)
        engine = get_engine(settings.engine)
    speech = engine.synthesize(text, settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkstemp(prefix="preview-", suffix=".wav", dir=folder)[1])
    write_wav(target, speech.samples, speech.sample_rate)
    return target


class VoicePicker(QWidget):
    """Edits one character's ``VoiceSettings``; ``character_id()`` says which."""

    #: a preview WAV is ready and playback was asked for
    preview_ready = Signal(Path)

    def __init__(self, session: ProjectSession, character_id: Callable[[], str | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._character_id = character_id
        self.engine = QComboBox()
        self.engine.setToolTip("the speech engine")
        self.voice = QComboBox()
        self.voice.setToolTip("installed voices; File > Voices… pulls more")
        self.speaker = QComboBox()
        self.speaker.setToolTip("the speaker, for voice models trained on several people")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.25, 4.0)
        self.rate.setSingleStep(0.05)
        self.pitch = QDoubleSpinBox()
        self.pitch.setRange(-24, 24)
        self.pitch.setSuffix(" st")
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("Hear a sample line with this voice")
        self.badge = QLabel()
        self.badge.setWordWrap(True)
        self.badge.setStyleSheet("color: #e0a040")
        self.badge.setTextInteractionFlags(Qt.TextSelectableByMouse)  # the command can be copied
        self.badge.hide()
        self.last_preview: Path | None = None
        self._shown: tuple[str, str] | None = None  # what refresh last showed
        self.preview_worker: Worker | None = None
        self._preview_dir = Path(tempfile.mkdtemp(prefix="sb-voice-preview-"))
        self._player = None
        #: plays a WAV; replaced in tests (no audio device there)
        self.play: Callable[[Path], None] = self._play_with_qt
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        voice_row = QHBoxLayout()
        voice_row.addWidget(self.voice, 1)
        voice_row.addWidget(self.preview_button)
        form.addRow("Engine", self.engine)
        form.addRow("Voice", voice_row)
        form.addRow("", self.badge)
        form.addRow("Speaker", self.speaker)
        form.addRow("Speaking rate", self.rate)
        form.addRow("Pitch", self.pitch)
        self.engine.activated.connect(lambda _i: self._engine_chosen())
        self.voice.activated.connect(lambda _i: self._voice_chosen())
        self.speaker.activated.connect(lambda _i: self._speaker_chosen())
        self.rate.valueChanged.connect(lambda v: self._edit("rate", round(v, 3)))
        self.pitch.valueChanged.connect(lambda v: self._edit("pitch_semitones", round(v, 2)))
        self.preview_button.clicked.connect(lambda: self.preview())
        folder = self._preview_dir
        self.destroyed.connect(lambda *_: _remove_tree(folder))

    # ------------------------------------------------------------------ state
    def character(self) -> Character | None:
        cid = self._character_id()
        try:
            return self.session.project.character(cid) if cid else None
        except KeyError:
            return None

    def invalidate(self) -> None:
        """Voices were pulled or removed: the next refresh rebuilds the lists."""
        self._shown = None

    def refresh(self) -> None:
        """Show the current character's voice (no edits are made here). It runs after every edit
        of the project, so it returns at once when the character and its voice are unchanged."""
        ch = self.character()
        shown = (ch.id, repr(ch.voice)) if ch is not None else None
        if shown == self._shown and self._shown is not None:
            return
        self._shown = shown
        for w in (self.engine, self.voice, self.speaker, self.rate, self.pitch, self.preview_button):
            w.setEnabled(ch is not None)
        settings = ch.voice if ch is not None else VoiceSettings()
        blockers = [QSignalBlocker(w) for w in (self.engine, self.voice, self.speaker, self.rate, self.pitch)]
        engines = engine_list()
        if settings.engine not in engines:
            engines.append(settings.engine)
        _fill(self.engine, [(name, name) for name in engines], settings.engine)
        voices = installed_voice_list(settings.engine)
        items = [(f"{v.id}{'  (bundled)' if v.bundled else ''}", v.id) for v in voices]
        present = any(v.id == settings.voice for v in voices)
        if not present:
            items.insert(0, (f"{settings.voice}  (not installed)", settings.voice))
        _fill(self.voice, items, settings.voice)
        info = next((v for v in voices if v.id == settings.voice), None)
        speakers = list(info.speakers) if info is not None else []
        self.speaker.setEnabled(ch is not None and bool(speakers))
        speaker_items = [("default", "")] + [(s, s) for s in speakers]
        if settings.speaker and settings.speaker not in speakers:
            speaker_items.append((f"{settings.speaker}  (not in this voice)", settings.speaker))
        _fill(self.speaker, speaker_items, settings.speaker)
        self.rate.setValue(settings.rate if ch is not None else 1.0)
        self.pitch.setValue(settings.pitch_semitones if ch is not None else 0.0)
        del blockers
        self._show_badge(ch, present, voices)

    def missing(self) -> bool:
        """True when the character's voice is not installed here (the badge shows)."""
        return not self.badge.isHidden()

    def _show_badge(self, ch: Character | None, present: bool, voices) -> None:  # noqa: ANN001
        if ch is None or present:
            self.badge.hide()
            self.badge.clear()
            return
        from ..voice.fallback import BUNDLED

        if not voices and ch.voice.engine not in engine_list():
            text = f"⚠ voice engine '{ch.voice.engine}' is not installed: {ch.name}'s lines cannot be voiced"
        else:
            text = (f"⚠ '{ch.voice.voice}' is not installed here: {ch.name} speaks with the bundled "
                    f"'{BUNDLED.voice}' until you pull it (File > Voices…, or "
                    f"storyboard-app voices pull {ch.voice.voice})")
        self.badge.setText(text)
        self.badge.show()

    # ------------------------------------------------------------------ edits
    def _apply(self, voice: VoiceSettings, label: str, merge: str | None = None) -> bool:
        cid = self._character_id()
        if not cid:
            return False
        return self.session.apply(SetField(Ref("character", (cid,)), "voice", voice, label),
                                  f"char:{cid}:voice:{merge}" if merge else None)

    def set_voice(self, engine: str, voice_id: str) -> bool:
        """Choose a voice (one undo step); the speaker resets to the new model's default."""
        ch = self.character()
        if ch is None or (ch.voice.engine, ch.voice.voice) == (engine, voice_id):
            return False
        return self._apply(replace(ch.voice, engine=engine, voice=voice_id, speaker=""), "Set voice")

    def set_speaker(self, speaker: str) -> bool:
        ch = self.character()
        if ch is None or ch.voice.speaker == speaker:
            return False
        return self._apply(replace(ch.voice, speaker=speaker), "Set speaker")

    def _engine_chosen(self) -> None:
        engine = self.engine.currentData()
        voices = installed_voice_list(engine)
        if voices:
            self.set_voice(engine, voices[0].id)
        self.invalidate()  # an engine without voices changes nothing: show the voice as it is
        self.refresh()

    def _voice_chosen(self) -> None:
        ch = self.character()
        if ch is not None:
            self.set_voice(self.engine.currentData() or ch.voice.engine, self.voice.currentData())

    def _speaker_chosen(self) -> None:
        self.set_speaker(self.speaker.currentData() or "")

    def _edit(self, field: str, value: float) -> None:
        ch = self.character()
        if ch is None or getattr(ch.voice, field) == value:
            return
        self._apply(replace(ch.voice, **{field: value}), "Set voice", merge=field)

    # ------------------------------------------------------------------ preview
    def preview(self, text: str | None = None) -> Worker | None:
        """Synthesise a sample line with the character's voice in the background, then play it."""
        ch = self.character()
        if ch is None:
            return None
        if self.preview_worker is not None:
            self.preview_worker.cancel()
        line = text or next((ln.text for shot in self.session.project.all_shots() for ln in shot.dialogue
                             if ln.speaker == ch.id and ln.text.strip()), SAMPLE_LINE.format(name=ch.name))
        worker = Worker(synthesize_preview, line, replace(ch.voice), self._preview_dir)
        self.preview_worker = worker
        self.preview_button.setEnabled(False)
        self.preview_button.setText("Speaking…")

        def done(path: Path) -> None:
            if self.preview_worker is not worker:
                return
            self.preview_worker = None
            self._preview_idle()
            self.last_preview = Path(path)
            self.play(self.last_preview)
            self.preview_ready.emit(self.last_preview)

        def failed(message: str) -> None:
            if self.preview_worker is worker:
                self.preview_worker = None
                self._preview_idle()
            self.session.message.emit(f"Can't preview the voice: {message}")

        worker.signals.finished.connect(done)
        worker.signals.failed.connect(failed)
        run_in_background(worker)
        return worker

    def _preview_idle(self) -> None:
        self.preview_button.setText("Preview")
        self.preview_button.setEnabled(self.character() is not None)

    def _play_with_qt(self, path: Path) -> None:
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:
            self.session.message.emit(f"Preview written to {path} (no QtMultimedia to play it)")
            return
        if self._player is None:
            self._player = QMediaPlayer(self)
            self._audio = QAudioOutput(self)
            self._player.setAudioOutput(self._audio)
        self._player.stop()
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()


def _fill(combo: QComboBox, items: list[tuple[str, str]], current: str) -> None:
    """Replace the combo's items only when they changed (refresh runs after every edit)."""
    if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] != items:
        combo.clear()
        for text, data in items:
            combo.addItem(text, data)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))


def _remove_tree(folder: Path) -> None:
    import shutil

    with contextlib.suppress(OSError):
        shutil.rmtree(folder)
