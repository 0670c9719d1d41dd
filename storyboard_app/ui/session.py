"""The open project as the UI sees it: a Document plus Qt signals.

Every edit from any widget goes through ``ProjectSession.apply`` (a model command), and after each
edit, undo or redo the session emits ONE ``changed`` signal (Anki's single change notification),
so views refresh from the model instead of patching themselves. Errors from a command are shown
as a status message, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..model import Document, ProjectError, Shot
from ..model.bundle import (
    bundle_path_for,
    discard_recovery,
    load_recovery,
    recovery_available,
)
from ..model.commands import CommandError
from ..model.trash import purge_trash, restore_referenced, trash_size, trash_unreferenced_takes


class ProjectSession(QObject):
    changed = Signal(str)  # what happened ("Set shot prompt", "Undo Move shot", "saved", "opened")
    dirty_changed = Signal(bool)
    message = Signal(str)  # one-line status messages (errors included)
    selection_changed = Signal(list)  # shot ids
    playhead_changed = Signal(int)  # project frame
    job_state_changed = Signal(str, str)  # shot id, state ("queued", "rendering", ...) or ""

    def __init__(self, document: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.selection: list[str] = []
        self.playhead = 0
        self.job_states: dict[str, str] = {}
        #: shot id → (dialogue signature, voiced length in frames) measured by "Fit shot to
        #: dialogue"; the timeline prefers it to the estimate while the dialogue is unchanged
        self.exact_vo: dict[str, tuple[tuple, int]] = {}
        self._was_dirty = False
        if document.bundle is not None and document.bundle.is_dir():
            document.try_acquire_lock()  # held while open; read-only (with the holder) if taken
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)

    # --- properties ---
    @property
    def project(self):  # noqa: ANN201
        return self.document.project

    @property
    def dirty(self) -> bool:
        return self.document.dirty

    # --- edits ---
    def apply(self, command, merge_key: str | None = None, window: float | None = None) -> bool:  # noqa: ANN001
        try:
            self.document.apply(command, merge_key, window)
        except (CommandError, ValueError, KeyError) as exc:
            # EditRefused included: the edit was rolled back; say why in the status bar and
            # let views re-read the model so a widget does not keep showing the refused value.
            self.message.emit(f"Can't {(getattr(command, 'label', '') or 'edit').lower()}: {exc}")
            self.changed.emit("refused")
            return False
        self._emit(command.label)
        return True

    def undo(self) -> None:
        label = self.document.undo()
        if label:
            self._restore_trashed()
            self._emit(f"Undo {label}")

    def redo(self) -> None:
        label = self.document.redo()
        if label:
            self._restore_trashed()
            self._emit(f"Redo {label}")

    def _restore_trashed(self) -> None:
        """Undoing a take deletion after a save: its file comes back from the bundle's trash."""
        if self.document.bundle is None:
            return
        try:
            restore_referenced(self.project, self.document.bundle)
        except OSError as exc:
            self.message.emit(f"Could not restore a take from the trash: {exc}")

    @property
    def batch_running(self) -> bool:
        return bool(self.job_states)

    def empty_trash(self) -> int | None:
        """Delete the trashed take files for good; refused while a generation batch runs."""
        if self.document.bundle is None:
            return None
        if self.batch_running:
            self.message.emit("Can't empty the trash while shots are generating")
            return None
        try:
            removed = purge_trash(self.document.bundle, self.project)
        except OSError as exc:
            self.message.emit(f"Emptying the trash failed: {exc}")
            return None
        self.message.emit(f"Emptied the trash: {len(removed)} file(s), {trash_size(removed) // 1024} KiB")
        return len(removed)

    def _emit(self, what: str) -> None:
        valid = {s.id for s in self.project.all_shots()}
        if any(s not in valid for s in self.selection):
            self.selection = [s for s in self.selection if s in valid]
            self.selection_changed.emit(list(self.selection))
        self.changed.emit(what)
        if self.dirty != self._was_dirty:
            self._was_dirty = self.dirty
            self.dirty_changed.emit(self.dirty)

    def current_shot(self) -> Shot | None:
        """The last selected shot (the one the inspector, viewer and takes browser show)."""
        if not self.selection:
            return None
        try:
            return self.project.shot(self.selection[-1])
        except KeyError:
            return None

    # --- selection, playhead, job states (view state, not undoable) ---
    def select(self, shot_ids: list[str]) -> None:
        if shot_ids != self.selection:
            self.selection = list(shot_ids)
            self.selection_changed.emit(list(shot_ids))

    def set_playhead(self, frame: int) -> None:
        frame = max(0, min(frame, max(self.project.total_frames - 1, 0)))
        if frame != self.playhead:
            self.playhead = frame
            self.playhead_changed.emit(frame)

    def set_job_state(self, shot_id: str, state: str) -> None:
        """Transient generation state shown on a timeline card (the queue drives this)."""
        if state:
            self.job_states[shot_id] = state
        else:
            self.job_states.pop(shot_id, None)
        self.job_state_changed.emit(shot_id, state)

    # --- files ---
    def save(self, bundle: Path | str | None = None) -> bool:
        try:
            path = self.document.save(bundle)
        except (OSError, ProjectError) as exc:
            self.message.emit(f"Save failed: {exc}")
            return False
        if self.document.lock is None:
            self.document.try_acquire_lock()  # a first save (or a freed lock): hold it from now on
        if not self.batch_running:  # a running batch may link files it has not recorded yet
            # Holding the bundle's lock, no other process can be linking files into it, and no
            # batch of ours runs: every unreferenced take file is a deleted take (no grace).
            grace = 0.0 if self.document.lock is not None else None
            try:
                trash_unreferenced_takes(self.project, path, grace=grace)  # deleted takes' files, undoable
            except OSError as exc:
                self.message.emit(f"Saved {path}; moving deleted takes to the trash failed: {exc}")
                self._emit("saved")
                return True
        self.message.emit(f"Saved {path}")
        self._emit("saved")
        return True

    def close(self) -> None:
        """The project is being closed: stop autosaving and let other processes write it."""
        self.autosave_timer.stop()
        self.document.release_lock()

    def autosave(self) -> Path | None:
        try:
            return self.document.autosave()
        except OSError as exc:
            self.message.emit(f"Autosave failed: {exc}")
            return None

    def start_autosave(self, seconds: float) -> None:
        self.autosave_timer.start(int(seconds * 1000))

    @staticmethod
    def open(path: Path | str, use_recovery: bool | None = None) -> Document:
        """Open a bundle; with ``use_recovery`` True, load the autosave instead (kept dirty).

        The bundle's lock is held while the project is open; when another process holds it the
        document opens read-only (``document.read_only`` names the holder; saving is refused).
        """
        root = bundle_path_for(path)
        if use_recovery and recovery_available(root):
            document = Document(load_recovery(root), root)
            document.history.mark_unsaved()  # recovered content is not what the file holds
            document.remember_disk_state()
        else:
            if use_recovery is False:
                discard_recovery(root)
            document = Document.open(root)
        return document
