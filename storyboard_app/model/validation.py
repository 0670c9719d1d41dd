"""Turning untrusted JSON into a Project, with every problem named by file, JSON path and reason.

Two passes: the schema (pydantic validating the dataclasses strictly: types, unknown keys,
enum values) and the semantics that a schema cannot say (unique ids, references that point at
existing objects, durations, media paths that stay inside the bundle).
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .timecode import NTSC_TIMEBASES
from .types import Project, TransitionKind

_PROJECT_ADAPTER = TypeAdapter(Project)
EDIT_FILE = "<edit>"  # the "file" named by problems found in memory, before anything is written
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Ids name folders and files (``media/takes/<shot id>/<take id>.mp4``, voice cache entries), so
#: they are restricted to characters that are safe in a path component on every platform, and
#: may never contain ``..``: a shot id ``../../x`` would otherwise write outside the bundle.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Loudness adjustments in dB a mix can take without being silent or destroyed.
VOLUME_DB_RANGE = (-60.0, 24.0)
#: A script's scene number as Fountain allows it ("12", "3A", "I-1.A"), or empty.
SCENE_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$")


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # JSON path, "$.sequences[0].shots[2].duration"
    reason: str

    def __str__(self) -> str:
        # "$" is the whole document: a problem with the file itself (missing, locked, not JSON)
        # reads better without a JSON path nobody asked for
        if self.path == "$":
            return f"{self.file}: {self.reason}"
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
    except (ValueError, RecursionError) as exc:  # json.dumps of a cyclic or absurdly deep value
        raise ProjectError([Problem(file, "$", f"cannot be encoded as JSON: {exc}")]) from None
    problems = semantic_problems(project, file)
    if problems:
        raise ProjectError(problems)
    return project


def check_savable(project: Project, file: str, bundle: Path | None = None) -> None:
    """Raise ProjectError unless ``project`` would load back: the same checks as the loader.

    Run before every save, so the app can never write a file that it refuses to open.
    """
    try:
        with warnings.catch_warnings():  # a wrong type is reported by parse_project below
            warnings.simplefilter("ignore", UserWarning)
            data = project_to_data(project)
    except Exception as exc:  # noqa: BLE001 - any unserialisable value is one clear problem
        raise ProjectError([Problem(file, "$", f"cannot be saved: {exc}")]) from None
    parse_project(data, file)
    if bundle is not None:
        problems = semantic_problems(project, file, bundle=bundle)
        if problems:
            raise ProjectError(problems)


def edit_problems(project: Project) -> list[Problem]:
    """The problems an edit left in ``project`` (the loader's semantic checks, run in memory).

    Linear in the project size and cheap (about a millisecond per 1000 shots), so History runs
    it after every command, typing included.
    """
    try:
        return semantic_problems(project, EDIT_FILE)
    except (TypeError, AttributeError, ValueError) as exc:  # a value of the wrong type slipped in
        return [Problem(EDIT_FILE, "$", f"invalid value: {exc}")]


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


@functools.lru_cache(maxsize=1 << 16)  # pure; paths repeat on every edit's validation
def check_media_path(value: str) -> str | None:
    """Why a bundle-relative media path is unsafe, or None if it is fine (syntax only)."""
    if not value:
        return "empty path"
    if "\\" in value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        return "media paths must be relative to the project bundle (forward slashes, no drive)"
    if ".." in value.split("/"):
        return "media paths may not contain '..' (they must stay inside the project bundle)"
    if "\x00" in value:
        return "media path contains a NUL byte"
    return None


@functools.lru_cache(maxsize=1 << 16)
def check_id(value: object) -> str | None:
    """Why ``value`` cannot be an object id, or None if it is fine."""
    if not isinstance(value, str) or not value:
        return "an id must be a non-empty string"
    if not ID_PATTERN.match(value) or ".." in value:
        return (f"unsafe id {value[:40]!r}: use 1-64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit, without '..'")
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

    def media_why(value: str | None) -> str | None:
        # Paths (below) are formatted only for a problem: this runs after every edit.
        if value is None:
            return None
        why = check_media_path(value)
        if why is None and bundle is not None:
            try:
                resolve_media_path(bundle, value)
            except ValueError as exc:
                why = str(exc)
        return why

    def media(path: str, value: str | None) -> None:
        why = media_why(value)
        if why:
            add(path, why)

    if not 1 <= project.fps <= 240:
        add("$.fps", f"fps must be between 1 and 240 (got {project.fps})")
    if project.ntsc and project.fps not in NTSC_TIMEBASES:
        add("$.ntsc", f"ntsc (x1000/1001) needs fps 24, 30 or 60 (got {project.fps})")
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
    seen_shots: set[str] = set()
    for qi, seq in enumerate(project.sequences):
        for hi, shot in enumerate(seq.shots):
            if shot.id in seen_shots or check_id(shot.id) is not None:
                _unique([(f"$.sequences[{qi}].shots[{hi}]", shot.id)], "shot", add, seen_shots)
            seen_shots.add(shot.id)
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
        _volume(add, f"{base}.voice.volume_db", ch.voice.volume_db)
        _voice_names(add, f"{base}.voice", ch.voice)

    for si, st in enumerate(project.styles):
        for pi, colour in enumerate(st.palette):
            if not _HEX_COLOUR.match(colour):
                add(f"$.styles[{si}].palette[{pi}]", f"expected a colour like '#a0b0c0' (got {colour!r})")

    _voice_names(add, "$.narrator_voice", project.narrator_voice)

    test_names: set[str] = set()
    for ti, test in enumerate(project.style_tests):  # dangling shot/style ids are skipped where used
        if not test.name.strip():
            add(f"$.style_tests[{ti}].name", "a style test needs a name")
        elif test.name in test_names:
            add(f"$.style_tests[{ti}].name", f"two style tests are named {test.name!r}")
        test_names.add(test.name)

    if project.render.dialogue_gap_frames < 0:
        add("$.render.dialogue_gap_frames", "must not be negative")
    if project.render.dialogue_lead_frames < 0:
        add("$.render.dialogue_lead_frames", "must not be negative")
    media("$.render.music", project.render.music)
    _volume(add, "$.render.music_volume_db", project.render.music_volume_db)

    for qi, seq in enumerate(project.sequences):
        if seq.scene_number and not SCENE_NUMBER_PATTERN.match(seq.scene_number):
            add(f"$.sequences[{qi}].scene_number",
                f"a scene number is 1-16 letters, digits, '.' or '-' (got {seq.scene_number[:20]!r})")
        for name in ("location", "time_of_day"):
            if "\n" in getattr(seq, name):
                add(f"$.sequences[{qi}].{name}", f"{name} must be one line")
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
                if (why := check_id(line.id)) is not None:
                    add(f"{base}.dialogue[{li}].id", why)
                if line.id in line_ids:
                    add(f"{base}.dialogue[{li}].id", f"duplicate dialogue line id {line.id!r}")
                line_ids.add(line.id)
                if "\n" in line.delivery:
                    add(f"{base}.dialogue[{li}].delivery", "a delivery note must be one line")
                if line.speaker and line.speaker not in char_ids:
                    add(f"{base}.dialogue[{li}].speaker", f"refers to unknown character {line.speaker!r}")
                if (why := media_why(line.audio)) is not None:
                    add(f"{base}.dialogue[{li}].audio", why)
            take_ids: set[str] = set()
            for ti, take in enumerate(shot.takes):
                if (why := check_id(take.id)) is not None:
                    add(f"{base}.takes[{ti}].id", why)
                if take.id in take_ids:
                    add(f"{base}.takes[{ti}].id", f"duplicate take id {take.id!r}")
                take_ids.add(take.id)
                if (why := media_why(take.media_path)) is not None:
                    add(f"{base}.takes[{ti}].media_path", why)
                for name in ("frames", "duration_s", "size_bytes"):
                    value = getattr(take, name)
                    if value is not None and value < 0:
                        add(f"{base}.takes[{ti}].{name}", f"{name} must not be negative (got {value})")
                if take.remote_job is not None and (why := remote_job_problem(take.remote_job)) is not None:
                    add(f"{base}.takes[{ti}].remote_job", why)
            if shot.selected_take_id is not None and shot.selected_take_id not in take_ids:
                add(f"{base}.selected_take_id", f"refers to unknown take {shot.selected_take_id!r}")
    return problems


#: Key names a remote job record may never carry: it is saved in the project, and a project is
#: shared; credentials live in the environment or the OS keyring only.
_SECRET_KEY = re.compile(r"(key|token|secret|password|passwd|authorization|auth|credential|cookie)",
                         re.IGNORECASE)
#: Values that look like credentials whatever their key ("Bearer r8_...", "Key abc:def").
_SECRET_VALUE = re.compile(r"^\s*(bearer|key|basic|token)\s+\S{8,}", re.IGNORECASE)
#: a URL carrying a user name and password ("https://user:pass@host/")
_URL_USERINFO = re.compile(r"://[^/\s@]+:[^/\s@]*@")
REMOTE_JOB_MAX_BYTES = 16_384


def remote_job_problem(job: Any) -> str | None:
    """Why ``job`` (a take's remote job record) cannot be saved, or None: it must be a small JSON
    object of plain values naming ``service`` and ``job_id``, with nothing that looks like a secret."""
    if not isinstance(job, dict):
        return "must be an object"
    for required in ("service", "job_id"):
        if not isinstance(job.get(required), str) or not job.get(required):
            return f"needs a non-empty text {required!r}"
    try:
        text = json.dumps(job, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"must hold JSON values only ({exc})"
    if len(text) > REMOTE_JOB_MAX_BYTES:
        return f"is too large ({len(text)} bytes; at most {REMOTE_JOB_MAX_BYTES})"

    def walk(value: Any, where: str) -> str | None:
        if isinstance(value, dict):
            for key, item in value.items():
                if _SECRET_KEY.search(str(key)):
                    return f"{where}{key!r} looks like a credential; secrets are never stored in a project"
                if (why := walk(item, f"{where}{key}.")) is not None:
                    return why
        elif isinstance(value, list):
            for item in value:
                if (why := walk(item, where)) is not None:
                    return why
        elif isinstance(value, str) and (_SECRET_VALUE.match(value) or _URL_USERINFO.search(value)):
            return f"{where.rstrip('.') or 'a value'} looks like a credential; secrets are never stored in a project"
        return None

    return walk(job, "")


def _voice_names(add: Any, path: str, voice: Any) -> None:
    """Engine, voice and speaker are names looked up among installed voices (and shown in
    messages and the CLI's "voices pull NAME" hint): one printable line each; engine and voice
    are required, the speaker may be "" (the model's default speaker)."""
    for name, value, required in (("engine", voice.engine, True), ("voice", voice.voice, True),
                                  ("speaker", voice.speaker, False)):
        if required and not value.strip():
            add(f"{path}.{name}", f"a voice needs a{'n' if name == 'engine' else ''} {name} name")
        elif len(value) > 200 or not value.isprintable():
            add(f"{path}.{name}", f"expected one printable line of at most 200 characters (got {value!r:.40})")


def _volume(add: Any, path: str, value: float) -> None:
    low, high = VOLUME_DB_RANGE
    if not low <= value <= high:
        add(path, f"volume must be {low:g}..{high:+g} dB (got {value:g})")


def _unique(items: list[tuple[str, str]], what: str, add: Any, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    for path, item in items:
        if not item:
            add(f"{path}.id", f"a {what} needs a non-empty id")
        elif (why := check_id(item)) is not None:
            add(f"{path}.id", why)
        elif item in seen:
            add(f"{path}.id", f"duplicate {what} id {item!r}")
        seen.add(item)
    return seen
