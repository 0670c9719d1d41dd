"""The project bundle on disk: ``NAME.sbproj/`` with ``project.json``, ``media/`` and ``cache/``.

* ``project.json`` carries ``schema_version`` first, then the project in a stable key order with
  two-space indentation, so a project diffs well in git.
* Saving is atomic: write a temp file in the bundle, fsync it, keep the previous file as
  ``project.json.bak`` and rename the temp file over ``project.json`` (rename is atomic on POSIX
  and on NTFS), then fsync the directory. A process killed at any point leaves either the old or
  the new project, never a torn one.
* Loading parses JSON (never pickle, never eval), upgrades older schema versions one step at a
  time, refuses newer ones, and validates everything, reporting file, JSON path and reason.
* ``media/`` holds what the user cares about (takes, recorded lines, reference images);
  ``cache/`` only what can be regenerated, so it is safe to delete.
* Autosave writes ``.autosave.json`` beside ``project.json``; it is removed by a normal save and
  offered for recovery when it is newer than the project on the next open.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files import fsync_file
from .history import History
from .lock import ProjectLock, ProjectLocked, acquire
from .ondisk import FileStamp, ProjectChangedOnDisk
from .trash import restore_referenced, trash_unreferenced_takes
from .types import Project
from .validation import (
    Problem,
    ProjectError,
    check_savable,
    parse_project,
    project_to_data,
    resolve_media_path,
)

SCHEMA_VERSION = 4
BUNDLE_SUFFIX = ".sbproj"
PROJECT_FILE = "project.json"
BACKUP_FILE = "project.json.bak"
AUTOSAVE_FILE = ".autosave.json"
MEDIA_DIR = "media"
CACHE_DIR = "cache"

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
#: ``UPGRADES[n]`` turns a schema-``n`` document into schema ``n + 1``. Add one for every
#: format change and bump SCHEMA_VERSION; never edit a released upgrade.
UPGRADES: dict[int, Upgrade] = {
    # 2: the project gains ``notes`` (logline) and ``narrator_voice`` (the default voice); both
    # have defaults, so a schema-1 project needs no change beyond its version number.
    1: lambda data: data,
    # 3: the project gains ``style_tests`` and a take gains ``style_id`` (issue 18); both default
    # to empty, so a schema-2 project needs no change beyond its version number.
    2: lambda data: data,
    # 4: new optional fields, all with defaults, so a schema-3 project needs no change beyond its
    # version number: a scene's ``location``/``time_of_day``/``scene_number`` and a line's
    # ``delivery`` (script import, issue 16); a take's ``remote_job`` and ``outdated`` (remote
    # generators, issue 14); a voice's ``speaker`` (issue 15); the project's ``ntsc`` flag
    # (23.976/29.97/59.94, issue 17). Schema 4 files are refused by older versions (they would
    # not know these fields), which is why the number moves.
    3: lambda data: data,
}


class BundlePaths:
    """Where everything in one bundle lives."""

    def __init__(self, root: Path | str):
        root = Path(root)
        if root.name == PROJECT_FILE:
            root = root.parent
        self.root = root

    @property
    def project_file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def backup_file(self) -> Path:
        return self.root / BACKUP_FILE

    @property
    def autosave_file(self) -> Path:
        return self.root / AUTOSAVE_FILE

    @property
    def media(self) -> Path:
        return self.root / MEDIA_DIR

    @property
    def cache(self) -> Path:
        return self.root / CACHE_DIR

    def media_path(self, relative: str) -> Path:
        """Absolute path for a bundle-relative media path; refuses paths that escape."""
        return resolve_media_path(self.root, relative)

    def relative(self, path: Path) -> str:
        """The bundle-relative form of an absolute path inside the bundle."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()


def bundle_path_for(name_or_path: str | Path) -> Path:
    """``"Night Market"`` → ``Night Market.sbproj``; a path already ending in .sbproj is kept."""
    path = Path(name_or_path)
    if path.name == PROJECT_FILE:
        return path.parent
    return path if path.suffix == BUNDLE_SUFFIX else path.with_name(path.name + BUNDLE_SUFFIX)


# --------------------------------------------------------------------------- reading


def read_project_file(file: Path) -> Project:
    """Parse, upgrade and validate one project JSON file (project.json or an autosave)."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError([Problem(name, "$", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError([Problem(name, "$", f"cannot read file: {exc}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            [Problem(name, "$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        ) from None
    except RecursionError:  # a hostile or broken file: an invalid project, not a crash
        raise ProjectError([Problem(name, "$", "JSON nested too deeply to read")]) from None
    data = upgrade(data, name)
    try:
        return parse_project(data, name)
    except RecursionError:
        raise ProjectError([Problem(name, "$", "JSON nested too deeply to read")]) from None


def upgrade(data: Any, file: str) -> dict[str, Any]:
    """Bring a decoded project up to SCHEMA_VERSION, or refuse it with a clear reason."""
    if not isinstance(data, dict):
        raise ProjectError([Problem(file, "$", "expected a JSON object at the top level")])
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectError(
            [Problem(file, "$.schema_version", f"missing or invalid schema version (got {version!r})")]
        )
    if version > SCHEMA_VERSION:
        raise ProjectError(
            [
                Problem(
                    file,
                    "$.schema_version",
                    f"this project was written by a newer storyboard-app (schema {version}); "
                    f"this version reads schema {SCHEMA_VERSION} and older — please update",
                )
            ]
        )
    while version < SCHEMA_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise ProjectError(
                [Problem(file, "$.schema_version", f"no upgrade from schema {version}")]
            )
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


def load_project(bundle: Path | str) -> Project:
    """Load and validate a bundle, including media paths resolved on disk (symlinks out refused)."""
    paths = BundlePaths(bundle)
    if not paths.root.is_dir():
        raise ProjectError([Problem(str(paths.root), "$", "not a project bundle (folder not found)")])
    project = read_project_file(paths.project_file)
    from .validation import semantic_problems

    problems = semantic_problems(project, str(paths.project_file), bundle=paths.root)
    if problems:
        raise ProjectError(problems)
    return project


# --------------------------------------------------------------------------- writing


def project_json(project: Project) -> str:
    """The canonical text of a project: schema version first, stable order, newline at end."""
    data = {"schema_version": SCHEMA_VERSION, **project_to_data(project)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def atomic_write_text(target: Path, text: str, backup: Path | None = None) -> None:
    """Write ``text`` to ``target`` so that readers see the old file or the new one, never half.

    ``backup`` receives the previous content (by hard link or copy) before the rename.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; saved files are normal files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if backup is not None and target.exists():
            _replace_backup(target, backup)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_file(target.parent)  # the rename itself is durable once the directory is synced


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_backup(target: Path, backup: Path) -> None:
    """Point ``backup`` at the current ``target`` content atomically (link, else copy+rename)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{backup.name}.", suffix=".tmp", dir=backup.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        try:
            os.link(target, tmp)
        except OSError:
            tmp.write_bytes(target.read_bytes())
        os.replace(tmp, backup)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def save_project(project: Project, bundle: Path | str) -> Path:
    """Save atomically with a backup of the previous version; returns the bundle path.

    The project is validated first with the loader's own checks (ProjectError, nothing written),
    so a saved project always opens again. When ``project.json`` already holds exactly this
    project nothing is rewritten, so the backup keeps the previous *different* version and a
    read-only bundle with nothing to save is not an error. Take files that the project refers
    to and that sit in the bundle's trash are moved back (a deletion undone after a save).
    """
    paths = BundlePaths(bundle)
    check_savable(project, str(paths.project_file), paths.root if paths.root.is_dir() else None)
    text = project_json(project)
    if _holds(paths.project_file, text):
        with contextlib.suppress(FileNotFoundError):
            paths.autosave_file.unlink()
        _restore_from_trash(project, paths.root)
        return paths.root
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.media.mkdir(exist_ok=True)
    _remove_stale_temp_files(paths.root)
    atomic_write_text(paths.project_file, text, backup=paths.backup_file)
    with contextlib.suppress(FileNotFoundError):
        paths.autosave_file.unlink()
    _restore_from_trash(project, paths.root)
    return paths.root


def _restore_from_trash(project: Project, root: Path) -> None:
    """The project is saved either way; a file that cannot move back now stays in the trash and
    is tried again on the next save."""
    with contextlib.suppress(OSError):
        restore_referenced(project, root)


def _holds(file: Path, text: str) -> bool:
    """True when ``file`` already contains exactly ``text``."""
    try:
        return file.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _remove_stale_temp_files(root: Path) -> None:
    """Temp files a killed save left behind (never a finished project: those are renamed)."""
    for pattern in (f".{PROJECT_FILE}.*.tmp", f".{BACKUP_FILE}.*.tmp", f".{AUTOSAVE_FILE}.*.tmp"):
        for stale in root.glob(pattern):
            with contextlib.suppress(OSError):
                stale.unlink()


def prune_unreferenced_takes(project: Project, bundle: Path | str) -> list[Path]:
    """Move take files no take refers to into the bundle's trash (see ``model.trash``).

    Kept under its old name for callers; it no longer deletes anything: a deleted take's file
    stays restorable by undo, even after a save, until the trash is emptied.
    """
    return trash_unreferenced_takes(project, BundlePaths(bundle).root)


def write_autosave(project: Project, bundle: Path | str) -> Path:
    paths = BundlePaths(bundle)
    atomic_write_text(paths.autosave_file, project_json(project))
    return paths.autosave_file


def recovery_available(bundle: Path | str) -> bool:
    """True when an autosave newer than the saved project exists (a crash or kill happened)."""
    paths = BundlePaths(bundle)
    if not paths.autosave_file.exists():
        return False
    if not paths.project_file.exists():
        return True
    return paths.autosave_file.stat().st_mtime_ns >= paths.project_file.stat().st_mtime_ns


def load_recovery(bundle: Path | str) -> Project:
    return read_project_file(BundlePaths(bundle).autosave_file)


def discard_recovery(bundle: Path | str) -> None:
    with contextlib.suppress(FileNotFoundError):
        BundlePaths(bundle).autosave_file.unlink()


# --------------------------------------------------------------------------- the open document


@dataclass
class Document:
    """An open project: the data, its bundle, and the shared undo history.

    The GUI and the CLI both edit through ``Document.apply`` so that edits, undo and the dirty
    flag behave the same everywhere.

    Two writers: ``save`` holds the bundle's lock (``model.lock``) while it writes, and refuses
    (``ProjectChangedOnDisk``) when ``project.json`` changed on disk since this document loaded
    or last saved it. A long-lived writer (the GUI, a CLI command) holds the lock for its whole
    session with ``acquire_lock``; ``read_only`` then says why it could not.
    """

    project: Project
    bundle: Path | None = None
    history: History = field(default_factory=History)
    #: what project.json held when this document loaded or last saved it (None: never read)
    disk_stamp: FileStamp | None = field(default=None, compare=False, repr=False)
    lock: ProjectLock | None = field(default=None, compare=False, repr=False)
    #: why this document may not be written (another process holds the lock); "" when writable
    read_only: str = field(default="", compare=False)

    @classmethod
    def open(cls, bundle: Path | str) -> Document:
        path = bundle_path_for(bundle)
        stamp = FileStamp.of(BundlePaths(path).project_file)  # before reading: a change in between is caught
        document = cls(load_project(path), path)
        document.disk_stamp = stamp
        return document

    def remember_disk_state(self) -> None:
        """Take what project.json holds now as the base for the next save (after a recovery)."""
        self.disk_stamp = FileStamp.of(self.paths.project_file) if self.bundle is not None else None

    def acquire_lock(self, wait: bool = False, timeout: float | None = None) -> ProjectLock:
        """Hold the bundle's lock until ``release_lock`` (raises ``ProjectLocked``)."""
        if self.lock is None or not self.lock.held:
            self.lock = acquire(self.paths.root, wait=wait, timeout=timeout)
        self.read_only = ""
        return self.lock

    def try_acquire_lock(self) -> bool:
        """Hold the lock if free; otherwise become read-only with the holder as the reason."""
        try:
            self.acquire_lock()
        except ProjectLocked as exc:
            self.read_only = exc.summary()
            return False
        except OSError as exc:  # a read-only folder: nothing can be saved, say why
            self.read_only = str(exc)
            return False
        return True

    def release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    @property
    def paths(self) -> BundlePaths:
        if self.bundle is None:
            raise ProjectError([Problem("<unsaved project>", "$", "the project has not been saved yet")])
        return BundlePaths(self.bundle)

    def apply(self, command: Any, merge_key: str | None = None, window: float | None = None) -> None:
        self.history.push(self.project, command, merge_key, window)

    def undo(self) -> str | None:
        return self.history.undo(self.project)

    def redo(self) -> str | None:
        return self.history.redo(self.project)

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    def save(self, bundle: Path | str | None = None) -> Path:
        """Save in place, or "Save As" to a new bundle (media is copied along; cache is not).

        Raises ``ProjectLocked`` when another process holds the bundle's lock and
        ``ProjectChangedOnDisk`` when project.json changed since this document read it.
        """
        if bundle is not None:
            new_root = bundle_path_for(bundle)
            if self.bundle is None or new_root.resolve() != self.bundle.resolve():
                if self.bundle is not None:
                    old_media = BundlePaths(self.bundle).media
                    if old_media.is_dir():
                        shutil.copytree(old_media, BundlePaths(new_root).media, dirs_exist_ok=True)
                moving_lock = self.lock is not None and self.lock.held
                self.release_lock()
                self.bundle, self.disk_stamp, self.read_only = new_root, None, ""
                self.paths.root.mkdir(parents=True, exist_ok=True)
                if moving_lock:
                    self.acquire_lock()
        root = self.paths.root
        root.mkdir(parents=True, exist_ok=True)
        with acquire(root):  # shares this process's lock if held; else held for this save only
            if self.disk_stamp is not None and not self.disk_stamp.matches(self.paths.project_file):
                raise ProjectChangedOnDisk(self.paths.project_file)
            self.bundle = save_project(self.project, root)
            self.disk_stamp = FileStamp.of(self.paths.project_file)
        self.read_only = ""
        self.history.mark_saved()
        return self.bundle

    def autosave(self) -> Path | None:
        if self.bundle is None or not self.dirty or self.read_only:
            return None
        return write_autosave(self.project, self.bundle)
