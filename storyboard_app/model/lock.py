"""The project lock: one writing process per bundle, and a clear answer when it is taken.

A bundle is written by one process at a time. The writer holds ``.lock`` inside the bundle: a
small JSON file created with ``O_CREAT | O_EXCL`` (atomic on POSIX and on NTFS, no ``fcntl``)
that names the holder (pid, host, since when, what program). A second process that wants to
write gets ``ProjectLocked`` naming that holder, or waits for it (``wait=True``). A lock whose
holder is a dead process on this host is stale and is taken over; a lock held on another host is
never guessed about (a person removes it, the message says where it is).

Within one process the lock is shared: acquiring a bundle this process already holds returns
the same lock with a higher count (the GUI holds its project's lock and still saves through the
same code as the CLI). Every lock this process holds is released at interpreter exit; after a
kill -9 the file stays and the next process finds it stale.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .validation import Problem, ProjectError

LOCK_FILE = ".lock"
#: a lock file that exists but has no readable content yet (a holder between create and write)
#: is given this long before it counts as stale
UNREADABLE_GRACE = 5.0


def host_name() -> str:
    return socket.gethostname() or "localhost"


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (portable, no psutil needed)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    except OSError:
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A zombie has exited (its parent has not reaped it yet): it holds nothing any more."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    since: str  # ISO 8601, UTC
    program: str = ""

    def describe(self) -> str:
        what = f" ({self.program})" if self.program else ""
        return f"process {self.pid} on {self.host}{what} since {self.since}"

    @property
    def on_this_host(self) -> bool:
        return self.host == host_name()

    def stale(self) -> bool:
        return self.on_this_host and not pid_alive(self.pid)


class ProjectLocked(ProjectError):
    """Another process writes this bundle. ``holder`` says who; exit code 1 in the CLI."""

    exit_code = 1

    def __init__(self, lock_file: Path, holder: LockHolder | None):
        self.lock_file = lock_file
        self.holder = holder
        who = holder.describe() if holder else "another process"
        hint = ("wait for it (--wait), or close it" if holder is None or holder.on_this_host else
                f"wait for it (--wait), or delete {lock_file} if that process no longer runs")
        super().__init__([Problem(str(lock_file), "$", f"the project is in use by {who}; {hint}")])


class BundleNotWritable(PermissionError):
    """The bundle's folder cannot be written at all (read-only media, permissions): no lock can
    be taken and nothing could be saved; said once, clearly, before any work starts."""

    def __init__(self, bundle: Path, reason: str):
        super().__init__(f"{bundle}: the project folder is not writable ({reason}); nothing can be saved there")


def read_holder(lock_file: Path) -> LockHolder | None:
    """The holder recorded in ``lock_file``; None when missing or not (yet) readable."""
    try:
        data = json.loads(lock_file.read_text(encoding="utf-8"))
        return LockHolder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data.get("program", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class ProjectLock:
    """The lock on one bundle held by this process (shared, counted, released at exit)."""

    def __init__(self, bundle: Path, holder: LockHolder):
        self.bundle = bundle
        self.file = bundle / LOCK_FILE
        self.holder = holder
        self._count = 1

    @property
    def held(self) -> bool:
        return self._count > 0

    def release(self) -> None:
        """Drop one hold; the file goes when the last hold in this process is released."""
        with _registry_lock:
            if self._count <= 0:
                return
            self._count -= 1
            if self._count:
                return
            _held.pop(_key(self.bundle), None)
            current = read_holder(self.file)
            if current is not None and (current.pid, current.host) == (self.holder.pid, self.holder.host):
                with contextlib.suppress(OSError):
                    self.file.unlink()

    def __enter__(self) -> ProjectLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_held: dict[str, ProjectLock] = {}
_registry_lock = threading.RLock()


def _key(bundle: Path) -> str:
    return os.path.normcase(str(Path(bundle).resolve()))


def held_lock(bundle: Path | str) -> ProjectLock | None:
    """The lock this process holds on ``bundle``, if any."""
    with _registry_lock:
        return _held.get(_key(Path(bundle)))


def acquire(bundle: Path | str, *, wait: bool = False, timeout: float | None = None,
            program: str | None = None, poll: float = 0.2) -> ProjectLock:
    """Lock ``bundle`` for writing by this process, or raise ``ProjectLocked`` naming the holder.

    ``wait``: poll until the holder lets go (or ``timeout`` seconds pass, then raise).
    """
    bundle = Path(bundle)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _registry_lock:
            mine = _held.get(_key(bundle))
            if mine is not None:
                mine._count += 1
                return mine
            lock, holder = _try_create(bundle, program)
            if lock is not None:
                _held[_key(bundle)] = lock
                return lock
        if not wait or (deadline is not None and time.monotonic() >= deadline):
            raise ProjectLocked(bundle / LOCK_FILE, holder)
        time.sleep(poll)


def _try_create(bundle: Path, program: str | None) -> tuple[ProjectLock | None, LockHolder | None]:
    """One attempt: create the lock file, or take over a stale one; else report the holder."""
    lock_file = bundle / LOCK_FILE
    me = LockHolder(os.getpid(), host_name(), datetime.now(UTC).isoformat(timespec="seconds"),
                    program if program is not None else _program())
    if not bundle.is_dir():
        raise ProjectError([Problem(str(bundle), "$", "not a project bundle (folder not found)")])
    for _attempt in range(3):
        try:
            fd = os.open(lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = read_holder(lock_file)
            if holder is None:
                if not _unreadable_and_old(lock_file):
                    return None, None  # being written right now: its holder is alive
            elif not holder.stale():
                return None, holder
            _take_over(lock_file, holder)
            continue
        except OSError as exc:
            if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
                raise BundleNotWritable(bundle, exc.strerror or "permission denied") from None
            raise
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"pid": me.pid, "host": me.host, "since": me.since, "program": me.program}, fh)
            fh.flush()
            with contextlib.suppress(OSError):
                os.fsync(fh.fileno())
        return ProjectLock(bundle, me), None
    return None, read_holder(lock_file)


def _unreadable_and_old(lock_file: Path) -> bool:
    try:
        return time.time() - lock_file.stat().st_mtime > UNREADABLE_GRACE
    except OSError:
        return True  # gone meanwhile: try again


def _take_over(lock_file: Path, stale: LockHolder | None) -> None:
    """Remove a stale lock file without ever removing a live one that replaced it meanwhile.

    The file is renamed aside first (atomic), then checked: if what was moved is not the stale
    holder (another process took over and locked in between), it is linked back.
    """
    aside = lock_file.with_name(f"{LOCK_FILE}.stale.{os.getpid()}.{threading.get_ident()}")
    try:
        os.replace(lock_file, aside)
    except OSError:
        return  # someone else moved it: just try again
    moved = read_holder(aside)
    if stale is not None and moved != stale:
        with contextlib.suppress(OSError):
            os.link(aside, lock_file)  # put the live lock back (fails if a new one exists)
    with contextlib.suppress(OSError):
        aside.unlink()


def _program() -> str:
    argv = [os.path.basename(sys.argv[0])] + sys.argv[1:2] if sys.argv and sys.argv[0] else []
    return " ".join(argv)[:80]


@atexit.register
def release_all() -> None:
    """Release every lock this process holds (interpreter exit, end of a CLI command)."""
    with _registry_lock:
        locks = list(_held.values())
    for lock in locks:
        while lock.held:
            lock.release()
