"""Undo/redo history, owned by the model so the GUI and the CLI share one behaviour.

Each entry keeps the command that redoes the step and the inverse that undoes it. Typing in a
text field produces many SetField commands; passing the same ``merge_key`` within
``merge_window`` seconds folds them into one step, so one undo returns to the text before the
pause. A step is never merged into the state that was saved.

Every pushed command is validated after it applies (the loader's own semantic checks): an edit
that would leave a project the app cannot open again (a shot shorter than its transition, a
volume of +1000 dB, an unsafe id) is rolled back and refused with ``EditRefused``, so invalid
states never enter the history and can never be saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .commands import Command, CommandError, Compound
from .types import Project
from .validation import Problem, edit_problems


class EditRefused(CommandError):
    """A command that applied but left the project invalid; it was rolled back."""

    def __init__(self, label: str, problems: list[Problem]):
        self.label = label
        self.problems = problems
        first = problems[0]
        more = len(problems) - 1
        text = f"{first.path}: {first.reason}"
        super().__init__(text + (f" (and {more} more)" if more else ""))


Validator = Callable[[Project], list[Problem]]


@dataclass
class HistoryEntry:
    label: str
    redo: Command
    undo: Command
    merge_key: str | None = None
    stamp: float = 0.0
    revision: int = 0  # the state this step leads to; kept across undo so redo restores it


Listener = Callable[[str], None]


@dataclass
class History:
    """A linear undo stack with a saved-state marker for the dirty flag."""

    limit: int = 500
    merge_window: float = 1.5
    clock: Callable[[], float] = time.monotonic
    _done: list[HistoryEntry] = field(default_factory=list)
    _undone: list[HistoryEntry] = field(default_factory=list)
    _revision: int = 0  # bumps on every change; compared with _saved_revision
    _saved_revision: int = 0
    _next_revision: int = 0
    _revisions: list[int] = field(default_factory=list)  # revision after each done entry
    listeners: list[Listener] = field(default_factory=list)
    #: Checks the project after each push; None turns validation off (bulk loaders, benchmarks).
    validator: Validator | None = edit_problems

    def push(self, project: Project, command: Command, merge_key: str | None = None,
             window: float | None = None) -> None:
        """Apply ``command`` to ``project`` and record it. Raises (changing nothing) on failure.

        ``EditRefused`` (a ``CommandError``) when the result would not validate. ``window``
        overrides ``merge_window`` for this push: a generation batch passes ``math.inf`` so all
        its takes fold into one step however long the batch runs. A merged step takes the label
        of the latest command ("Generate 3 takes" after "Generate 2 takes").
        """
        inverse = command.apply(project)
        if self.validator is not None:
            inverse = self._validated(project, command, inverse)
        window = self.merge_window if window is None else window
        now = self.clock()
        top = self._done[-1] if self._done else None
        self._undone.clear()
        if (
            merge_key is not None
            and top is not None
            and top.merge_key == merge_key
            and now - top.stamp <= window
            and self._revisions[-1] != self._saved_revision
        ):
            top.label = command.label
            top.redo = Compound([top.redo, command], top.label)
            top.undo = Compound([inverse, top.undo], top.label)
            top.stamp = now
            self._bump(replace_top=True)
        else:
            self._done.append(HistoryEntry(command.label, command, inverse, merge_key, now))
            self._bump()
            if len(self._done) > self.limit:
                del self._done[0]
                del self._revisions[0]
        self._notify(command.label)

    def _validated(self, project: Project, command: Command, inverse: Command) -> Command:
        """Roll back and raise if ``command`` introduced problems; return the inverse to keep."""
        assert self.validator is not None
        problems = self.validator(project)
        if not problems:
            return inverse
        inverse.apply(project)  # roll back before deciding, so a refusal changes nothing
        # A project that was already invalid (built in code, not loaded) must stay editable:
        # only problems this command introduced refuse it.
        before = {(p.path, p.reason) for p in self.validator(project)}
        new = [p for p in problems if (p.path, p.reason) not in before]
        if new:
            raise EditRefused(command.label, new)
        return command.apply(project)

    def undo(self, project: Project) -> str | None:
        if not self._done:
            return None
        entry = self._done.pop()
        entry.revision = self._revisions.pop()
        entry.redo = entry.undo.apply(project)
        self._undone.append(entry)
        self._revision = self._revisions[-1] if self._revisions else 0
        self._notify(entry.label)
        return entry.label

    def redo(self, project: Project) -> str | None:
        if not self._undone:
            return None
        entry = self._undone.pop()
        entry.undo = entry.redo.apply(project)
        entry.merge_key = None  # a redone step never absorbs later typing
        self._done.append(entry)
        # Redo leads back to exactly the state the step led to before, so it gets that
        # revision again: redoing up to the saved state makes the document clean again.
        self._revisions.append(entry.revision)
        self._revision = entry.revision
        self._notify(entry.label)
        return entry.label

    # --- state ---
    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def top_merge_key(self) -> str | None:
        """The merge key of the step an undo would revert (None when it cannot absorb more)."""
        return self._done[-1].merge_key if self._done else None

    @property
    def undo_label(self) -> str | None:
        return self._done[-1].label if self._done else None

    @property
    def redo_label(self) -> str | None:
        return self._undone[-1].label if self._undone else None

    def labels(self) -> tuple[list[str], list[str]]:
        """(done labels oldest first, undone labels next-to-redo first) for a history view."""
        return [e.label for e in self._done], [e.label for e in reversed(self._undone)]

    @property
    def dirty(self) -> bool:
        return self._revision != self._saved_revision

    def mark_saved(self) -> None:
        self._saved_revision = self._revision
        self._notify("saved")

    def mark_unsaved(self) -> None:
        """The content differs from the file (e.g. recovered from an autosave)."""
        self._saved_revision = -1
        self._notify("unsaved")

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._revisions.clear()
        self._revision = self._saved_revision = 0
        self._notify("cleared")

    def _bump(self, replace_top: bool = False) -> None:
        self._next_revision += 1
        self._revision = self._next_revision
        if replace_top:
            self._revisions[-1] = self._revision
        else:
            self._revisions.append(self._revision)

    def _notify(self, what: str) -> None:
        for listener in list(self.listeners):
            listener(what)
