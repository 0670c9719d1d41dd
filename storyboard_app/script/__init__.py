"""From a script to shots: Fountain screenplays and shot-list CSVs (pure Python, no Qt).

``load_script(path)`` reads either into a ``ScriptDraft``; ``plan_import(project, draft)`` works
out the one undoable command (and its summary) that creates or updates scenes, shots, dialogue
and characters. The CLI's ``import``/``animatic`` and the app's File > Import script use these.
"""

from __future__ import annotations

from pathlib import Path

from .csv_shots import ShotListError, draft_from_csv, read_shot_list
from .draft import CharacterDraft, LineDraft, SceneDraft, ScriptDraft, ShotDraft
from .reimport import REMOVED_SCENE_NAME, Change, ImportPlan, plan_import

SCRIPT_SUFFIXES = (".fountain", ".spmd", ".txt", ".csv")


class ScriptError(ValueError):
    """A script file that cannot be imported (unreadable, unknown kind, no shots)."""


def load_script(path: Path | str) -> ScriptDraft:
    """A Fountain file (.fountain, .spmd, .txt) or a shot list (.csv) as a draft."""
    from .build import draft_from_fountain

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SCRIPT_SUFFIXES:
        raise ScriptError(f"{path}: not a script (expected a .fountain screenplay or a .csv shot list)")
    if suffix == ".csv":
        try:
            return read_shot_list(path)
        except ShotListError as exc:
            raise ScriptError(str(exc)) from None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ScriptError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    draft = draft_from_fountain(text, path.name)
    if not draft.shots():
        raise ScriptError(f"{path}: no scenes or action found (is it a Fountain screenplay?)")
    return draft


__all__ = [
    "REMOVED_SCENE_NAME", "SCRIPT_SUFFIXES", "Change", "CharacterDraft", "ImportPlan", "LineDraft", "SceneDraft",
    "ScriptDraft", "ScriptError", "ShotDraft", "ShotListError", "draft_from_csv", "load_script", "plan_import",
    "read_shot_list",
]
