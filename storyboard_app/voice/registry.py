"""Finding voice engines: the ``storyboard_app.voices`` entry-point group, one instance per process.

Each engine is instantiated once and kept, so the voice models it loads stay in memory for every
later line (a piper voice takes seconds to load and a fraction of a second per line). The list
shows whatever is installed: an engine whose package is missing or broken is reported with its
reason instead of taking the whole list down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from .engine import VoiceEngine, VoiceError

GROUP = "storyboard_app.voices"

_engines: dict[str, VoiceEngine] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class EngineEntry:
    """An installed engine as the registry sees it: loaded, or the reason it could not load."""

    name: str
    engine: VoiceEngine | None
    error: str = ""


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def engine_names() -> list[str]:
    """Names of the installed engines (without loading them)."""
    return sorted(_entry_points())


def get_engine(name: str) -> VoiceEngine:
    """The process-wide instance of engine ``name``; raises VoiceError if it is not installed."""
    with _lock:
        engine = _engines.get(name)
        if engine is not None:
            return engine
        eps = _entry_points()
        ep = eps.get(name)
        if ep is None:
            have = ", ".join(sorted(eps)) or "none"
            raise VoiceError(f"voice engine {name!r} is not installed (installed: {have})")
        try:
            engine = ep.load()()
        except Exception as exc:  # a broken plug-in must not look like a missing one
            raise VoiceError(f"voice engine {name!r} failed to load: {exc}") from exc
        _engines[name] = engine
        return engine


def register_engine(engine: VoiceEngine) -> None:
    """Use ``engine`` under ``engine.name`` in this process (tests, embedding applications)."""
    with _lock:
        _engines[engine.name] = engine


def forget_engine(name: str) -> None:
    with _lock:
        _engines.pop(name, None)


def installed_engines() -> list[EngineEntry]:
    """Every engine: the installed entry points plus engines registered in-process."""
    names = sorted(set(engine_names()) | set(_engines))
    out = []
    for name in names:
        try:
            out.append(EngineEntry(name, get_engine(name)))
        except VoiceError as exc:
            out.append(EngineEntry(name, None, str(exc)))
    return out
