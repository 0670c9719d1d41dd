"""Shared CLI plumbing: exit codes, consoles, errors, opening projects, progress bars."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..model import Document, Project, Shot, bundle_path_for

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, the shell convention)

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)


class CliError(Exception):
    """A failure to report as one line; ``exit_code`` 2 for bad usage, 1 otherwise."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code


def open_document(path: str | Path) -> Document:
    """Open a project to read it (no lock: reading never waits for a writer)."""
    return Document.open(bundle_path_for(path))


def open_document_for_writing(path: str | Path, wait: bool = False) -> Document:
    """Lock the bundle for this process, then open it; the lock is held until the command ends.

    Another process holding the lock is an error naming it (exit 1), unless ``wait``: then this
    waits for the lock. The lock is taken before reading, so what is loaded is the latest save.
    A folder this process cannot write is opened unlocked with ``read_only`` set.
    """
    root = bundle_path_for(path)
    if not root.is_dir():
        return Document.open(root)  # the usual "not a project bundle" error
    from ..model.lock import BundleNotWritable, acquire

    try:
        lock = acquire(root, wait=wait)
    except BundleNotWritable as exc:
        # Nothing can be written there, by this process at least: no lock to take. Commands that
        # only read (a render with nothing to generate) still work; a save says why it cannot.
        document = Document.open(root)
        document.read_only = str(exc)
        return document
    try:
        document = Document.open(root)
    except BaseException:
        lock.release()
        raise
    document.lock = lock
    return document


def add_wait_flag(parser: argparse.ArgumentParser) -> None:
    """``--wait``: wait for another process that writes the project instead of failing."""
    parser.add_argument("--wait", action="store_true",
                        help="if another process is writing this project, wait for it instead of failing")


def select_shots(project: Project, spec: str | None) -> list[Shot]:
    """``"1,3A,5"`` (shot numbers or ids) → shots in timeline order; None/"" → all shots."""
    shots = project.all_shots()
    if not spec:
        return shots
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    by_key = {s.number: s for s in shots} | {s.id: s for s in shots}
    missing = [w for w in wanted if w not in by_key]
    if missing:
        raise CliError(f"no shot numbered {', '.join(missing)}", EXIT_USAGE)
    chosen = {by_key[w].id for w in wanted}
    return [s for s in shots if s.id in chosen]


@contextmanager
def progress_bar(transient: bool = False) -> Iterator[Progress]:
    """A rich progress display on stderr (so stdout stays parseable)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console_err,
        transient=transient,
    )
    with progress:
        yield progress
