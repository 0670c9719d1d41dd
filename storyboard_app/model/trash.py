"""The bundle's trash: where deleted takes' files go, so undo can bring them back.

Deleting a take is an undoable edit, so its file must outlive the edit, and the save after it,
because the user may undo after saving. Files no take refers to are therefore *moved* (never
deleted) from ``media/takes/`` into ``.trash/<when>/media/takes/...`` inside the bundle:

* any save, and the GUI's undo/redo, move a file that a take refers to back from the trash
  (``restore_referenced``), so undoing a deletion after a save finds its clip again;
* files changed in the last ``IN_FLIGHT_GRACE`` seconds are left alone: a generation batch (in
  this process or another one) may have linked them and not yet recorded their take;
* the trash is emptied only by an explicit command (``storyboard-app trash PROJECT --empty``,
  File > Empty trash) or, for batches older than ``RETENTION_DAYS``, on a later save; a file that
  the project refers to is never deleted, it is restored instead.

Pure file operations inside the bundle; no Qt.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .types import Project
from .validation import check_media_path

TRASH_DIR = ".trash"
TAKES_DIR = "media/takes"
RETENTION_DAYS = 30
IN_FLIGHT_GRACE = 600.0  # seconds
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class TrashedFile:
    batch: Path  # the .trash/<when>-<random> folder it went to
    relative: str  # its bundle-relative path before it was trashed ("media/takes/...")
    trashed_at: datetime
    size: int

    @property
    def path(self) -> Path:
        return self.batch / self.relative


def trash_root(bundle: Path | str) -> Path:
    return Path(bundle) / TRASH_DIR


def referenced_takes(project: Project) -> set[str]:
    """Bundle-relative media paths of every take (the files the trash must never destroy)."""
    return {take.media_path for shot in project.all_shots() for take in shot.takes if take.media_path}


def trash_unreferenced_takes(
    project: Project,
    bundle: Path | str,
    *,
    grace: float | None = None,
    retention: timedelta | None = timedelta(days=RETENTION_DAYS),
    now: datetime | None = None,
) -> list[Path]:
    """Move take files no take refers to into the trash; returns their new paths.

    Also restores referenced files from the trash first and drops trash batches older than
    ``retention`` (None keeps everything).
    """
    root = Path(bundle)
    now = now or datetime.now(UTC)
    grace = IN_FLIGHT_GRACE if grace is None else grace
    referenced = referenced_takes(project)
    restore_referenced(project, root)
    takes_dir = root / TAKES_DIR
    moved: list[Path] = []
    if takes_dir.is_dir():
        batch: Path | None = None
        cutoff = time.time() - grace  # file times are real times, whatever ``now`` says
        for file in sorted(takes_dir.rglob("*")):
            if file.is_symlink() or not file.is_file():
                continue
            relative = file.relative_to(root).as_posix()
            if relative in referenced or file.stat().st_ctime > cutoff:
                continue
            if batch is None:
                batch = _new_batch(root, now)
            target = batch / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
            moved.append(target)
        _remove_empty_dirs(takes_dir, keep_top=True)
    if retention is not None:
        purge_trash(root, project, older_than=retention, now=now)
    return moved


def restore_referenced(project: Project, bundle: Path | str) -> list[Path]:
    """Move files that takes refer to but that are missing back from the trash (newest copy)."""
    root = Path(bundle)
    if not trash_root(root).is_dir():
        return []
    missing = {rel for rel in referenced_takes(project) if check_media_path(rel) is None
               and not (root / rel).exists()}
    if not missing:
        return []
    restored = []
    for entry in sorted(list_trash(root), key=lambda e: e.trashed_at, reverse=True):
        if entry.relative in missing:
            target = root / entry.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(entry.path, target)
            missing.discard(entry.relative)
            restored.append(target)
    _remove_empty_dirs(trash_root(root))
    return restored


def list_trash(bundle: Path | str) -> list[TrashedFile]:
    """Everything in the trash, oldest batch first."""
    out: list[TrashedFile] = []
    top = trash_root(bundle)
    if not top.is_dir():
        return out
    for batch in sorted(top.iterdir()):
        when = _batch_time(batch)
        if when is None or not batch.is_dir():
            continue
        for file in sorted(batch.rglob("*")):
            if file.is_file() and not file.is_symlink():
                out.append(TrashedFile(batch, file.relative_to(batch).as_posix(), when, file.stat().st_size))
    return out


def purge_trash(
    bundle: Path | str,
    project: Project | None,
    *,
    older_than: timedelta | None = None,
    now: datetime | None = None,
) -> list[TrashedFile]:
    """Delete trashed files for good (all, or those trashed before ``now - older_than``).

    Files ``project`` refers to are restored rather than deleted. The caller must make sure no
    generation batch is running on the bundle (the GUI refuses while its queue is busy).
    """
    root = Path(bundle)
    if project is not None:
        restore_referenced(project, root)
    now = now or datetime.now(UTC)
    removed: list[TrashedFile] = []
    for entry in list_trash(root):
        if older_than is not None and entry.trashed_at > now - older_than:
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.path.unlink()
            removed.append(entry)
    _remove_empty_dirs(trash_root(root))
    return removed


def trash_size(entries: Iterable[TrashedFile]) -> int:
    return sum(e.size for e in entries)


def _new_batch(root: Path, now: datetime) -> Path:
    batch = trash_root(root) / f"{now.strftime(_STAMP)}-{secrets.token_hex(3)}"
    batch.mkdir(parents=True)
    return batch


def _batch_time(batch: Path) -> datetime | None:
    try:
        return datetime.strptime(batch.name.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None  # not ours: left alone


def _remove_empty_dirs(top: Path, keep_top: bool = False) -> None:
    """Prune empty folders below ``top`` (and ``top`` unless ``keep_top``); rmdir never removes
    a folder that is not empty, so a file arriving meanwhile is safe."""
    if not top.is_dir():
        return
    for dirpath, _dirnames, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
        if keep_top and Path(dirpath) == top:
            continue
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


__all__ = [
    "IN_FLIGHT_GRACE", "RETENTION_DAYS", "TRASH_DIR", "TrashedFile", "list_trash", "purge_trash",
    "referenced_takes", "restore_referenced", "trash_root", "trash_size", "trash_unreferenced_takes",
]
