"""The pure-Python core: project data, edit commands with undo, and the bundle on disk.

Imports no Qt and no torch (enforced by import-linter, see pyproject.toml).
"""

from .bundle import (
    SCHEMA_VERSION,
    BundlePaths,
    Document,
    bundle_path_for,
    load_project,
    project_json,
    save_project,
)
from .commands import Command, CommandError, Compound, Ref, SetField
from .history import EditRefused, History
from .types import (
    CameraMove,
    Character,
    ConformMode,
    DialogueLine,
    Project,
    RenderSettings,
    Sequence,
    Shot,
    ShotSize,
    Style,
    StyleTest,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
    VoiceSettings,
    format_duration,
    frames_to_timecode,
    new_id,
)
from .validation import Problem, ProjectError

__all__ = [
    "SCHEMA_VERSION", "BundlePaths", "CameraMove", "Character", "Command", "CommandError",
    "Compound", "ConformMode", "DialogueLine", "Document", "EditRefused", "History", "Problem", "Project",
    "ProjectError", "Ref", "RenderSettings", "Sequence", "SetField", "Shot", "ShotSize", "Style", "StyleTest",
    "Take", "TakeStatus", "Transition", "TransitionKind", "VoiceSettings", "bundle_path_for",
    "format_duration", "frames_to_timecode", "load_project", "new_id", "project_json",
    "save_project",
]
