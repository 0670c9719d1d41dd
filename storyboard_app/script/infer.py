"""Shot size, camera move, characters and introductions read from action wording.

Screenwriters write camera directions in capitals ("CLOSE ON the key", "WIDE on the harbour",
"we PUSH IN"), so capitals count anywhere in the paragraph; lower-case wording counts only where
it cannot be a character's action: at the start of the paragraph ("Close on her hands") or after
"we"/"camera" ("we pull back"). "She pulls back her hand" is not a camera move.
"""

from __future__ import annotations

import re

from ..model import CameraMove, ShotSize

#: (pattern, size), first match wins: the more specific wording comes first
_SIZES: list[tuple[str, ShotSize]] = [
    (r"EXTREME CLOSE[- ]?UP|EXTREME CLOSE ON|\bECU\b|\bXCU\b", ShotSize.ECU),
    (r"MEDIUM CLOSE[- ]?UP|\bMCU\b", ShotSize.MCU),
    (r"CLOSE[- ]?UP|CLOSE ON|\bCU\b|\bCLOSER\b|\bTIGHT ON\b", ShotSize.CU),
    (r"\bINSERT\b", ShotSize.INSERT),
    (r"\bPOV\b|POINT OF VIEW", ShotSize.POV),
    (r"OVER THE SHOULDER|OVER-THE-SHOULDER|\bOTS\b", ShotSize.OTS),
    (r"EXTREME WIDE|ESTABLISHING|\bEWS\b|\bAERIAL\b", ShotSize.EWS),
    (r"\bWIDE\b|WIDE SHOT|LONG SHOT|\bWS\b|FULL SHOT", ShotSize.WS),
    (r"MEDIUM SHOT|\bMEDIUM\b|\bMS\b|\bTWO[- ]SHOT\b", ShotSize.MS),
]
_MOVES: list[tuple[str, CameraMove]] = [
    (r"PUSH(?:ES|ING)? IN|DOLL(?:Y|IES) IN|ZOOM(?:S)? IN|MOVE(?:S)? IN ON|CREEP(?:S)? IN", CameraMove.PUSH_IN),
    (r"PULL(?:S|ING)? (?:BACK|OUT)|DOLL(?:Y|IES) (?:BACK|OUT)|ZOOM(?:S)? OUT", CameraMove.PULL_OUT),
    (r"PAN(?:S)? LEFT", CameraMove.PAN_LEFT),
    (r"PAN(?:S)? (?:RIGHT|ACROSS|WITH)|\bPANS?\b", CameraMove.PAN_RIGHT),
    (r"TILT(?:S)? UP", CameraMove.TILT_UP),
    (r"TILT(?:S)? DOWN|\bTILTS?\b", CameraMove.TILT_DOWN),
    (r"TRACK(?:S|ING)? LEFT|TRUCK(?:S)? LEFT", CameraMove.TRUCK_LEFT),
    (r"TRACK(?:S|ING)? (?:RIGHT|WITH|ALONG)|TRUCK(?:S)? RIGHT|TRACKING|\bTRUCKS?\b", CameraMove.TRUCK_RIGHT),
    (r"CRANE(?:S)? UP|BOOM(?:S)? UP|RISES? ABOVE", CameraMove.CRANE_UP),
    (r"CRANE(?:S)? DOWN|BOOM(?:S)? DOWN", CameraMove.CRANE_DOWN),
    (r"HANDHELD|HAND-HELD", CameraMove.HANDHELD),
]
_LEAD_IN = r"(?:^|\b(?:we|camera|the camera)\s+)"


def _find(text: str, table: list[tuple[str, object]]) -> object | None:
    for pattern, value in table:  # capitals anywhere
        if re.search(pattern, text):
            return value
    lower = text.lower()
    for pattern, value in table:  # lower case only where it is a camera direction
        words = pattern.replace("\\b", "")
        if re.search(_LEAD_IN + "(?:" + words.lower() + ")", lower):
            return value
    return None


def infer_size(text: str) -> ShotSize | None:
    return _find(text, _SIZES)  # type: ignore[return-value]


def infer_move(text: str) -> CameraMove | None:
    return _find(text, _MOVES)  # type: ignore[return-value]


def mentions(text: str, names: list[str]) -> list[str]:
    """The ``names`` (upper-case keys) that ``text`` mentions, as whole words, in text order."""
    found: list[tuple[int, str]] = []
    for name in names:
        match = re.search(r"(?<![\w'])" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE)
        if match:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


_APPOSITIVE_START = re.compile(r"^(?:a|an)\b", re.IGNORECASE)


_NOT_VERBS = {"his", "hers", "its", "this", "us", "glasses", "jeans", "boots", "less", "yes", "as", "always",
              "sometimes", "perhaps", "dress", "overalls", "sixties", "fifties", "forties", "thirties",
              "twenties", "seventies", "eighties", "nineties", "teens", "gloves", "clothes"}


def _starts_with_verb(segment: str) -> bool:
    """"climbs the stairs", "is late": a present-tense verb, as action lines are written."""
    first = segment.split(" ", 1)[0].lower() if segment else ""
    if first in {"is", "has", "was", "does", "can", "will"}:
        return True
    return len(first) > 3 and first.endswith("s") and not first.endswith("ss") and first not in _NOT_VERBS


def introduction(text: str, name: str) -> str:
    """The description a script gives where it introduces ``name`` in capitals, or "".

    "MAREN (60s), weathered, in a navy peacoat, climbs the stairs." → "60s, weathered, in a navy
    peacoat": the age in brackets and the comma-enclosed phrases after the name (the last clause
    of the sentence is what the character does, not what they look like). "BRAM (30s) in oilskins
    hurries in." gives "30s" only: without commas the phrase cannot be told from the action.
    """
    match = re.search(r"(?<![\w'])" + re.escape(name) + r"(?![\w'])", text)  # capitals only
    if match is None:
        return ""
    rest = text[match.end():]
    surname = re.match(r"(?:\s+[A-Z][A-Z'\-]*[A-Z])+(?![\w'])", rest)  # "NORA DEVLIN (60s)"
    if surname:
        rest = rest[surname.end():]
    sentence = re.split(r"(?<=[.!?])\s", rest, maxsplit=1)[0]
    parts: list[str] = []
    age = re.match(r"\s*\(([^)]{1,30})\)", sentence)
    if age:
        parts.append(age.group(1).strip())
        sentence = sentence[age.end():]
    if sentence.lstrip().startswith(","):
        segments = sentence.lstrip()[1:].split(",")
        # every segment followed by a comma is an appositive, up to the first that starts with
        # a verb ("climbs the stairs, out of breath"): the rest is what the character does
        for segment in segments[:-1]:
            segment = segment.strip()
            if _starts_with_verb(segment):
                break
            if segment:
                parts.append(segment)
        last = segments[-1].strip().rstrip(".!?")
        if len(segments) == 1 and _APPOSITIVE_START.match(last):
            parts.append(last)  # "MAREN, a lighthouse keeper." (the whole sentence describes her)
    return ", ".join(parts)
