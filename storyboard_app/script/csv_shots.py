"""A shot list (CSV, as exported from a spreadsheet) as a ``ScriptDraft``.

One row per shot; a row with no description but a shot number equal to the row above (or an
empty shot number) and dialogue adds another line to that shot. Headers are matched ignoring
case, spaces and punctuation, with the synonyms below; only a description column is required.
Files may be UTF-8 with or without a byte-order mark, separated by commas or semicolons (the
separator a European spreadsheet writes). Every error names the file, the row (as the
spreadsheet numbers it, the header being row 1) and the column.

Columns: scene, location, time of day, shot, description (prompt/action), size, move (camera), duration (seconds:
``3``, ``2.5``, ``3s``; frames: ``72f``; or ``mm:ss``), dialogue, speaker (or ``NAME: text`` in
the dialogue cell), characters (comma-separated names), transition, notes, delivery.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..model import CameraMove, ShotSize, TransitionKind
from .build import split_heading, transition_kind
from .draft import (
    CharacterDraft,
    LineDraft,
    SceneDraft,
    ScriptDraft,
    ShotDraft,
    character_key,
    display_name,
)
from .infer import infer_move, infer_size


class ShotListError(ValueError):
    """A shot list that cannot be read; the message names file, row and column."""


COLUMNS: dict[str, tuple[str, ...]] = {
    "scene": ("scene", "scene heading", "sequence", "slugline", "scene name", "scene number", "scene no"),
    "location": ("location", "set", "place"),
    "time_of_day": ("time of day", "tod", "day night", "day/night"),
    "shot": ("shot", "shot number", "shot no", "number", "no", "shot id", "shot #", "#"),
    "description": ("description", "prompt", "action", "shot description", "text", "visual", "visuals",
                    "picture", "what we see"),
    "size": ("size", "shot size", "framing", "type", "shot type"),
    "move": ("move", "camera move", "camera", "movement", "camera movement"),
    "duration": ("duration", "length", "seconds", "secs", "time", "dur"),
    "dialogue": ("dialogue", "dialog", "line", "lines", "vo", "audio", "script"),
    "speaker": ("speaker", "character", "who", "voice", "speaking"),
    "characters": ("characters", "cast", "in shot", "talent"),
    "transition": ("transition", "transition in", "cut"),
    "notes": ("notes", "note", "comment", "comments", "remarks"),
    "delivery": ("delivery", "parenthetical", "direction"),
}
_SIZES = {
    "ews": ShotSize.EWS, "extreme wide": ShotSize.EWS, "extreme wide shot": ShotSize.EWS, "establishing": ShotSize.EWS,
    "ws": ShotSize.WS, "wide": ShotSize.WS, "wide shot": ShotSize.WS, "long shot": ShotSize.WS, "ls": ShotSize.WS,
    "full shot": ShotSize.WS, "fs": ShotSize.WS,
    "ms": ShotSize.MS, "medium": ShotSize.MS, "medium shot": ShotSize.MS, "mid": ShotSize.MS, "mid shot": ShotSize.MS,
    "mcu": ShotSize.MCU, "medium close up": ShotSize.MCU, "medium closeup": ShotSize.MCU,
    "cu": ShotSize.CU, "close up": ShotSize.CU, "closeup": ShotSize.CU, "close": ShotSize.CU,
    "ecu": ShotSize.ECU, "xcu": ShotSize.ECU, "extreme close up": ShotSize.ECU, "extreme closeup": ShotSize.ECU,
    "ots": ShotSize.OTS, "over the shoulder": ShotSize.OTS, "pov": ShotSize.POV, "point of view": ShotSize.POV,
    "insert": ShotSize.INSERT,
}
_MOVES = {
    "static": CameraMove.STATIC, "locked off": CameraMove.STATIC, "none": CameraMove.STATIC, "still": CameraMove.STATIC,
    "push in": CameraMove.PUSH_IN, "dolly in": CameraMove.PUSH_IN, "zoom in": CameraMove.PUSH_IN,
    "pull out": CameraMove.PULL_OUT, "pull back": CameraMove.PULL_OUT, "dolly out": CameraMove.PULL_OUT,
    "zoom out": CameraMove.PULL_OUT, "pan left": CameraMove.PAN_LEFT, "pan right": CameraMove.PAN_RIGHT,
    "pan": CameraMove.PAN_RIGHT, "tilt up": CameraMove.TILT_UP, "tilt down": CameraMove.TILT_DOWN,
    "truck left": CameraMove.TRUCK_LEFT, "truck right": CameraMove.TRUCK_RIGHT, "track left": CameraMove.TRUCK_LEFT,
    "track right": CameraMove.TRUCK_RIGHT, "crane up": CameraMove.CRANE_UP, "crane down": CameraMove.CRANE_DOWN,
    "boom up": CameraMove.CRANE_UP, "boom down": CameraMove.CRANE_DOWN, "handheld": CameraMove.HANDHELD,
    "hand held": CameraMove.HANDHELD,
}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", text.lower()).split())


def read_shot_list(path: Path | str) -> ScriptDraft:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ShotListError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ShotListError(f"{path}: row {line}: not UTF-8 text (byte {exc.start}); "
                            "save the sheet as CSV UTF-8") from None
    return draft_from_csv(text, path.name)


def _dialect(text: str) -> str:
    """Comma or semicolon: whichever splits the header line into more columns."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def draft_from_csv(text: str, source: str = "shots.csv") -> ScriptDraft:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ShotListError(f"{source}: the file is empty")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text)))
    header_index = next(i for i, row in enumerate(rows) if any(cell.strip() for cell in row))
    header = rows[header_index]
    columns: dict[str, int] = {}
    lookup = {_norm(name): key for key, names in COLUMNS.items() for name in names}
    for index, cell in enumerate(header):
        key = lookup.get(_norm(cell))
        if key is None:
            continue
        if key in columns:
            raise ShotListError(f"{source}: row {header_index + 1}, column {index + 1} ({cell.strip()!r}): "
                                f"a second {key} column (the first is column {columns[key] + 1})")
        columns[key] = index
    if "description" not in columns:
        known = ", ".join(sorted(COLUMNS))
        raise ShotListError(f"{source}: row {header_index + 1}: no description column "
                            f"(headers found: {', '.join(c.strip() for c in header if c.strip()) or 'none'}; "
                            f"expected some of: {known})")
    return _Reader(source, columns, header).read(rows[header_index + 1:], header_index + 2)


class _Reader:
    def __init__(self, source: str, columns: dict[str, int], header: list[str]):
        self.source = source
        self.columns = columns
        self.header = header
        self.draft = ScriptDraft(source=source)
        self.scenes: dict[str, SceneDraft] = {}
        self.names: dict[str, str] = {}  # key -> first spelling

    def error(self, row: int, key: str, message: str) -> ShotListError:
        index = self.columns[key]
        name = self.header[index].strip() or key
        return ShotListError(f"{self.source}: row {row}, column {name!r}: {message}")

    def cell(self, values: list[str], key: str) -> str:
        index = self.columns.get(key)
        if index is None or index >= len(values):
            return ""
        return values[index].strip()

    def read(self, rows: list[list[str]], first_row: int) -> ScriptDraft:
        shot: ShotDraft | None = None
        for offset, values in enumerate(rows):
            row = first_row + offset
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(self.header) and any(v.strip() for v in values[len(self.header):]):
                raise ShotListError(f"{self.source}: row {row}: {len(values)} cells but the header has "
                                    f"{len(self.header)} columns (an unquoted separator in a cell?)")
            description = self.cell(values, "description")
            number = self.cell(values, "shot")
            dialogue = self.cell(values, "dialogue")
            continues = (not description and shot is not None and dialogue
                         and (not number or number == shot.number))
            if continues:
                self.add_line(shot, values, row)
                continue
            if not description:
                raise self.error(row, "description", "empty (every shot needs a description)")
            scene = self.scene(self.cell(values, "scene"))
            for key in ("location", "time_of_day"):  # the first row of a scene that says it
                if self.cell(values, key) and not getattr(scene, key):
                    setattr(scene, key, " ".join(self.cell(values, key).split()))
            shot = ShotDraft(" ".join(description.split()), number=number, source_line=row)
            shot.size = self.size(values, row) or infer_size(description) or ShotSize.MS
            shot.camera_move = self.move(values, row) or infer_move(description) or CameraMove.STATIC
            self.duration(values, row, shot)
            transition = self.cell(values, "transition")
            shot.transition = transition_kind(transition) if transition else TransitionKind.CUT
            notes = self.cell(values, "notes")
            if notes:
                shot.notes.append(notes)
            for name in re.split(r"[,;/]", self.cell(values, "characters")):
                if name.strip():
                    key = self.character(name)
                    if key not in shot.characters:
                        shot.characters.append(key)
            if dialogue:
                self.add_line(shot, values, row)
            scene.shots.append(shot)
        self.draft.characters = [CharacterDraft(display_name(name), key) for key, name in self.names.items()]
        if not self.draft.shots():
            raise ShotListError(f"{self.source}: no shots (only a header row)")
        return self.draft

    def scene(self, name: str) -> SceneDraft:
        name = name or "Scene 1"
        scene = self.scenes.get(name)
        if scene is None:
            location, time_of_day = split_heading(name) if re.match(r"(?i)^(int|ext|est|i/e)", name) else ("", "")
            number = name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,15}", name) else ""
            display = f"Scene {name}" if number else name
            scene = SceneDraft(display, location, time_of_day, number)
            self.scenes[name] = scene
            self.draft.scenes.append(scene)
        return scene

    def character(self, name: str) -> str:
        key = character_key(name)
        self.names.setdefault(key, " ".join(name.split()))
        return key

    def add_line(self, shot: ShotDraft, values: list[str], row: int) -> None:
        text = " ".join(self.cell(values, "dialogue").split())
        speaker = self.cell(values, "speaker")
        if not speaker:
            match = re.match(r"^([A-Z][A-Za-z0-9 .'\-]{0,30}):\s+(.+)$", text)
            if match:
                speaker, text = match.group(1), match.group(2)
        key = self.character(speaker) if speaker else ""
        if key and key not in shot.characters:
            shot.characters.append(key)
        shot.lines.append(LineDraft(key, text, self.cell(values, "delivery").strip("()")))

    def size(self, values: list[str], row: int) -> ShotSize | None:
        value = self.cell(values, "size")
        if not value:
            return None
        size = _SIZES.get(_norm(value).replace("#", ""))
        if size is None:
            raise self.error(row, "size", f"unknown shot size {value!r} (use one of "
                             f"{', '.join(s.value for s in ShotSize)}, or words like 'close up', 'wide')")
        return size

    def move(self, values: list[str], row: int) -> CameraMove | None:
        value = self.cell(values, "move")
        if not value:
            return None
        move = _MOVES.get(_norm(value.replace("_", " ")).replace("-", " "))
        if move is None:
            raise self.error(row, "move", f"unknown camera move {value!r} (use one of "
                             f"{', '.join(m.value for m in CameraMove)})")
        return move

    def duration(self, values: list[str], row: int, shot: ShotDraft) -> None:
        value = self.cell(values, "duration").lower().replace(",", ".")
        if not value:
            return
        frames = re.fullmatch(r"(\d+)\s*f(?:rames?)?", value)
        if frames:
            if int(frames.group(1)) < 1:
                raise self.error(row, "duration", f"{value!r}: at least 1 frame")
            shot.duration_frames = int(frames.group(1))
            return
        try:
            if ":" in value:
                minutes, seconds = value.split(":")
                result = int(minutes) * 60 + float(seconds)
            else:
                result = float(value.removesuffix("s").removesuffix("sec").strip())
        except ValueError:
            raise self.error(row, "duration", f"not a duration: {value!r} (seconds like 3 or 2.5s, "
                             "frames like 72f, or mm:ss)") from None
        if not 0 < result <= 3600:  # also refuses nan
            raise self.error(row, "duration", f"{value!r} must be more than 0 s and at most an hour")
        shot.duration_s = result
