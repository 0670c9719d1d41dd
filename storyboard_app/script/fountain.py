"""A Fountain screenplay (https://fountain.io/syntax) as a flat list of plain elements.

Written for this app rather than borrowed: of the Python parsers on PyPI, ``fountain`` 0.1.3 no
longer imports on Python 3.11, ``jouvence`` 0.4.2 returned no scenes for a script using forced
headings, notes and dual dialogue, and ``screenplain`` 0.12 silently drops notes and reads
``~lyrics`` as action (checked 2026-11 against the same tricky input, see tests/script).

What this module does: text in, elements out (no model objects, no timing): a title page (the
key/value block at the top), scene headings (``INT.``/``EXT.``/``EST.``/``INT./EXT.``/``I/E``,
forced ``.``, scene numbers ``#12#``), action (forced ``!``), centred text ``>like this<``,
character cues (all caps, forced ``@``, extensions ``(V.O.)``, dual dialogue ``^``) with their
parentheticals and dialogue, transitions (``... TO:``, ``FADE OUT.``, forced ``>``), lyrics
``~``, notes ``[[...]]`` (kept and attached), boneyard ``/* */`` (dropped), sections ``#``,
synopses ``=`` and page breaks ``===``. Emphasis markup (``*``, ``**``, ``***``, ``_``) is removed
from the text and backslash escapes are honoured, because the text becomes prompts and speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: keys that mark the top of a file as a title page (any ``Key: value`` counts once one is seen)
TITLE_KEYS = {"title", "credit", "author", "authors", "source", "draft date", "date", "contact",
              "notes", "copyright", "revision", "episode", "format"}
SCENE_PREFIX = re.compile(r"^(?:INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)(?:\.|\s)", re.IGNORECASE)
#: "#12#", "#I-1.A#" (at most 16 characters, as the project format keeps them; a longer one
#: stays part of the heading's text)
SCENE_NUMBER = re.compile(r"\s*#([A-Za-z0-9][A-Za-z0-9.\-]{0,15})#\s*$")
#: transitions people write that do not end in "TO:"
TRANSITION_WORDS = {"FADE OUT.", "FADE IN:", "FADE TO BLACK.", "CUT TO BLACK.", "FADE OUT", "FADE IN",
                    "THE END.", "SMASH TO BLACK."}
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_SENTINEL = re.compile(r"\x00(\d+)\x00")
_ESCAPES = {"\\*": "\x01", "\\_": "\x02", "\\#": "#", "\\~": "~", "\\\\": "\\"}


@dataclass
class Element:
    """One piece of a screenplay, in reading order.

    ``kind`` is one of: ``heading``, ``action``, ``dialogue``, ``transition``, ``lyrics``,
    ``note``, ``section``, ``synopsis``, ``page_break``. ``line`` is the 1-based line in the file.
    """

    kind: str
    text: str = ""
    line: int = 0
    notes: list[str] = field(default_factory=list)  # [[notes]] written inside this element
    scene_number: str = ""  # heading: "12" from "#12#"
    centered: bool = False  # action: ">centred<"
    level: int = 0  # section: number of '#'
    # dialogue blocks
    character: str = ""  # the name without extensions: "MAREN"
    extensions: list[str] = field(default_factory=list)  # ["V.O.", "CONT'D"]
    dual: bool = False  # this block plays at the same time as the previous one (``^``)
    parts: list[DialoguePart] = field(default_factory=list)


@dataclass
class DialoguePart:
    """A line of speech, or the parenthetical that tells how to say what follows."""

    kind: str  # "line", "parenthetical" or "lyric"
    text: str


@dataclass
class Screenplay:
    title_page: dict[str, str] = field(default_factory=dict)  # lower-cased key -> value
    elements: list[Element] = field(default_factory=list)


def strip_emphasis(text: str) -> str:
    """``*italic*``, ``**bold**``, ``***both***`` and ``_underline_`` as plain text; ``\\*`` stays
    a literal asterisk."""
    for escape, mark in _ESCAPES.items():
        text = text.replace(escape, mark)
    for pattern in (r"\*\*\*(.+?)\*\*\*", r"\*\*(.+?)\*\*", r"\*(.+?)\*", r"_(.+?)_"):
        text = re.sub(pattern, r"\1", text)
    return text.replace("\x01", "*").replace("\x02", "_")


def parse(text: str) -> Screenplay:
    """Parse Fountain source into a title page and a list of elements (never raises on odd
    input: anything unrecognised is action, as the spec says)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = _BONEYARD.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    notes: list[str] = []

    def hide_note(match: re.Match[str]) -> str:
        notes.append(" ".join(match.group(1).split()))
        return f"\x00{len(notes) - 1}\x00"

    # a note may span lines: it becomes one marker (line numbers after it shift by its extra lines)
    lines = _NOTE.sub(hide_note, text).split("\n")
    screenplay = Screenplay()
    start = _title_page(lines, screenplay.title_page, notes)
    _body(lines, start, screenplay.elements, notes)
    return screenplay


def _title_page(lines: list[str], out: dict[str, str], notes: list[str]) -> int:
    """Read the ``Key: value`` block at the top; return the first body line's index."""
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    key_line = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,30}):(.*)$")
    block_end = next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))
    block = lines[first:block_end]
    if not block or not key_line.match(block[0]) or SCENE_PREFIX.match(block[0]):
        return first
    keys = [key_line.match(line) for line in block if not line.startswith((" ", "\t"))]
    if not all(keys):
        return first
    names = [m.group(1).strip().lower() for m in keys if m]
    if not (set(names) & TITLE_KEYS) and len(names) < 2:  # "FADE IN:" alone is not a title page
        return first
    key = ""
    for line in block:
        match = key_line.match(line) if not line.startswith(" ") else None
        if match:
            key = match.group(1).strip().lower()
            out[key] = match.group(2).strip()
        elif key:
            out[key] = (out[key] + "\n" + line.strip()).strip()
    for key, value in out.items():
        out[key] = _SENTINEL.sub(lambda m: notes[int(m.group(1))], strip_emphasis(value))
    return block_end


def _is_blank(lines: list[str], i: int) -> bool:
    """A blank line ends a paragraph; a line of exactly two spaces does not (the spec's way of
    keeping an empty line inside dialogue)."""
    return i < 0 or i >= len(lines) or (not lines[i].strip() and lines[i] != "  ")


def _character_cue(line: str) -> tuple[str, list[str], bool] | None:
    """(name, extensions, dual) when ``line`` can be a character cue."""
    text = line.strip()
    forced = text.startswith("@")
    if forced:
        text = text[1:].strip()
    dual = text.endswith("^")
    if dual:
        text = text[:-1].rstrip()
    name, _, rest = text.partition("(")
    name = name.strip()
    extensions = [ext.strip() for ext in re.findall(r"\(([^)]*)\)", "(" + rest if rest else "") if ext.strip()]
    if not name or _SENTINEL.search(name):
        return None
    if not forced:
        if not re.search(r"[A-Z]", name) or name != name.upper() or len(name) > 40:
            return None
        if name[-1] in ".!?:,;" or SCENE_PREFIX.match(name + " "):
            return None
    return name, extensions, dual


def _body(lines: list[str], start: int, out: list[Element], notes: list[str]) -> None:
    i = start
    n = len(lines)
    while i < n:
        raw = lines[i]
        text = raw.strip()
        if _is_blank(lines, i):
            i += 1
            continue
        line_no = i + 1
        prev_blank = i == start or _is_blank(lines, i - 1)
        next_blank = _is_blank(lines, i + 1)
        found = _SENTINEL.findall(text)
        bare = _SENTINEL.sub("", text).strip()

        if not bare and found:  # a paragraph that is only notes
            j = i
            while j < n and not _is_blank(lines, j) and not _SENTINEL.sub("", lines[j]).strip():
                for index in _SENTINEL.findall(lines[j]):
                    out.append(Element("note", notes[int(index)], j + 1))
                j += 1
            i = j
            continue
        if re.fullmatch(r"={3,}", bare):
            out.append(Element("page_break", "", line_no))
            i += 1
            continue
        if bare.startswith("#"):
            level = len(bare) - len(bare.lstrip("#"))
            out.append(Element("section", _clean(bare[level:], notes), line_no, _notes(text, notes), level=level))
            i += 1
            continue
        if bare.startswith("="):
            out.append(Element("synopsis", _clean(bare[1:], notes), line_no, _notes(text, notes)))
            i += 1
            continue
        forced_heading = bare.startswith(".") and len(bare) > 1 and bare[1].isalnum()
        if forced_heading or (prev_blank and SCENE_PREFIX.match(bare)):
            heading = bare[1:] if forced_heading else bare
            number = ""
            match = SCENE_NUMBER.search(heading)
            if match:
                number, heading = match.group(1), heading[: match.start()]
            out.append(Element("heading", _clean(heading, notes), line_no, _notes(text, notes),
                               scene_number=number))
            i += 1
            continue
        if bare.startswith(">") and bare.endswith("<"):  # centred text: one paragraph of them
            parts = []
            j = i
            while j < n and not _is_blank(lines, j) and lines[j].strip().startswith(">"):
                parts.append(_SENTINEL.sub("", lines[j].strip()).strip()[1:].rstrip("<").strip())
                j += 1
            out.append(Element("action", _clean("\n".join(parts), notes), line_no,
                               _notes("\n".join(lines[i:j]), notes), centered=True))
            i = j
            continue
        if bare.startswith(">"):
            out.append(Element("transition", _clean(bare[1:], notes), line_no, _notes(text, notes)))
            i += 1
            continue
        if prev_blank and next_blank and bare == bare.upper() and re.search(r"[A-Z]", bare) and (
                bare.endswith("TO:") or bare in TRANSITION_WORDS):
            out.append(Element("transition", _clean(bare, notes), line_no, _notes(text, notes)))
            i += 1
            continue
        if bare.startswith("~"):
            j, parts = i, []
            while j < n and lines[j].strip().startswith("~"):
                parts.append(lines[j].strip()[1:].strip())
                j += 1
            out.append(Element("lyrics", _clean("\n".join(parts), notes), line_no,
                               _notes("\n".join(lines[i:j]), notes)))
            i = j
            continue
        cue = None if bare.startswith("!") else _character_cue(bare)
        if cue is not None and prev_blank and not next_blank:
            name, extensions, dual = cue
            element = Element("dialogue", "", line_no, _notes(text, notes), character=_clean(name, notes),
                              extensions=extensions, dual=dual)
            j = i + 1
            while j < n and not _is_blank(lines, j):
                part = lines[j].strip()
                element.notes.extend(_notes(part, notes))
                part = _SENTINEL.sub("", part).strip()
                if part.startswith("(") and part.endswith(")"):
                    element.parts.append(DialoguePart("parenthetical", _clean(part[1:-1], notes)))
                elif part.startswith("~"):
                    element.parts.append(DialoguePart("lyric", _clean(part[1:], notes)))
                elif part:
                    last = element.parts[-1] if element.parts else None
                    if last is not None and last.kind == "line":
                        last.text = f"{last.text} {_clean(part, notes)}"
                    else:
                        element.parts.append(DialoguePart("line", _clean(part, notes)))
                j += 1
            out.append(element)
            i = j
            continue
        # action: the paragraph up to the next blank line (or a scene heading, which ends it)
        j, parts = i, []
        while j < n and not _is_blank(lines, j):
            line = lines[j].rstrip()
            if j > i and (SCENE_PREFIX.match(line.strip()) and _is_blank(lines, j - 1)):
                break
            stripped = line.strip()
            parts.append(stripped[1:] if stripped.startswith("!") else stripped)
            j += 1
        body = "\n".join(parts)
        cleaned = _clean(body, notes)
        if cleaned:
            out.append(Element("action", cleaned, line_no, _notes(body, notes)))
        else:
            for note in _notes(body, notes):
                out.append(Element("note", note, line_no))
        i = j


def _notes(text: str, notes: list[str]) -> list[str]:
    return [notes[int(index)] for index in _SENTINEL.findall(text)]


def _clean(text: str, notes: list[str]) -> str:
    """Plain text: notes removed, emphasis stripped, whitespace tidied (line breaks kept)."""
    text = strip_emphasis(_SENTINEL.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
