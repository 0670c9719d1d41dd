"""Fetching models on request (``storyboard-app models pull``), and what is on disk.

Generation never downloads (it only reads the cache, see ``loading``); this module is the one
place that talks to the Hub, and only when the user asks. It uses huggingface_hub's metadata and
HTTP calls and lays files out as its cache does (blobs + snapshot links), so the cache is the
user's usual one; downloads resume across runs: an interrupted file stays as
``blobs/<etag>.incomplete`` and the next pull continues it with a ``Range`` request.

Environment, read at call time (not at import, so a test or a settings change takes effect):
``HF_HUB_CACHE`` / ``HF_HOME`` (where), ``HF_TOKEN`` (gated models), ``HF_ENDPOINT`` (a mirror).

After each file the blob is checked against the Hub's metadata: its size, and its sha256 (LFS
files) or git blob sha1 (small files). A mismatch deletes the file and is an error; it is never
left in the cache for a pipeline to load.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .presets import DIFFUSERS_FILES, DIFFUSERS_SKIP, PRESETS, Preset, preset_for

#: bytes kept free on the cache's disk after a download (the disk-space check adds this margin)
SPACE_MARGIN = 512 * 1024 * 1024

ProgressFn = Callable[[int, int, str], None]  # (bytes done, bytes total, current file)


class HubError(RuntimeError):
    """A pull that cannot go on: the message says why and what to do."""


class PullCancelled(HubError):
    """The user cancelled; partial files stay and the next pull resumes them."""


class ChecksumMismatch(HubError):
    """A downloaded file does not match the Hub's size or hash (it has been deleted)."""


# --------------------------------------------------------------------------- where things are


def cache_dir() -> Path:
    """The Hugging Face hub cache, from the environment as it is now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "huggingface" / "hub"


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or "https://huggingface.co"


def token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


def repo_folder(repo_id: str) -> Path:
    return cache_dir() / ("models--" + repo_id.replace("/", "--"))


def resolve_name(name: str) -> tuple[str, Preset | None]:
    """(repo id, preset) for a preset name or a repo id ``owner/name``."""
    preset = preset_for(name)
    if preset is not None:
        return preset.model_id, preset
    if name.count("/") != 1 or name.startswith((".", "/", "~")):
        raise HubError(f"{name!r} is neither a preset ({', '.join(PRESETS)}) nor a model id like owner/name")
    return name, None


def snapshot_path(repo_id: str) -> Path | None:
    """The local snapshot folder of ``repo_id`` (refs/main, else the newest snapshot)."""
    folder = repo_folder(repo_id)
    ref = folder / "refs" / "main"
    if ref.is_file():
        snap = folder / "snapshots" / ref.read_text().strip()
        if snap.is_dir():
            return snap
    snaps = sorted((folder / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    return snaps[-1] if snaps else None


def _dir_size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


@dataclass(frozen=True)
class ModelStatus:
    repo_id: str
    preset: str | None
    state: str  # "present" | "missing" | "partial"
    size: int  # bytes on disk (blobs, incomplete ones included)
    path: Path | None
    detail: str = ""


def _missing_parts(snap: Path, preset: Preset | None) -> list[str]:
    """What a snapshot lacks to load: pipeline components without weights, or a preset's files."""
    if preset is not None and preset.files != DIFFUSERS_FILES:  # a preset that names its files
        return [f for f in preset.files if not any(snap.glob(f))]
    index = snap / "model_index.json"
    if not index.exists():
        has_weights = any(snap.glob("*.safetensors")) or any(snap.glob("*.bin"))
        return [] if (snap / "config.json").exists() and has_weights else ["model_index.json or config.json + weights"]
    import json

    missing = []
    for name, value in json.loads(index.read_text()).items():
        if name.startswith("_") or not isinstance(value, list) or value[0] is None:
            continue
        folder = snap / name
        if not folder.is_dir() or not any(folder.iterdir()):
            missing.append(name)
        elif (folder / "config.json").exists() and not (any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))):
            missing.append(f"{name} weights")
    return missing


def model_status(name: str) -> ModelStatus:
    """Present, missing or partial (an interrupted pull, or a snapshot lacking parts)."""
    repo_id, preset = resolve_name(name)
    folder = repo_folder(repo_id)
    label = preset.name if preset else None
    if not folder.is_dir():
        return ModelStatus(repo_id, label, "missing", 0, None)
    size = _dir_size(folder)
    snap = snapshot_path(repo_id)
    incomplete = list((folder / "blobs").glob("*.incomplete"))
    if snap is None:
        return ModelStatus(repo_id, label, "partial", size, None, "no snapshot yet")
    missing = _missing_parts(snap, preset)
    if incomplete or missing:
        parts = ([f"{len(incomplete)} unfinished file(s)"] if incomplete else []) + missing
        return ModelStatus(repo_id, label, "partial", size, snap, "missing: " + ", ".join(parts))
    return ModelStatus(repo_id, label, "present", size, snap)


def model_present(source: str) -> bool:
    """Is ``source`` a local folder, or a repo with a complete snapshot in the cache?"""
    if Path(source).expanduser().is_dir():
        return True
    try:
        return model_status(source).state == "present"
    except HubError:
        return False


def model_rows() -> list[tuple[Preset | None, ModelStatus]]:
    """Status of every preset (one row per repo), then of other models in the cache."""
    rows: list[tuple[Preset | None, ModelStatus]] = []
    seen: set[str] = set()
    for preset in PRESETS.values():
        if preset.model_id in seen:  # two presets of one repo (ltx-video / ltx-i2v): one download
            continue
        seen.add(preset.model_id)
        rows.append((preset, model_status(preset.name)))
    cache = cache_dir()
    if cache.is_dir():
        for folder in sorted(cache.glob("models--*")):
            repo_id = folder.name[len("models--"):].replace("--", "/", 1)
            if repo_id not in seen:
                rows.append((None, model_status(repo_id)))
    return rows


def remove(name: str) -> int:
    """Delete a model's folder from the cache; returns the bytes freed (0: was not there)."""
    repo_id, _preset = resolve_name(name)
    folder = repo_folder(repo_id)
    if not folder.is_dir():
        return 0
    size = _dir_size(folder)
    shutil.rmtree(folder)
    return size


# --------------------------------------------------------------------------- pulling


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None  # LFS files
    blob_id: str | None  # git blob sha1 (small files)


@dataclass(frozen=True)
class PullPlan:
    repo_id: str
    commit: str
    files: tuple[RemoteFile, ...]

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)


def selected(name: str, files: tuple[str, ...], skip: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in files) and not any(fnmatch.fnmatch(name, p) for p in skip)


def _gated_message(repo_id: str, preset: Preset | None) -> str:
    url = (preset.license_url if preset and preset.license_url else f"{endpoint()}/{repo_id}")
    how = ("set HF_TOKEN to a token of the account that accepted it" if not token()
           else "the account of HF_TOKEN has not accepted it yet")
    return (f"{repo_id} is a gated model: accept its licence at {url} while logged in, then pull again "
            f"({how}).")


def plan_pull(name: str) -> PullPlan:
    """Ask the Hub which files to fetch (sizes and hashes); nothing is downloaded yet."""
    try:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    except ImportError:
        raise HubError("pulling models needs huggingface_hub: pip install 'storyboard-app[diffusers]'") from None

    repo_id, preset = resolve_name(name)
    api = HfApi(endpoint=endpoint(), token=token())
    try:
        info = api.model_info(repo_id, files_metadata=True)
    except GatedRepoError:
        raise HubError(_gated_message(repo_id, preset)) from None
    except RepositoryNotFoundError:
        raise HubError(f"{repo_id} was not found on {endpoint()} (or it is private: set HF_TOKEN)") from None
    except HfHubHTTPError as exc:
        raise HubError(f"asking {endpoint()} about {repo_id} failed: {exc}") from None
    except OSError as exc:  # no network, DNS, refused
        raise HubError(f"cannot reach {endpoint()}: {exc}") from None
    if info.gated and not token():
        raise HubError(_gated_message(repo_id, preset))
    files, skip = (preset.files, preset.skip) if preset else (DIFFUSERS_FILES, DIFFUSERS_SKIP)
    chosen = tuple(
        RemoteFile(s.rfilename, int(s.size or 0), s.lfs.sha256 if s.lfs else None, s.blob_id)
        for s in info.siblings or () if selected(s.rfilename, files, skip)
    )
    if not chosen:
        raise HubError(f"{repo_id} has no files this app can load (looked for {', '.join(files)})")
    return PullPlan(repo_id, info.sha or "main", chosen)


def _already(plan: PullPlan, f: RemoteFile) -> int:
    """Bytes of ``f`` already in the cache (a finished blob, or a partial one)."""
    blobs = repo_folder(plan.repo_id) / "blobs"
    etag = f.sha256 or f.blob_id
    if etag and (blobs / etag).is_file():
        return f.size
    if etag and (blobs / f"{etag}.incomplete").is_file():
        return (blobs / f"{etag}.incomplete").stat().st_size
    return 0


def check_disk_space(plan: PullPlan) -> None:
    """Refuse to start a download the disk cannot hold (plus a margin)."""
    need = sum(f.size - _already(plan, f) for f in plan.files)
    target = cache_dir()
    probe = target
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need + SPACE_MARGIN > free:
        raise HubError(f"{plan.repo_id} needs {human_size(need)} more in {target}, but only {human_size(free)} "
                       f"is free (keeping {human_size(SPACE_MARGIN)} spare). Free some space or set HF_HOME.")


def _verify(part: Path, f: RemoteFile) -> None:
    """Size and hash of a finished download against the Hub's metadata; a bad file is deleted."""
    size = part.stat().st_size
    problem = ""
    if size != f.size:
        problem = f"size {size} bytes, expected {f.size}"
    else:
        h = hashlib.sha256() if f.sha256 else hashlib.sha1(b"blob %d\0" % size)
        expected = f.sha256 or f.blob_id
        if expected:
            with part.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            if h.hexdigest() != expected:
                problem = f"checksum {h.hexdigest()[:12]}…, expected {expected[:12]}…"
    if problem:
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{f.name}: {problem}; the file was deleted, pull again to fetch it anew")


def _link(snapshot_file: Path, blob: Path) -> None:
    """The snapshot entry pointing at its blob, as huggingface_hub lays out its cache."""
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    if snapshot_file.is_symlink() or snapshot_file.exists():
        snapshot_file.unlink()
    try:
        snapshot_file.symlink_to(os.path.relpath(blob, snapshot_file.parent))
    except OSError:  # no symlinks (Windows without developer mode): a copy
        shutil.copyfile(blob, snapshot_file)


def _fetch(plan: PullPlan, f: RemoteFile, bar: type) -> None:
    """One file into the cache, resuming ``blobs/<etag>.incomplete`` from where it stopped.

    huggingface_hub's own ``hf_hub_download`` (2.x) writes to a per-process temporary file and
    deletes it on any failure, so it only resumes within one call; here the partial blob is
    kept under its etag, and the next pull continues it with a ``Range`` request
    (``huggingface_hub.file_download.http_get(resume_size=...)``)."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    url = hf_hub_url(plan.repo_id, f.name, revision=plan.commit, endpoint=endpoint())
    meta = get_hf_file_metadata(url, token=token(), endpoint=endpoint())
    etag = meta.etag or f.sha256 or f.blob_id
    if not etag:
        raise HubError(f"{f.name}: the server sent no ETag, cannot place it in the cache")
    blobs = repo_folder(plan.repo_id) / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    blob = blobs / etag
    if not blob.is_file():
        part = blobs / f"{etag}.incomplete"
        resume = part.stat().st_size if part.is_file() else 0
        if meta.size is not None and resume > meta.size:
            part.unlink()
            resume = 0
        with part.open("ab") as fh:
            http_get(meta.location, fh, resume_size=resume, headers=build_hf_headers(token=token()),
                     expected_size=meta.size, displayed_filename=f.name, tqdm_class=bar)
        _verify(part, f)
        os.replace(part, blob)
    _link(repo_folder(plan.repo_id) / "snapshots" / plan.commit / f.name, blob)


def pull(name: str, progress: ProgressFn | None = None, cancelled: Callable[[], bool] | None = None) -> Path:
    """Download ``name`` (preset or repo id) into the cache, resumable; returns the snapshot.

    ``progress(done, total, file)`` is called as bytes arrive; ``cancelled()`` is polled as they
    do (per 10 MB chunk), and a True stops the download at the next chunk; the partial file stays
    and the next pull resumes it.
    """
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    plan = plan_pull(name)
    check_disk_space(plan)
    _, preset = resolve_name(name)
    report = progress or (lambda done, total, file: None)
    is_cancelled = cancelled or (lambda: False)
    done = 0
    total = plan.total
    current = ""

    class Bar:
        """The per-file progress object huggingface_hub drives (any class with update() works)."""

        def __init__(self, *args, initial: int = 0, **kwargs) -> None:  # noqa: ANN002, ANN003
            nonlocal done
            done += initial or 0
            report(done, total, current)

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc) -> None:  # noqa: ANN002
            pass

        stop = False

        def update(self, n: float | None = 1) -> None:
            # huggingface_hub calls update() *before* writing the chunk it counts: a cancel seen
            # here takes effect at the next chunk, so the bytes already received are kept
            nonlocal done
            if self.stop:
                raise PullCancelled(f"pull of {plan.repo_id} cancelled; pull again to resume")
            done += int(n or 0)
            report(done, total, current)
            self.stop = is_cancelled()

        def update_transfer(self, n: float | None = 1) -> None:
            pass

        def close(self) -> None:
            pass

    report(0, total, "")
    for f in plan.files:
        current = f.name
        if is_cancelled():
            raise PullCancelled(f"pull of {plan.repo_id} cancelled; pull again to resume")
        before = done
        try:
            _fetch(plan, f, Bar)
        except GatedRepoError:
            raise HubError(_gated_message(plan.repo_id, preset)) from None
        except HfHubHTTPError as exc:
            raise HubError(f"downloading {f.name} from {plan.repo_id} failed: {exc}") from None
        except OSError as exc:
            if "Consistency check failed" in str(exc):
                raise HubError(f"{f.name}: the download ended early ({exc}); pull again to resume") from None
            raise HubError(f"downloading {f.name} failed: {exc}") from None
        done = before + f.size  # a file already in the cache reports nothing: count it whole
        report(done, total, f.name)
    # point refs/main at the pulled commit, so status and loading find this snapshot
    ref = repo_folder(plan.repo_id) / "refs" / "main"
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(plan.commit)
    return repo_folder(plan.repo_id) / "snapshots" / plan.commit


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
