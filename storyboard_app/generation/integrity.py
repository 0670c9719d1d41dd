"""The deep media check behind ``validate --deep``: decode every take and cache entry.

Slow on purpose (every frame is decoded with the bundled ffmpeg); ``generate`` uses the cheap
check (``media.integrity.quick_problem``) instead. A take is compared with the frame count,
duration and size recorded on it when it was made; a cache entry with its sidecar record.
Missing take files are not damage here (``validate`` warns about them: they can be regenerated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..media.integrity import MediaRecord, deep_problem
from ..model import Project
from ..model.bundle import BundlePaths
from .cache import ClipCache


@dataclass(frozen=True)
class Damage:
    """One damaged file: which shot and take (or cache entry) it belongs to, and why."""

    file: str  # bundle-relative for files in the bundle, absolute otherwise
    reason: str
    shot: str = ""  # display number (or id) of the shot, "" for an unused cache entry
    shot_id: str = ""
    take_id: str = ""
    cache_hash: str = ""
    selected: bool = False  # the shot's selected take (the one the animatic uses)

    def __str__(self) -> str:
        if self.take_id:
            which = " (selected)" if self.selected else ""
            return f"shot {self.shot} ({self.shot_id}) take {self.take_id}{which}: {self.file}: {self.reason}"
        used = f" (shot {self.shot})" if self.shot else ""
        return f"cache entry {self.cache_hash[:12]}{used}: {self.file}: {self.reason}"


def deep_scan(
    project: Project,
    bundle_root: Path | str,
    cache: ClipCache | None = None,
    on_file: Callable[[str], None] | None = None,
) -> list[Damage]:
    """Decode every take of ``project`` and every entry of ``cache``; list what is damaged.

    ``on_file`` is told each file before it is decoded (progress for a long scan).
    """
    paths = BundlePaths(bundle_root)
    damaged: list[Damage] = []
    users: dict[str, str] = {}  # request hash -> shot label, to name the shot a cache entry serves
    for shot in project.all_shots():
        label = shot.number or shot.id
        for take in shot.takes:
            if take.request_hash:
                users.setdefault(take.request_hash, label)
            if not take.media_path:
                continue
            try:
                path = paths.media_path(take.media_path)
            except ValueError as exc:
                damaged.append(Damage(take.media_path, str(exc), label, shot.id, take.id,
                                      selected=take.id == shot.selected_take_id))
                continue
            if not path.exists():
                continue  # a warning, not damage: validate reports missing media separately
            if on_file is not None:
                on_file(take.media_path)
            record = MediaRecord(take.frames, take.duration_s, take.size_bytes)
            if (why := deep_problem(path, record)) is not None:
                selected = take.id == shot.selected_take_id
                damaged.append(Damage(take.media_path, why, label, shot.id, take.id, selected=selected))
    if cache is not None:
        for digest, path in cache.entries():
            shown = _shown(path, paths.root)
            if on_file is not None:
                on_file(shown)
            if (why := deep_problem(path, cache.record(digest))) is not None:
                damaged.append(Damage(shown, why, users.get(digest, ""), cache_hash=digest))
    return damaged


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
