"""The line cache: one WAV per voiced line in the bundle's ``cache/voice/<hash>.wav``.

The file name is a hash of everything that changes the sound: the text, the engine and its
release, the voice and its release, and the character's settings, plus the cache format. Edit
any of these and the line is a miss; undo the edit and the old WAV is a hit again. Recorded
lines are keyed by the *content* of the recording (not its name or mtime), so replacing the file
is noticed and a touched-but-identical file is not re-decoded.

Files are written through ``atomic_output``: a cancelled or crashed synthesis leaves no WAV that
a later run would take for finished. The cache holds only what can be regenerated (deleting
``cache/`` is always safe).
"""

from __future__ import annotations

import hashlib
import json
import wave
from dataclasses import asdict
from pathlib import Path

from ..files import atomic_output
from ..media.ffmpeg import write_wav
from ..model import VoiceSettings
from .engine import Speech

#: bump when the cached audio changes meaning (normalisation, sentence pauses, ...)
CACHE_FORMAT = 1
#: recorded lines are decoded to mono at this rate (the animatic's audio rate)
RECORDED_RATE = 48000


def tts_key(text: str, settings: VoiceSettings, engine_version: str, voice_version: str) -> str:
    """The cache name of a synthesised line."""
    return _digest(
        {
            "kind": "tts",
            "format": CACHE_FORMAT,
            "text": text,
            "settings": _settings_key(settings),
            "engine_version": engine_version,
            "voice_version": voice_version,
        }
    )


def _settings_key(settings: VoiceSettings) -> dict:
    """The settings as keyed: the default speaker is left out, so lines cached before the
    speaker field existed (and every single-speaker line) keep their names."""
    data = asdict(settings)
    if not data.get("speaker"):
        data.pop("speaker", None)
    return data


def recorded_key(audio_file: Path) -> str:
    """The cache name of a recorded line's decoded audio: the file's content, not its name."""
    sha = hashlib.sha256()
    with open(audio_file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return _digest(
        {"kind": "recorded", "format": CACHE_FORMAT, "sha256": sha.hexdigest(), "rate": RECORDED_RATE}
    )


def _digest(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class LineCache:
    """WAV files by key in one folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.wav"

    def lookup(self, key: str) -> tuple[Path, int, int] | None:
        """(path, sample count, sample rate) of a cached line, or None (a damaged file is a miss)."""
        path = self.path(key)
        try:
            with wave.open(str(path), "rb") as wav:
                frames, rate = wav.getnframes(), wav.getframerate()
        except (FileNotFoundError, EOFError, wave.Error, OSError):
            return None
        if frames <= 0 or rate <= 0:
            return None
        return path, frames, rate

    def store(self, key: str, speech: Speech) -> tuple[Path, int, int]:
        """Write ``speech`` atomically under ``key``; returns what ``lookup`` would."""
        target = self.path(key)
        with atomic_output(target) as tmp:
            write_wav(tmp, speech.samples, speech.sample_rate)
        return target, len(speech.samples), speech.sample_rate
