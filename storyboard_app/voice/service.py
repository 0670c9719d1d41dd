"""The voiceover service: every dialogue line of a project as a cached WAV, placed in its shot.

This is the one API the CLI, the exporter and the GUI use:

* ``synthesize(project, shots)`` voices every line that is not cached yet (progress, cancel) and
  reports counts, per-shot timing and per-line errors; one bad line does not stop the others.
* ``plan(project, shot)`` gives the exporter each line's WAV and its offset in the shot,
  voicing whatever is missing; an unvoiceable line raises, because an animatic that silently
  drops a line is worse than one that does not export.
* ``shot_vo_frames`` / ``timing`` give the GUI the numbers for "VO longer than shot".

A line with a recorded file (``DialogueLine.audio``) uses that recording instead of TTS; it is
decoded once through ffmpeg (any format it reads) and the decoded WAV is cached too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..media.ffmpeg import CancelCheck, Cancelled, FFmpegError, decode_audio
from ..model import BundlePaths, DialogueLine, Project, Shot, VoiceSettings
from .cache import RECORDED_RATE, LineCache, recorded_key, tts_key
from .engine import Speech, VoiceEngine, VoiceError, find_voice
from .fallback import BUNDLED, MissingVoice, fallback_settings
from .registry import get_engine
from .timing import ShotTiming, line_offsets, samples_to_frames, vo_frames

#: progress(done, total, what): called before each line and once at the end
ProgressCallback = Callable[[int, int, str], None]

NARRATOR = "Narrator"


@dataclass(frozen=True)
class PlacedLine:
    """One voiced line where the exporter should put it."""

    shot_id: str
    line_id: str
    speaker_name: str
    text: str
    offset_frames: int  # from the shot's start
    duration_frames: int  # rounded up to whole frames
    audio_path: Path  # absolute path of a mono 16-bit WAV
    sample_rate: int
    samples: int = 0
    recorded: bool = False  # True when the audio is the line's recording, not TTS


@dataclass
class VoiceReport:
    synthesized: int = 0  # lines voiced (or recordings decoded) in this run
    cached: int = 0  # lines served from the cache
    shots: list[ShotTiming] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: voices the project names that are not installed (spoken with the bundled voice instead)
    missing: list[MissingVoice] = field(default_factory=list)

    @property
    def overlong(self) -> list[ShotTiming]:
        return [t for t in self.shots if t.overlong]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Voiced:
    path: Path
    samples: int
    rate: int
    cached: bool
    recorded: bool


class VoiceService:
    """Voiceover for one bundle; the cache lives in ``BUNDLE/cache/voice``."""

    def __init__(
        self,
        bundle_paths: BundlePaths | Path | str,
        engines: Callable[[str], VoiceEngine] = get_engine,
    ):
        self.paths = bundle_paths if isinstance(bundle_paths, BundlePaths) else BundlePaths(bundle_paths)
        self.cache = LineCache(self.paths.cache / "voice")
        self._engines = engines
        #: (engine, voice) → speaker names, for every line spoken with the fallback voice
        self._fell_back: dict[tuple[str, str], list[str]] = {}

    # ------------------------------------------------------------------ public API
    def synthesize(
        self,
        project: Project,
        shots: Iterable[Shot | str] | None = None,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> VoiceReport:
        """Voice every speakable line of ``shots`` (default: all). Raises only on cancel."""
        chosen = self._shots(project, shots)
        work = [(shot, i, line) for shot in chosen for i, line in enumerate(shot.dialogue)
                if _speakable(line)]
        report = VoiceReport()
        durations: dict[str, list[int]] = {shot.id: [] for shot in chosen}
        for done, (shot, index, line) in enumerate(work):
            if cancelled is not None and cancelled():
                raise Cancelled("voiceover cancelled")
            if progress is not None:
                progress(done, len(work), f"shot {shot.number or shot.id}: {line.text[:40]}")
            try:
                voiced = self._voice(project, shot, index, line, cancelled)
            except VoiceError as exc:
                report.errors.append(str(exc))
                continue
            if voiced.cached:
                report.cached += 1
            else:
                report.synthesized += 1
            durations[shot.id].append(samples_to_frames(voiced.samples, voiced.rate, project.frame_rate))
        if progress is not None:
            progress(len(work), len(work), "done")
        report.missing = self.missing_voices()
        lead, gap = project.render.dialogue_lead_frames, project.render.dialogue_gap_frames
        report.shots = [
            ShotTiming(shot.id, shot.number, vo_frames(durations[shot.id], lead, gap),
                       shot.duration, len(durations[shot.id]))
            for shot in chosen
        ]
        return report

    def plan(
        self, project: Project, shot: Shot | str, cancelled: CancelCheck | None = None
    ) -> list[PlacedLine]:
        """Each speakable line of ``shot`` with its WAV and offset; raises VoiceError on a bad line."""
        shot = project.shot(shot) if isinstance(shot, str) else shot
        voiced = [
            (line, self._voice(project, shot, i, line, cancelled))
            for i, line in enumerate(shot.dialogue)
            if _speakable(line)
        ]
        frames = [samples_to_frames(v.samples, v.rate, project.frame_rate) for _, v in voiced]
        offsets = line_offsets(
            frames, project.render.dialogue_lead_frames, project.render.dialogue_gap_frames
        )
        return [
            PlacedLine(
                shot_id=shot.id,
                line_id=line.id,
                speaker_name=_speaker_name(project, line),
                text=line.text,
                offset_frames=offset,
                duration_frames=length,
                audio_path=v.path,
                sample_rate=v.rate,
                samples=v.samples,
                recorded=v.recorded,
            )
            for (line, v), offset, length in zip(voiced, offsets, frames, strict=True)
        ]

    def missing_voices(self) -> list[MissingVoice]:
        """The voices that were not installed in the lines voiced so far by this service."""
        return [MissingVoice(engine, voice, tuple(names), BUNDLED.voice)
                for (engine, voice), names in self._fell_back.items()]

    def shot_vo_frames(self, project: Project, shot: Shot | str) -> int:
        """Lead + lines + gaps of ``shot`` (0 without dialogue), voicing what is missing."""
        return self.timing(project, shot).vo_frames

    def timing(self, project: Project, shot: Shot | str) -> ShotTiming:
        shot = project.shot(shot) if isinstance(shot, str) else shot
        lines = self.plan(project, shot)
        vo = vo_frames([p.duration_frames for p in lines], project.render.dialogue_lead_frames,
                       project.render.dialogue_gap_frames)
        return ShotTiming(shot.id, shot.number, vo, shot.duration, len(lines))

    # ------------------------------------------------------------------ one line
    def _voice(
        self, project: Project, shot: Shot, index: int, line: DialogueLine,
        cancelled: CancelCheck | None,
    ) -> _Voiced:
        where = f"shot {shot.number or shot.id}, line {index + 1} ({line.id})"
        if line.audio:
            return self._recorded(line.audio, where, cancelled)
        settings = _settings(project, line)
        engine = self._engine(settings.engine, where)
        try:
            voice = find_voice(engine, settings.voice)
        except VoiceError as exc:
            # a voice this machine lacks: the bundled one speaks, and the caller is told
            wanted = (settings.engine, settings.voice)
            settings = fallback_settings(settings)
            try:
                engine = self._engine(settings.engine, where)
                voice = find_voice(engine, settings.voice)
            except VoiceError:
                raise VoiceError(f"{where}: {exc}") from None
            names = self._fell_back.setdefault(wanted, [])
            if (name := _speaker_name(project, line)) not in names:
                names.append(name)
        key = tts_key(line.text, settings, engine.version, voice.version)
        hit = self.cache.lookup(key)
        if hit is not None:
            return _Voiced(*hit, cached=True, recorded=False)
        try:
            speech = engine.synthesize(line.text, settings, cancelled)
        except VoiceError as exc:
            raise VoiceError(f"{where}: {exc}") from None
        return _Voiced(*self.cache.store(key, speech), cached=False, recorded=False)

    def _recorded(self, relative: str, where: str, cancelled: CancelCheck | None) -> _Voiced:
        try:
            path = self.paths.media_path(relative)
        except ValueError as exc:
            raise VoiceError(f"{where}: recorded audio path {relative!r} refused: {exc}") from None
        if not path.is_file():
            raise VoiceError(f"{path}: {where}: recorded audio file not found")
        key = recorded_key(path)
        hit = self.cache.lookup(key)
        if hit is not None:
            return _Voiced(*hit, cached=True, recorded=True)
        try:
            samples = decode_audio(path, rate=RECORDED_RATE, channels=1, cancelled=cancelled)
        except FFmpegError as exc:
            # decode_audio's message starts with the file; put the line right after it
            reason = str(exc).removeprefix(f"{path}: ")
            raise VoiceError(f"{path}: {where}: {reason}") from None
        return _Voiced(*self.cache.store(key, Speech(samples, RECORDED_RATE)), cached=False,
                       recorded=True)

    def _engine(self, name: str, where: str) -> VoiceEngine:
        try:
            return self._engines(name)
        except VoiceError as exc:
            raise VoiceError(f"{where}: {exc}") from None

    @staticmethod
    def _shots(project: Project, shots: Iterable[Shot | str] | None) -> list[Shot]:
        if shots is None:
            return project.all_shots()
        return [project.shot(s) if isinstance(s, str) else s for s in shots]


def _speakable(line: DialogueLine) -> bool:
    """A line with a recording, or with text to speak; an empty placeholder line is skipped."""
    return bool(line.audio) or bool(line.text.strip())


def _settings(project: Project, line: DialogueLine) -> VoiceSettings:
    """The speaker's voice; a narrator/unassigned line speaks with the project's default voice."""
    if line.speaker:
        try:
            return project.character(line.speaker).voice
        except KeyError:
            pass
    return project.narrator_voice


def _speaker_name(project: Project, line: DialogueLine) -> str:
    if line.speaker:
        try:
            return project.character(line.speaker).name
        except KeyError:
            return line.speaker
    return NARRATOR
