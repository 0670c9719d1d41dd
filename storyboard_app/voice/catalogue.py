"""The catalogue of Piper voices one can pull: the public ``rhasspy/piper-voices`` repository.

The app ships a snapshot of the hub's ``voices.json`` (``resources/voices/catalogue.json``) so the
catalogue can be browsed offline; ``refresh_catalogue`` downloads the current one into the user
data folder on request (never on its own), and ``load_catalogue`` prefers that copy. Our own
``annotations.json`` adds what the hub's file does not say (gender, the training data's licence)
and applies to either by key. Nothing here loads a model or imports Qt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..assets import resource
from ..files import atomic_output
from .engine import VoiceError

HUB_REPO = "rhasspy/piper-voices"
HUB_REVISION = "main"
DEFAULT_ENDPOINT = "https://huggingface.co"
CATALOGUE_FILE = "voices.json"  # the refreshed copy's name in the user's voices folder


@dataclass(frozen=True)
class HubFile:
    """One file of a voice on the hub: its path in the repository, size and MD5."""

    path: str
    size: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogueVoice:
    """One voice of the catalogue (listing it downloads nothing)."""

    key: str  # "en_US-amy-medium": what a project records and ``voices pull`` takes
    name: str  # "amy"
    language: str  # "en_US"
    language_name: str  # "English (United States)"
    quality: str  # x_low / low / medium / high
    num_speakers: int
    speakers: tuple[str, ...]  # speaker names in speaker-id order; () for one speaker
    files: tuple[HubFile, ...]
    aliases: tuple[str, ...] = ()
    gender: str = ""  # female / male / mixed (several speakers) / "" not recorded
    licence: str = ""  # the training data's licence where recorded; "" not recorded
    speaker_genders: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def model_file(self) -> HubFile:
        return self._file(".onnx")

    @property
    def config_file(self) -> HubFile:
        return self._file(".onnx.json")

    @property
    def download_size(self) -> int:
        """Bytes a pull downloads (the model and its config)."""
        return self.model_file.size + self.config_file.size

    def _file(self, suffix: str) -> HubFile:
        for f in self.files:
            if f.path.endswith(suffix):
                return f
        raise VoiceError(f"catalogue: voice {self.key!r} lists no {suffix} file")

    def speaker_label(self, speaker: str) -> str:
        gender = self.speaker_genders.get(speaker, "")
        return f"{speaker} ({gender})" if gender else speaker


@dataclass
class Catalogue:
    voices: dict[str, CatalogueVoice]
    source: str  # where it came from, for the list's title

    def find(self, name: str) -> CatalogueVoice:
        """The voice ``name`` names: a key, an alias, or a voice name with one quality (or a
        medium one among several). A VoiceError lists the candidates otherwise."""
        if name in self.voices:
            return self.voices[name]
        for voice in self.voices.values():
            if name in voice.aliases:
                return voice
        named = [v for v in self.voices.values() if v.name == name]
        medium = [v for v in named if v.quality == "medium"]
        if len(named) == 1 or len(medium) == 1:
            return (named if len(named) == 1 else medium)[0]
        if named:
            options = ", ".join(v.key for v in named)
            raise VoiceError(f"{name!r} names several voices: {options} (give one of them)")
        close = [k for k in self.voices if name.lower() in k.lower()][:8]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `storyboard-app voices list`)"
        raise VoiceError(f"no voice {name!r} in the Piper catalogue{hint}")

    def select(self, language: str = "", gender: str = "", text: str = "") -> list[CatalogueVoice]:
        """Voices whose language starts with ``language`` ("en", "en_GB", "en-gb"), of ``gender``,
        whose key contains ``text``; sorted by key."""
        lang = language.replace("-", "_").lower()
        out = []
        for voice in self.voices.values():
            if lang and not voice.language.lower().startswith(lang):
                continue
            if gender and voice.gender != gender and gender not in voice.speaker_genders.values():
                continue
            if text and text.lower() not in voice.key.lower():
                continue
            out.append(voice)
        return sorted(out, key=lambda v: v.key)

    @property
    def languages(self) -> list[str]:
        return sorted({v.language for v in self.voices.values()})


# ---------------------------------------------------------------------- loading


def user_catalogue_path(voices_root: Path | None = None) -> Path:
    """Where ``refresh_catalogue`` keeps the hub's current voices.json."""
    from .piper_engine import user_voice_dir

    root = voices_root if voices_root is not None else user_voice_dir().parent
    return root / CATALOGUE_FILE


def load_catalogue(voices_root: Path | None = None) -> Catalogue:
    """The refreshed catalogue when there is one (and it reads), else the shipped snapshot."""
    annotations = _annotations(voices_root)
    refreshed = user_catalogue_path(voices_root)
    if refreshed.is_file():
        try:
            data = _read_json(refreshed.read_text(encoding="utf-8"), str(refreshed))
            return Catalogue(parse_voices(data, annotations, str(refreshed)), f"hub copy {refreshed}")
        except (OSError, VoiceError):
            pass  # a damaged refresh must not hide the shipped catalogue
    snapshot = _read_json(resource("voices", "catalogue.json").read_text(encoding="utf-8"), "catalogue.json")
    return Catalogue(parse_voices(snapshot["voices"], annotations, "catalogue.json"),
                     "snapshot shipped with the app")


def _annotations(voices_root: Path | None) -> dict[str, dict]:
    """Ours (shipped), then the user's own ``annotations.json`` beside the refreshed catalogue
    (same form), which wins per voice: a studio can record genders and licences it checked."""
    notes = dict(_read_json(resource("voices", "annotations.json").read_text(encoding="utf-8"),
                            "annotations.json")["voices"])
    own = user_catalogue_path(voices_root).with_name("annotations.json")
    if own.is_file():
        try:
            data = _read_json(own.read_text(encoding="utf-8"), str(own))
            for key, entry in dict(data.get("voices", {})).items():
                notes[key] = {**notes.get(key, {}), **dict(entry)}
        except (OSError, VoiceError, AttributeError, TypeError, ValueError):
            pass  # the user's notes are optional; a broken file must not hide the catalogue
    return notes


def parse_voices(data: Any, annotations: dict[str, dict], where: str) -> dict[str, CatalogueVoice]:
    """``voices.json`` as CatalogueVoices; a malformed entry is a one-line error naming it."""
    if not isinstance(data, dict):
        raise VoiceError(f"{where}: expected an object of voices")
    out: dict[str, CatalogueVoice] = {}
    for key, entry in data.items():
        try:
            language = entry["language"]
            speaker_map = entry.get("speaker_id_map") or {}
            files = tuple(HubFile(path, int(info["size_bytes"]), str(info["md5_digest"]))
                          for path, info in entry["files"].items())
            notes = annotations.get(key, {})
            voice = CatalogueVoice(
                key=key,
                name=str(entry["name"]),
                language=str(language["code"]),
                language_name=_language_name(language),
                quality=str(entry["quality"]),
                num_speakers=int(entry.get("num_speakers", 1)),
                speakers=tuple(sorted(speaker_map, key=lambda s: speaker_map[s])) if len(speaker_map) > 1 else (),
                files=files,
                aliases=tuple(entry.get("aliases") or ()),
                gender=str(notes.get("gender", "")),
                licence=str(notes.get("licence", "")),
                speaker_genders=dict(notes.get("speaker_genders", {})),
            )
            voice.model_file, voice.config_file  # noqa: B018 - both files must be listed
        except (KeyError, TypeError, ValueError, AttributeError, VoiceError) as exc:
            raise VoiceError(f"{where}: voice {key!r} is malformed ({exc})") from None
        out[key] = voice
    return out


def _language_name(language: dict) -> str:
    name = language.get("name_english") or language.get("code", "")
    country = language.get("country_english")
    return f"{name} ({country})" if country else name


def _read_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise VoiceError(f"{where}: not valid JSON ({exc})") from None


def refresh_catalogue(
    voices_root: Path | None = None, endpoint: str | None = None, timeout: float = 30.0
) -> Catalogue:
    """Download the hub's current voices.json (only when asked), check it parses, keep it."""
    from .hub import fetch_bytes, hub_url

    url = hub_url(CATALOGUE_FILE, endpoint)
    data = fetch_bytes(url, timeout=timeout)
    parsed = _read_json(data.decode("utf-8", errors="replace"), url)
    parse_voices(parsed, {}, url)  # refuse a broken catalogue before it replaces a good one
    target = user_catalogue_path(voices_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as tmp:
        Path(tmp).write_bytes(data)
    return load_catalogue(voices_root)
