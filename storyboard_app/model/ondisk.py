"""Noticing that another process changed ``project.json`` since this one read or wrote it.

``Document`` keeps a ``FileStamp`` (mtime, size, SHA-256) of the file it loaded or last saved;
before the next save it compares the file on disk with that stamp and refuses to overwrite a
different content (``ProjectChangedOnDisk``) instead of silently losing the other side's edits.
A touch without a content change (same hash) is not a conflict.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .validation import Problem, ProjectError


@dataclass(frozen=True)
class FileStamp:
    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The stamp of ``path`` now; None when it does not exist or cannot be read."""
        try:
            stat = os.stat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return None
        return cls(stat.st_mtime_ns, stat.st_size, digest)

    def matches(self, path: Path) -> bool:
        """Whether ``path`` still holds the stamped content (cheap when mtime and size agree)."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # unreadable now: saving will report the real error
        if (stat.st_mtime_ns, stat.st_size) == (self.mtime_ns, self.size):
            return True
        now = FileStamp.of(path)
        return now is not None and now.sha256 == self.sha256


class ProjectChangedOnDisk(ProjectError):
    """``project.json`` was changed by someone else since it was loaded; exit code 1 in the CLI."""

    exit_code = 1

    def __init__(self, file: Path):
        self.file = file
        super().__init__([Problem(
            str(file), "$",
            "changed on disk by another program since it was opened; not saved, so neither side's "
            "edits are lost (reopen the project to see the other changes, or Save As a new bundle)",
        )])
