"""Shared CLI plumbing: exit codes, consoles, errors, opening projects, progress bars."""

from __future__ import annotations

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

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)


class CliError(Exception):
    """A failure to report as one line; ``exit_code`` 2 for bad usage, 1 otherwise."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code


def open_document(path: str | Path) -> Document:
    return Document.open(bundle_path_for(path))


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
