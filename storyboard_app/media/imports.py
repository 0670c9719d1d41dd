"""Bringing outside files into a project bundle: one service for every widget that imports.

Dropped images (as takes), recorded dialogue lines and character reference images all arrive
here instead of a ``shutil.copyfile`` in a widget, so each import is:

* **atomic** — copied to a hidden partial beside the target (``files.atomic_output``) and renamed
  into place only once it is whole and checked; a failure leaves no file behind;
* **checked** — the *copy* must decode as the expected kind (an image through PIL, audio through
  the bundled ffmpeg), so a renamed text file or a truncated download is refused with its name;
* **safely named** — a sanitised stem plus the lower-cased suffix, made unique in its folder, never
  overwriting an earlier import (undo may still point at it), always inside the bundle's media/.

No Qt: the UI calls ``import_media`` and shows ``MediaImportError`` as a one-line message.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Literal

from ..files import atomic_output, copy_media
from ..model.validation import resolve_media_path
from .ffmpeg import FFmpegError, probe

Kind = Literal["image", "audio"]

SUFFIXES: dict[str, frozenset[str]] = {
    "image": frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp"}),
    "audio": frozenset({".wav", ".mp3", ".m4a", ".flac", ".ogg", ".aac"}),
}
KIND_NAMES = {"image": "an image (PNG, JPG, WebP, BMP)", "audio": "an audio file (WAV, MP3, M4A, FLAC, OGG, AAC)"}
MAX_STEM = 60


class MediaImportError(ValueError):
    """A file that cannot be imported; the message names the file and the reason."""


def safe_stem(text: str) -> str:
    """A file-name stem that is safe on every platform: letters, digits, '-', '_' only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-.")[:MAX_STEM]
    return stem or "import"


def import_media(bundle: Path | str, source: Path | str, kind: Kind, folder: str, stem: str | None = None) -> str:
    """Copy ``source`` into ``bundle``/``folder`` as a checked ``kind`` file; return its
    bundle-relative path (forward slashes). Raises ``MediaImportError`` naming the file.

    ``folder`` is bundle-relative and must lie under ``media/``; ``stem`` names the new file
    (default: the source's name), made unique with a short random tail if taken.
    """
    bundle, source = Path(bundle), Path(source)
    if kind not in SUFFIXES:
        raise ValueError(f"unknown import kind {kind!r}")
    suffix = source.suffix.lower()
    if suffix not in SUFFIXES[kind]:
        raise MediaImportError(f"{source}: not {KIND_NAMES[kind]}")
    if not source.is_file():
        raise MediaImportError(f"{source}: file not found")
    folder = folder.strip("/")
    if folder != "media" and not folder.startswith("media/"):
        raise ValueError(f"imports go below media/ (got {folder!r})")
    try:
        directory = resolve_media_path(bundle, folder)
    except ValueError as exc:
        raise MediaImportError(f"{source}: cannot import into {folder!r}: {exc}") from None
    name = safe_stem(stem if stem is not None else source.stem)
    target = directory / f"{name}{suffix}"
    while target.exists():
        target = directory / f"{name}-{secrets.token_hex(3)}{suffix}"
    try:
        with atomic_output(target) as tmp:
            copy_media(source, tmp, fsync=False)  # the outer atomic_output syncs it
            _check(tmp, kind, source)
    except OSError as exc:
        raise MediaImportError(f"{source}: cannot copy into the project ({exc.strerror or exc})") from None
    return f"{folder}/{target.name}"


def _check(copy: Path, kind: Kind, source: Path) -> None:
    """Raise MediaImportError (naming ``source``) unless ``copy`` decodes as ``kind``."""
    if copy.stat().st_size == 0:
        raise MediaImportError(f"{source}: the file is empty")
    if kind == "image":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(copy) as im:
                im.load()
                width, height = im.size
        except UnidentifiedImageError:
            raise MediaImportError(f"{source}: not an image that can be read (PNG, JPG, WebP, BMP)") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise MediaImportError(f"{source}: the image is damaged ({exc})") from None
        except Image.DecompressionBombError as exc:
            raise MediaImportError(f"{source}: {exc}") from None
        if width < 1 or height < 1:
            raise MediaImportError(f"{source}: the image has no pixels")
    else:
        try:
            info = probe(copy)
        except FFmpegError:
            raise MediaImportError(f"{source}: not an audio file that ffmpeg can read") from None
        if not info.has_audio:
            raise MediaImportError(f"{source}: contains no audio stream")
        if info.duration is not None and info.duration <= 0:
            raise MediaImportError(f"{source}: the audio is empty")
