"""Writing files so that a finished file is whole or absent: never a partial file under a real name.

Every producer of media (generators, TTS, exporters) writes through ``atomic_output``: it hands
out a temp path in the same directory (so the final rename is atomic) and only renames it into
place when the block finishes without an exception. A crash, a cancel or a kill leaves at worst
a hidden ``.NAME.*.part`` file, which ``sweep_partials`` removes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

PARTIAL_MARK = ".part"


def partial_path_for(target: Path) -> Path:
    """A unique temp path beside ``target`` that keeps its extension (ffmpeg picks formats by it)."""
    return target.with_name(f".{target.stem}.{secrets.token_hex(4)}{PARTIAL_MARK}{target.suffix}")


def fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_output(target: Path | str, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path to write; on success it is renamed to ``target``, on failure removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path_for(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {target}")
        if fsync:
            fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def sweep_partials(directory: Path | str) -> int:
    """Remove leftover partial files below ``directory`` (from a crash); returns how many."""
    count = 0
    root = Path(directory)
    if not root.is_dir():
        return 0
    for path in root.rglob(f".*{PARTIAL_MARK}*"):
        if path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                count += 1
    return count


def link_or_copy(source: Path, target: Path) -> None:
    """Place ``source``'s content at ``target`` atomically (hard link when possible)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, fsync=False) as tmp:
        try:
            os.link(source, tmp)
        except OSError:
            import shutil

            shutil.copyfile(source, tmp)
