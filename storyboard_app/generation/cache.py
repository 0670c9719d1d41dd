"""The content-addressed clip cache: one file per request hash.

Default location: the bundle's ``cache/clips/`` (travels with the project, safe to delete).
With ``STORYBOARD_CACHE=user`` the cache is shared by all projects in the user cache directory
that platformdirs picks (``~/.cache/storyboard-app/clips`` on Linux), so the same request across
projects is generated once. Entries are only ever renamed into place, never written in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..model.bundle import BundlePaths

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

    def get(self, request_hash: str) -> Path | None:
        path = self.path_for(request_hash)
        return path if path.is_file() and path.stat().st_size > 0 else None

    def put(self, request_hash: str, finished_file: Path) -> Path:
        """Move a finished file into the cache (atomic rename; same filesystem as the partial)."""
        target = self.path_for(request_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(finished_file, target)
        return target

    def partial_path(self, request_hash: str) -> Path:
        from ..files import partial_path_for

        target = self.path_for(request_hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        return partial_path_for(target)
