"""The voice manager: pull a catalogue voice into the user's voice folder, list, remove.

Pulled voices land where the piper engine already looks (``user_voice_dir()``, i.e.
``platformdirs.user_data_dir("storyboard-app")/voices/piper``) as ``KEY.onnx`` + ``KEY.onnx.json``,
so a pulled voice is an installed voice with no further step; the engine is told to look again.
Nothing downloads unless asked: generation and rendering never call ``pull_voice``.

A pull checks free disk space before it starts, downloads the config then the model (each
resumable, size- and MD5-checked, see ``hub``), and holds a lock file so two pulls of one voice
(the app and a terminal) do not write the same part file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, CatalogueVoice, load_catalogue
from .engine import VoiceError, VoiceInfo
from .hub import DownloadError, check_free_space, download, hub_url, part_path, partial_bytes
from .registry import forget_engine, get_engine

#: progress(bytes done, bytes total, message) over the whole pull
PullProgress = Callable[[int, int, str], None]
ENGINE = "piper"


@dataclass(frozen=True)
class PullResult:
    voice: CatalogueVoice
    model: Path  # the installed .onnx
    downloaded: bool  # False: it was installed already (pulled before, or bundled)


def voice_dir() -> Path:
    from .piper_engine import user_voice_dir

    return user_voice_dir()


def installed_voices() -> dict[str, VoiceInfo]:
    """The piper voices installed here (bundled and pulled), by id; lists only small configs."""
    try:
        return {v.id: v for v in get_engine(ENGINE).voices()}
    except VoiceError:
        return {}


def rescan() -> None:
    """Make the process's piper engine see pulled or removed voices."""
    try:
        engine = get_engine(ENGINE)
    except VoiceError:
        return
    if hasattr(engine, "rescan"):
        engine.rescan()
    else:  # an engine we cannot ask: build a new one on next use
        forget_engine(ENGINE)


def pull_voice(
    name: str,
    *,
    catalogue: Catalogue | None = None,
    folder: Path | None = None,
    endpoint: str | None = None,
    progress: PullProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PullResult:
    """Download catalogue voice ``name`` into ``folder`` (default: the user's voice folder)."""
    catalogue = catalogue or load_catalogue()
    voice = catalogue.find(name)
    folder = folder if folder is not None else voice_dir()
    model, config = folder / f"{voice.key}.onnx", folder / f"{voice.key}.onnx.json"
    bundled = installed_voices().get(voice.key)
    if bundled is not None and bundled.bundled:  # ships with the app: nothing to download
        return PullResult(voice, get_engine(ENGINE).model_path(voice.key), downloaded=False)
    total = voice.download_size
    remaining = total - partial_bytes(model) - partial_bytes(config)
    check_free_space(folder, max(remaining, 0))
    with _pull_lock(folder, voice.key):
        already = all(p.is_file() for p in (model, config))
        done = 0
        for hub_file, target in ((voice.config_file, config), (voice.model_file, model)):
            def on_bytes(n: int, _size: int, base: int = done, label: str = hub_file.name) -> None:
                if progress is not None:
                    progress(base + n, total, label)

            download(hub_url(hub_file.path, endpoint), target, hub_file.size, hub_file.md5,
                     progress=on_bytes, cancelled=cancelled)
            done += hub_file.size
    rescan()
    if progress is not None:
        progress(total, total, "done")
    return PullResult(voice, model, downloaded=not already)


def remove_voice(name: str, folder: Path | None = None) -> list[Path]:
    """Remove a pulled voice (and any part files); the bundled voice cannot be removed."""
    folder = folder if folder is not None else voice_dir()
    key = name.removesuffix(".onnx")
    targets = [folder / f"{key}.onnx", folder / f"{key}.onnx.json"]
    present = [p for p in targets + [part_path(t) for t in targets] if p.is_file()]
    if not present:
        info = installed_voices().get(key)
        if info is not None and info.bundled:
            raise VoiceError(f"voice {key!r} is bundled with the app ({info.description.strip()}) "
                             "and cannot be removed")
        raise VoiceError(f"voice {key!r} is not installed in {folder}")
    for path in present:
        path.unlink()
    rescan()
    return present


def partial_pulls(folder: Path | None = None) -> dict[str, int]:
    """Voices with an interrupted download: key → bytes kept for the resume."""
    folder = folder if folder is not None else voice_dir()
    out: dict[str, int] = {}
    if folder.is_dir():
        for part in folder.glob("*.onnx*.part"):
            key = part.name.split(".onnx", 1)[0]
            out[key] = out.get(key, 0) + part.stat().st_size
    return out


@contextlib.contextmanager
def _pull_lock(folder: Path, key: str) -> Iterator[None]:
    """An exclusive lock per voice: a second pull of the same voice fails at once, clearly."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; a second pull is the user's choice
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DownloadError(f"{folder}: another pull of {key!r} is running") from None
        yield
    finally:
        os.close(fd)
