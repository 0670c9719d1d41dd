"""The content-addressed clip cache: one file per request hash.

Default location: the bundle's ``cache/clips/`` (travels with the project, safe to delete).
With ``STORYBOARD_CACHE=user`` the cache is shared by all projects in the user cache directory
that platformdirs picks (``~/.cache/storyboard-app/clips`` on Linux), so the same request across
projects is generated once. Entries are only ever renamed into place, never written in place.

Each entry has a sidecar ``<hash>.json`` recording what the clip is (frame count, duration, size:
``MediaRecord``), written before the clip is renamed into place. ``get`` checks an entry cheaply
against it (size + MP4 box structure, no decoding) and evicts a damaged one, so a truncated clip is
never linked as a new take: its shot is generated again. ``validate --deep`` decodes entries fully.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from ..files import PARTIAL_MARK, atomic_output
from ..media.integrity import MediaRecord, measure, quick_problem
from ..model.bundle import BundlePaths
from ..model.lock import host_name, pid_alive

#: a partial this old is removed even when its writer cannot be checked (another host, old name)
STALE_PARTIAL_AGE = 24 * 3600.0
_OWNER = re.compile(r"\.(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]+" + re.escape(PARTIAL_MARK))


def _host_tag() -> str:
    return hashlib.sha1(host_name().encode()).hexdigest()[:8]

CACHE_ENV = "STORYBOARD_CACHE"


def default_cache_root(bundle_root: Path | str) -> Path:
    if os.environ.get(CACHE_ENV, "").lower() == "user":
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("storyboard-app")) / "clips"
    return BundlePaths(bundle_root).cache / "clips"


class ClipCache:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, request_hash: str, suffix: str = ".mp4") -> Path:
        return self.root / request_hash[:2] / f"{request_hash}{suffix}"

    def record_path(self, request_hash: str) -> Path:
        return self.path_for(request_hash, ".json")

    def record(self, request_hash: str) -> MediaRecord | None:
        """What the entry was when it was stored, or None (no sidecar: an older cache)."""
        try:
            return MediaRecord.from_json(json.loads(self.record_path(request_hash).read_text("utf-8")))
        except (OSError, ValueError):
            return None

    def problem(self, request_hash: str) -> str | None:
        """Why the entry is damaged (cheap check against its record), or None if it looks whole."""
        record = self.record(request_hash)
        return quick_problem(self.path_for(request_hash), record.size_bytes if record else None)

    def get(self, request_hash: str) -> Path | None:
        """The entry's path if present and whole; a damaged entry is evicted and None returned."""
        path = self.path_for(request_hash)
        if not path.exists():
            return None
        if self.problem(request_hash) is not None:
            self.evict(request_hash)
            return None
        return path

    def evict(self, request_hash: str) -> None:
        for path in (self.path_for(request_hash), self.record_path(request_hash)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def put(self, request_hash: str, finished_file: Path) -> Path:
        """Move a finished file into the cache (atomic rename; same filesystem as the partial).

        Its record is written first, measured from the finished file, so an entry never exists
        without the record that a later check compares it with.
        """
        target = self.path_for(request_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        record = measure(finished_file)
        with atomic_output(self.record_path(request_hash), fsync=False) as tmp:
            tmp.write_text(json.dumps(record.to_json()), "utf-8")
        os.replace(finished_file, target)
        return target

    def entries(self) -> Iterator[tuple[str, Path]]:
        """(request hash, path) of every clip in the cache."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*.mp4")):
            if not path.name.startswith("."):
                yield path.stem, path

    def partial_path(self, request_hash: str) -> Path:
        """A partial file for one job: unique, and named after its writer (host tag and pid),
        so it can later be told apart from the partials of live jobs in other processes."""
        target = self.path_for(request_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        owner = f"{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"
        return target.with_name(f".{target.stem}.{owner}{PARTIAL_MARK}{target.suffix}")

    def sweep_stale_partials(self, max_age: float = STALE_PARTIAL_AGE) -> int:
        """Remove partials whose writer is gone: a dead process on this host, or any partial
        older than ``max_age`` seconds. Never one of a live process, so this is safe while other
        batches (in this process or another) are running. Returns how many were removed."""
        if not self.root.is_dir():
            return 0
        removed = 0
        now, here = time.time(), _host_tag()
        for path in self.root.rglob(f".*{PARTIAL_MARK}*"):
            match = _OWNER.search(path.name)
            try:
                old = now - path.stat().st_mtime > max_age
            except OSError:
                continue
            dead = (match is not None and match["host"] == here and int(match["pid"]) != os.getpid()
                    and not pid_alive(int(match["pid"])))
            if old or dead:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed
