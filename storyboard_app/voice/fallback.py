"""A project that names a voice this machine does not have: say so, and speak with the bundled one.

A project records each character's voice by name (``en_US-amy-medium``), so a project made on
one machine opens on another that never pulled that voice. Refusing to voice it would stop the
whole animatic over a temp voice; speaking silently with another would be a lie. So the line is
spoken with the bundled voice (the default ``VoiceSettings``: piper's packaged
``en_US-joe-medium``) with the character's own rate, pitch and volume, and every place that
shows the result says which voice was missing and the command that fetches it: the character
panel's badge, the ``voice``/``render`` warnings, the render summary and the slate.

Only a missing *voice* falls back; an engine that is not installed stays an error, since its
voices cannot even be listed to tell missing from misspelt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ..model import Project, VoiceSettings
from .engine import VoiceEngine, VoiceError
from .registry import get_engine

#: what a project falls back to: the default voice, which ships with the app
BUNDLED = VoiceSettings()


@dataclass(frozen=True)
class MissingVoice:
    """One voice a project names that is not installed here, and who uses it."""

    engine: str
    voice: str
    used_by: tuple[str, ...]  # character names ("Narrator" for the project's default voice)
    fallback: str  # the voice spoken instead; "" when the bundled one is missing too

    @property
    def command(self) -> str:
        return f"storyboard-app voices pull {self.voice}"

    def message(self) -> str:
        who = ", ".join(self.used_by)
        instead = (f"speaking with the bundled {self.fallback!r} instead" if self.fallback
                   else "and the bundled voice is missing too")
        return f"{who}: voice {self.voice!r} is not installed; {instead} (fetch it: {self.command})"

    def short(self) -> str:
        """For the slate and the burn-in note: "Mara: en_US-amy-medium → bundled voice"."""
        return f"{', '.join(self.used_by)}: {self.voice} not installed, bundled voice used"


def installed(settings: VoiceSettings, engines: Callable[[str], VoiceEngine] = get_engine) -> bool | None:
    """True if the voice is installed, False if not, None when its engine is not installed."""
    try:
        engine = engines(settings.engine)
    except VoiceError:
        return None
    return any(v.id == settings.voice for v in engine.voices())


def fallback_settings(settings: VoiceSettings) -> VoiceSettings:
    """The bundled voice with the character's rate, pitch and volume (its speaker belongs to the
    missing model and is dropped)."""
    return replace(settings, engine=BUNDLED.engine, voice=BUNDLED.voice, speaker="")


def bundled_available(engines: Callable[[str], VoiceEngine] = get_engine) -> bool:
    return bool(installed(BUNDLED, engines))


def missing_voices(
    project: Project,
    engines: Callable[[str], VoiceEngine] = get_engine,
    speaking_only: bool = True,
) -> list[MissingVoice]:
    """The voices ``project`` names that are not installed, each with who uses it.

    ``speaking_only``: only voices that some line will be spoken with (a character's voice
    when it has a line to synthesise, the narrator's when an unassigned line exists).
    """
    users: dict[tuple[str, str], list[str]] = {}
    for name, settings in _voices_in_use(project, speaking_only):
        if installed(settings, engines) is False:
            users.setdefault((settings.engine, settings.voice), []).append(name)
    fallback = BUNDLED.voice if bundled_available(engines) else ""
    return [MissingVoice(engine, voice, tuple(names), fallback) for (engine, voice), names in users.items()]


def _voices_in_use(project: Project, speaking_only: bool) -> Iterable[tuple[str, VoiceSettings]]:
    synthesised = [line for shot in project.all_shots() for line in shot.dialogue
                   if line.text.strip() and not line.audio]
    ids = {c.id for c in project.characters}
    speakers = {line.speaker for line in synthesised}
    for character in project.characters:
        if not speaking_only or character.id in speakers:
            yield character.name, character.voice
    if not speaking_only or any(not line.speaker or line.speaker not in ids for line in synthesised):
        yield "Narrator", project.narrator_voice
