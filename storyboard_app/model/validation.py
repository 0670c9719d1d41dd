"""Turning untrusted JSON into a Project, with every problem named by file, JSON path and reason.

Two passes: the schema (pydantic validating the dataclasses strictly: types, unknown keys,
enum values) and the semantics that a schema cannot say (unique ids, references that point at
existing objects, durations, media paths that stay inside the bundle).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .types import Project, TransitionKind

_PROJECT_ADAPTER = TypeAdapter(Project)
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # JSON path, "$.sequences[0].shots[2].duration"
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"


class ProjectError(Exception):
    """A project that cannot be loaded or saved; ``problems`` lists each reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.summary())

    def summary(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        return first if not more else f"{first} (and {more} more problem{'s' * (more > 1)})"


def json_path(loc: Iterable[Any]) -> str:
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_project(data: Any, file: str) -> Project:
    """Validate decoded JSON (already upgraded to the current schema) into a Project."""
    if not isinstance(data, dict):
        raise ProjectError([Problem(file, "$", "expected a JSON object at the top level")])
    body = {k: v for k, v in data.items() if k != "schema_version"}
    try:
        # JSON mode: enums accept their string values while strict typing still refuses "3" for 3.
        project = _PROJECT_ADAPTER.validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        raise ProjectError([_problem_from_pydantic(file, err) for err in exc.errors()]) from None
    problems = semantic_problems(project, file)
    if problems:
        raise ProjectError(problems)
    return project


def project_to_data(project: Project) -> dict[str, Any]:
    return _PROJECT_ADAPTER.dump_python(project, mode="json")


def _problem_from_pydantic(file: str, err: dict[str, Any]) -> Problem:
    loc = list(err.get("loc", ()))
    reason = err.get("msg", "invalid value")
    # Dataclasses report unknown keys as "unexpected_keyword_argument", models as "extra_forbidden".
    if err.get("type") in ("extra_forbidden", "unexpected_keyword_argument"):
        reason = "unknown field (not part of the project format)"
    elif err.get("type") == "missing":
        reason = "required field is missing"
    elif "input" in err and err.get("type") not in ("missing",):
        shown = repr(err["input"])
        if len(shown) <= 40:
            reason = f"{reason} (got {shown})"
    return Problem(file, json_path(loc), reason)


def check_media_path(value: str) -> str | None:
    """Why a bundle-relative media path is unsafe, or None if it is fine (syntax only)."""
    if not value:
        return "empty path"
    if "\\" in value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        return "media paths must be relative to the project bundle (forward slashes, no drive)"
    parts = PurePosixPath(value).parts
    if ".." in parts:
        return "media paths may not contain '..' (they must stay inside the project bundle)"
    if "\x00" in value:
        return "media path contains a NUL byte"
    return None


def resolve_media_path(bundle: Path, value: str) -> Path:
    """The absolute path of bundle-relative ``value``; refuses escapes, symlinks included."""
    why = check_media_path(value)
    if why:
        raise ValueError(why)
    root = bundle.resolve()
    resolved = (root / value).resolve()
    if resolved != root and root not in resolved.parents:
        raise ValueError("media path resolves outside the project bundle (symlink?)")
    return resolved


def semantic_problems(project: Project, file: str, bundle: Path | None = None) -> list[Problem]:
    """Everything a schema can't check. With ``bundle``, also resolve media paths on disk."""
    problems: list[Problem] = []

    def add(path: str, reason: str) -> None:
        problems.append(Problem(file, path, reason))

    def media(path: str, value: str | None) -> None:
        if value is None:
            return
        why = check_media_path(value)
        if why is None and bundle is not None:
            try:
                resolve_media_path(bundle, value)
            except ValueError as exc:
                why = str(exc)
        if why:
            add(path, why)

    if not 1 <= project.fps <= 240:
        add("$.fps", f"fps must be between 1 and 240 (got {project.fps})")
    for name in ("width", "height"):
        value = getattr(project, name)
        if not 16 <= value <= 8192 or value % 2:
            add(f"$.{name}", f"{name} must be an even number of pixels, 16..8192 (got {value})")
    if not 0 <= project.seed < 2**32:
        add("$.seed", "seed must be in 0..4294967295")

    style_ids = _unique([(f"$.styles[{i}]", s.id) for i, s in enumerate(project.styles)], "style", add)
    char_ids = _unique(
        [(f"$.characters[{i}]", c.id) for i, c in enumerate(project.characters)], "character", add
    )
    _unique([(f"$.sequences[{i}]", s.id) for i, s in enumerate(project.sequences)], "scene", add)
    _unique(
        [
            (f"$.sequences[{qi}].shots[{hi}]", shot.id)
            for qi, seq in enumerate(project.sequences)
            for hi, shot in enumerate(seq.shots)
        ],
        "shot",
        add,
    )
    if project.style_id is not None and project.style_id not in style_ids:
        add("$.style_id", f"refers to unknown style {project.style_id!r}")

    for ci, ch in enumerate(project.characters):
        base = f"$.characters[{ci}]"
        if not ch.name.strip():
            add(f"{base}.name", "a character needs a name")
        if not 0 <= ch.seed < 2**32:
            add(f"{base}.seed", "seed must be in 0..4294967295")
        for ri, ref in enumerate(ch.reference_images):
            media(f"{base}.reference_images[{ri}]", ref)
        if not 0.25 <= ch.voice.rate <= 4.0:
            add(f"{base}.voice.rate", f"speaking rate must be 0.25..4 (got {ch.voice.rate})")
        if not -24 <= ch.voice.pitch_semitones <= 24:
            add(f"{base}.voice.pitch_semitones", "pitch shift must be within ±24 semitones")

    for si, st in enumerate(project.styles):
        for pi, colour in enumerate(st.palette):
            if not _HEX_COLOUR.match(colour):
                add(f"$.styles[{si}].palette[{pi}]", f"expected a colour like '#a0b0c0' (got {colour!r})")

    if project.render.dialogue_gap_frames < 0:
        add("$.render.dialogue_gap_frames", "must not be negative")
    if project.render.dialogue_lead_frames < 0:
        add("$.render.dialogue_lead_frames", "must not be negative")
    media("$.render.music", project.render.music)

    for qi, seq in enumerate(project.sequences):
        for hi, shot in enumerate(seq.shots):
            base = f"$.sequences[{qi}].shots[{hi}]"
            if shot.duration < 1:
                add(f"{base}.duration", f"duration must be at least 1 frame (got {shot.duration})")
            if not 0.0 <= shot.camera_strength <= 1.0:
                add(f"{base}.camera_strength", "camera strength must be between 0 and 1")
            if not 0 <= shot.seed < 2**32:
                add(f"{base}.seed", "seed must be in 0..4294967295")
            for ci, cid in enumerate(shot.characters):
                if cid not in char_ids:
                    add(f"{base}.characters[{ci}]", f"refers to unknown character {cid!r}")
            if shot.style_id is not None and shot.style_id not in style_ids:
                add(f"{base}.style_id", f"refers to unknown style {shot.style_id!r}")
            tr = shot.transition_in
            if tr.kind == TransitionKind.CUT and tr.frames:
                add(f"{base}.transition_in.frames", "a cut has no length; use 0")
            elif tr.kind != TransitionKind.CUT and not 1 <= tr.frames <= shot.duration:
                add(f"{base}.transition_in.frames", f"{tr.kind.value} length must be 1..{shot.duration} frames")
            line_ids: set[str] = set()
            for li, line in enumerate(shot.dialogue):
                if line.id in line_ids:
                    add(f"{base}.dialogue[{li}].id", f"duplicate dialogue line id {line.id!r}")
                line_ids.add(line.id)
                if line.speaker and line.speaker not in char_ids:
                    add(f"{base}.dialogue[{li}].speaker", f"refers to unknown character {line.speaker!r}")
                media(f"{base}.dialogue[{li}].audio", line.audio)
            take_ids: set[str] = set()
            for ti, take in enumerate(shot.takes):
                if take.id in take_ids:
                    add(f"{base}.takes[{ti}].id", f"duplicate take id {take.id!r}")
                take_ids.add(take.id)
                media(f"{base}.takes[{ti}].media_path", take.media_path)
                for name in ("frames", "duration_s", "size_bytes"):
                    value = getattr(take, name)
                    if value is not None and value < 0:
                        add(f"{base}.takes[{ti}].{name}", f"{name} must not be negative (got {value})")
            if shot.selected_take_id is not None and shot.selected_take_id not in take_ids:
                add(f"{base}.selected_take_id", f"refers to unknown take {shot.selected_take_id!r}")
    return problems


def _unique(items: list[tuple[str, str]], what: str, add: Any) -> set[str]:
    seen: set[str] = set()
    for path, item in items:
        if not item:
            add(f"{path}.id", f"a {what} needs a non-empty id")
        elif item in seen:
            add(f"{path}.id", f"duplicate {what} id {item!r}")
        seen.add(item)
    return seen
