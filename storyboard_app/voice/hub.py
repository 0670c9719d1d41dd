"""Downloading voice files from the Hugging Face hub: resumable, size- and MD5-checked.

The hub serves a repository file at ``{endpoint}/{repo}/resolve/{revision}/{path}`` and honours
HTTP ``Range`` requests, which is all a resumable download needs; ``HF_ENDPOINT`` moves the
endpoint (a mirror, or a loopback server in the tests) and ``HF_TOKEN`` is sent when set, as
``huggingface_hub`` does. The voices are public and small (15-130 MB), so the standard library
is enough and progress and cancel stay under our control.

A file downloads to ``NAME.part`` beside its target; an interrupted download (network error,
cancel, crash) keeps the part and the next pull continues from its end. The finished file must
have the catalogue's size and MD5, else it is removed and the pull fails naming both digests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ..media.ffmpeg import Cancelled
from .catalogue import DEFAULT_ENDPOINT, HUB_REPO, HUB_REVISION
from .engine import VoiceError

CHUNK = 1 << 18
#: free space kept beyond the download itself, so a pull never fills the disk to the last byte
DISK_MARGIN = 50 * 1024 * 1024
USER_AGENT = "storyboard-app (piper voice manager)"

#: progress(bytes done, bytes total) for one file
ByteProgress = Callable[[int, int], None]


class DownloadError(VoiceError):
    """A voice file could not be downloaded or failed its check (one line, names the file)."""


def hub_endpoint(endpoint: str | None = None) -> str:
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_url(path: str, endpoint: str | None = None, repo: str = HUB_REPO, revision: str = HUB_REVISION) -> str:
    return f"{hub_endpoint(endpoint)}/{repo}/resolve/{revision}/{quote(path)}"


def _request(url: str, start: int = 0) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    token = os.environ.get("HF_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.Request(url, headers=headers)


def _http_error(url: str, exc: Exception) -> DownloadError:
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code == 404:
            return DownloadError(f"{url}: not found on the hub (HTTP 404)")
        if exc.code in (401, 403):
            return DownloadError(f"{url}: refused (HTTP {exc.code}); set HF_TOKEN if the repository needs one")
        return DownloadError(f"{url}: the hub answered HTTP {exc.code} {exc.reason}")
    reason = getattr(exc, "reason", None) or exc
    return DownloadError(f"{url}: cannot download ({reason}); run the same pull again to resume")


def fetch_bytes(url: str, timeout: float = 30.0) -> bytes:
    """A small file (the catalogue) in one request."""
    try:
        with urllib.request.urlopen(_request(url), timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise _http_error(url, exc) from None


def check_free_space(folder: Path, needed: int) -> None:
    """Refuse to start a download that would not fit (plus a margin) in ``folder``'s disk."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed + DISK_MARGIN:
        raise DownloadError(
            f"{folder}: not enough disk space for the voice: it needs {_mb(needed)} "
            f"(+{_mb(DISK_MARGIN)} margin), {_mb(free)} free"
        )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def partial_bytes(target: Path) -> int:
    """Bytes already downloaded towards ``target`` (a finished file counts in full)."""
    if target.is_file():
        return target.stat().st_size
    part = part_path(target)
    return part.stat().st_size if part.is_file() else 0


def md5_of(path: Path, hasher: hashlib._Hash | None = None) -> hashlib._Hash:
    hasher = hasher or hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            hasher.update(block)
    return hasher


def download(
    url: str,
    target: Path,
    size: int,
    md5: str,
    progress: ByteProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``target`` (resuming ``target.part``) and check size and MD5.

    Raises Cancelled (the part is kept for a resume) or DownloadError.
    """
    if target.is_file() and target.stat().st_size == size and md5_of(target).hexdigest() == md5:
        if progress is not None:
            progress(size, size)
        return target  # already there and intact
    part = part_path(target)
    have = part.stat().st_size if part.is_file() else 0
    if have > size:  # not a prefix of this file: start over
        part.unlink()
        have = 0
    hasher = md5_of(part) if have else hashlib.md5(usedforsecurity=False)
    if have < size:
        try:
            with urllib.request.urlopen(_request(url, have), timeout=timeout) as response:
                if have and response.status != 206:  # the server ignored Range: start over
                    have, hasher = 0, hashlib.md5(usedforsecurity=False)
                with open(part, "ab" if have else "wb") as out:
                    if progress is not None:
                        progress(have, size)
                    while True:
                        if cancelled is not None and cancelled():
                            raise Cancelled(f"download of {target.name} cancelled ({_mb(have)} kept to resume)")
                        block = response.read(CHUNK)
                        if not block:
                            break
                        out.write(block)
                        hasher.update(block)
                        have += len(block)
                        if have > size:
                            break
                        if progress is not None:
                            progress(have, size)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # our part is no prefix the server knows: start over
                part.unlink(missing_ok=True)
                return download(url, target, size, md5, progress, cancelled, timeout)
            raise _http_error(url, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _http_error(url, exc) from None
    if have != size:
        if have > size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: the hub sent more than the catalogue's {size} bytes; removed")
        raise DownloadError(f"{url}: download stopped at {have} of {size} bytes; run the same pull again to resume")
    digest = hasher.hexdigest()
    if digest != md5:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: MD5 mismatch (expected {md5}, got {digest}); the file was removed")
    os.replace(part, target)
    return target


def remove_partial(target: Path) -> None:
    with contextlib.suppress(OSError):
        part_path(target).unlink()
