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


FICLONE = 0x40049409  # Linux ioctl: share extents copy-on-write (btrfs, XFS, bcachefs, OCFS2)


def _reflink(source: Path, target: Path) -> bool:
    """Try a copy-on-write clone of ``source`` into the (new, empty) ``target``; True on success.

    A clone shares disk blocks until either side is written, but it is a separate inode: editing
    or truncating one never changes the other. Linux only; elsewhere (or on ext4, tmpfs, NFS) it
    returns False and the caller copies the bytes.
    """
    try:
        import fcntl  # not on Windows
    except ImportError:
        return False
    if not hasattr(fcntl, "ioctl"):
        return False
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
        return True
    except OSError:
        with contextlib.suppress(OSError):
            target.unlink()
        return False


def copy_media(source: Path | str, target: Path | str, fsync: bool = True) -> None:
    """Place ``source``'s content at ``target`` atomically, as an independent file.

    Never a hard link: a take and the cache entry it came from must not share an inode, or
    truncating one (a crash, a tool that rewrites in place) would corrupt the other. A reflink
    where the filesystem supports it (instant, no extra space), else a plain byte copy. Synced
    before the rename by default: a take in media/ may be the only copy once the cache is gone.
    """
    import shutil

    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, fsync=fsync) as tmp:
        if not _reflink(source, tmp):
            shutil.copyfile(source, tmp)


def link_or_copy(source: Path, target: Path) -> None:
    """Former name of ``copy_media``, kept for callers; it no longer hard-links."""
    copy_media(source, target)
