"""The export's own temporary files, removed on every exit path and swept after a kill.

An export writes two kinds of temporary files: a work folder in the system temp directory
(soundtrack WAV, animated stills) and the hidden partial MP4 beside the output (renamed into
place at the end). Normal exits, errors, cancel and Ctrl-C remove both (context managers).
``kill -9`` or a power cut cannot run any cleanup, so each work folder carries an owner record
(pid, host, the partial's path): the next export removes the folders, and the partials they
name, whose owner process is gone. Another process that is exporting right now keeps its files:
only dead owners' files are removed (or, without a readable record, files older than a day).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..model.lock import host_name, pid_alive

PREFIX = "storyboard-export-"
OWNER_FILE = "owner.json"
#: files without a readable owner record are only swept once they are this old (seconds)
ORPHAN_AGE = 24 * 3600


class WorkFolder:
    """A private temp folder for one export, with an owner record for stale-file sweeping."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root or tempfile.gettempdir())
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
        self._record: dict = {"pid": os.getpid(), "host": host_name(), "started": time.time(),
                              "partials": []}
        self._write()

    def _write(self) -> None:
        target = self.path / OWNER_FILE
        tmp = target.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self._record), encoding="utf-8")
        except OSError as exc:  # a failed write names no file (disk full): say which
            raise OSError(exc.errno, exc.strerror, str(tmp)) from exc
        os.replace(tmp, target)

    def claim(self, partial: Path) -> None:
        """Record a partial file written elsewhere, so a sweep after a kill removes it too."""
        self._record["partials"].append(str(Path(partial).absolute()))
        self._write()

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> WorkFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def sweep_stale(output: Path | None = None, root: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove work folders (and the partials they name) left by export processes that died.

    Also removes hidden partials of ``output`` (``.NAME.*.part.mp4`` beside it) older than
    ``ORPHAN_AGE`` whose work folder is gone. Returns what was removed.
    """
    root = Path(root or tempfile.gettempdir())
    now = time.time() if now is None else now
    host = host_name()
    removed: list[Path] = []
    live_partials: set[str] = set()
    for folder in sorted(root.glob(f"{PREFIX}*")):
        if not folder.is_dir():
            continue
        record = _read_record(folder / OWNER_FILE)
        if record is None:
            stale = _age(folder, now) > ORPHAN_AGE
        elif record.get("host") != host:
            stale = now - float(record.get("started", now)) > ORPHAN_AGE
        else:
            stale = not pid_alive(int(record.get("pid", -1)))
        partials = [Path(p) for p in (record or {}).get("partials", [])]
        if not stale:
            live_partials.update(str(p) for p in partials)
            continue
        for partial in partials:
            with contextlib.suppress(OSError):
                partial.unlink()
                removed.append(partial)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if output is not None:
        output = Path(output).absolute()
        for partial in output.parent.glob(f".{output.stem}.*.part{output.suffix}"):
            if str(partial) not in live_partials and _age(partial, now) > ORPHAN_AGE:
                with contextlib.suppress(OSError):
                    partial.unlink()
                    removed.append(partial)
    return removed


def _read_record(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0
