"""What a voice engine is: the protocol every TTS backend implements, and its small value types.

Engines are found through the ``storyboard_app.voices`` entry-point group (see ``registry``), so
a new backend is a package that declares one entry point; nothing here names piper. An engine is
constructed with no arguments, loads its models lazily and keeps them for the life of the process,
because loading a neural voice costs seconds and synthesising a line costs a fraction of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..model import VoiceSettings

CancelCheck = Callable[[], bool]


class VoiceError(RuntimeError):
    """A line cannot be voiced: unknown engine or voice, unreadable recording, engine failure.

    The message is one line that names the file and the line or field at fault.
    """


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers; listing it must not load the model."""

    id: str  # what VoiceSettings.voice holds, e.g. "en_US-joe-medium"
    language: str = ""  # BCP 47-ish, "en-us"
    sample_rate: int = 0
    description: str = ""
    version: str = ""  # part of the line-cache key: a new voice release re-synthesises
    #: speaker names of a multi-speaker model in speaker-id order (VoiceSettings.speaker); ()
    #: for a single-speaker voice
    speakers: tuple[str, ...] = ()
    #: installed with the app (a voice package), as opposed to pulled into the user's folder
    bundled: bool = False


@dataclass(frozen=True)
class Speech:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@runtime_checkable
class VoiceEngine(Protocol):
    """A text-to-speech backend."""

    #: the entry-point name, stored in VoiceSettings.engine
    name: str
    #: part of the line-cache key: a new engine release re-synthesises
    version: str

    def voices(self) -> list[VoiceInfo]:
        """The voices this engine can speak with right now (installed, no download)."""
        ...

    def synthesize(
        self, text: str, settings: VoiceSettings, cancelled: CancelCheck | None = None
    ) -> Speech:
        """Speak ``text`` with ``settings`` (rate, pitch, volume applied). Raises VoiceError."""
        ...


def find_voice(engine: VoiceEngine, voice_id: str) -> VoiceInfo:
    """The engine's voice ``voice_id``, or a VoiceError that lists the ones it has."""
    voices = engine.voices()
    for info in voices:
        if info.id == voice_id:
            return info
    have = ", ".join(v.id for v in voices) or "none"
    raise VoiceError(f"voice engine {engine.name!r} has no voice {voice_id!r} (installed: {have})")
