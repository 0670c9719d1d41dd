"""A parsed Fountain screenplay as a ``ScriptDraft``: scenes, one shot per action paragraph,
dialogue on the shot it follows, characters from the speakers.

The mapping, element by element:

* scene heading → a scene with location, time of day ("INT. LIGHTHOUSE - NIGHT" → "LIGHTHOUSE",
  "NIGHT") and the script's scene number;
* action paragraph → a shot whose prompt is the action text; size and move from its wording
  (``infer``; a scene's first shot also from the heading, ".SNIPER SCOPE POV"), else a wide
  shot to open a scene and a medium shot after that; centred text is a
  shot too (a title card), noted as such;
* dialogue → lines of the shot before it (a scene that opens on dialogue gets a shot of the
  speaker); extensions ``(V.O.)``/``(CONT'D)`` leave the name and, with parentheticals, become the
  line's delivery; dual dialogue ``^`` and sung lines ``~`` are noted in the delivery;
* transition → the next shot's transition in (dissolve, fade from black, or cut);
* notes → shot notes; sections and synopses → notes of the next shot; page breaks, boneyard →
  nothing; the title page → the project's title and notes.
"""

from __future__ import annotations

import re

from ..model import CameraMove, ShotSize, TransitionKind
from .draft import (
    CharacterDraft,
    LineDraft,
    SceneDraft,
    ScriptDraft,
    ShotDraft,
    character_key,
    display_name,
)
from .fountain import Element, Screenplay, parse
from .infer import infer_move, infer_size, introduction, mentions

_TIME_SPLIT = re.compile(r"\s+[-–—]+\s+")
_PREFIX = re.compile(r"^(?:INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)\.?\s*", re.IGNORECASE)


def transition_kind(text: str) -> TransitionKind:
    """"DISSOLVE TO:" → dissolve, "FADE IN:"/"FADE OUT." → fade from black, anything else a cut."""
    upper = text.upper()
    if "DISSOLVE" in upper or "WIPE" in upper or "MIX" in upper:
        return TransitionKind.DISSOLVE
    if "FADE" in upper:
        return TransitionKind.FADE_FROM_BLACK
    return TransitionKind.CUT


def split_heading(heading: str) -> tuple[str, str]:
    """("LIGHTHOUSE - LANTERN ROOM", "NIGHT") from "INT. LIGHTHOUSE - LANTERN ROOM - NIGHT"."""
    body = _PREFIX.sub("", heading).strip()
    parts = _TIME_SPLIT.split(body)
    if len(parts) == 1:
        return body, ""
    return " - ".join(parts[:-1]).strip(), parts[-1].strip()


def draft_from_fountain(text: str, source: str = "") -> ScriptDraft:
    return draft_from_screenplay(parse(text), source)


def draft_from_screenplay(screenplay: Screenplay, source: str = "") -> ScriptDraft:
    draft = ScriptDraft(source=source)
    _title_page(screenplay.title_page, draft)
    elements = screenplay.elements
    keys: list[str] = []
    for element in elements:
        if element.kind == "dialogue":
            key = character_key(element.character)
            if key not in keys:
                keys.append(key)
    _Builder(draft, keys).run(elements)
    actions = [e.text for e in elements if e.kind == "action"]
    for key in keys:
        description = next((d for text in actions if (d := introduction(text, key))), "")
        draft.characters.append(CharacterDraft(display_name(key), key, description))
    return draft


def _title_page(page: dict[str, str], draft: ScriptDraft) -> None:
    title = page.get("title", "")
    draft.title = " ".join(title.split("\n")[0].split()) if title else ""
    notes = [page[key] for key in ("notes", "logline", "synopsis") if page.get(key)]
    for key, value in page.items():
        if key not in ("title", "notes", "logline", "synopsis") and value:
            notes.append(f"{key.title()}: {' '.join(value.split())}")
    draft.notes = "\n".join(notes)


class _Builder:
    """Walks the elements once, keeping the scene and shot that the next element belongs to."""

    def __init__(self, draft: ScriptDraft, keys: list[str]):
        self.draft = draft
        self.keys = keys
        self.scene: SceneDraft | None = None
        self.shot: ShotDraft | None = None
        self.transition: TransitionKind | None = None
        self.transition_text = ""
        self.pending_notes: list[str] = []

    def run(self, elements: list[Element]) -> None:
        for element in elements:
            getattr(self, f"_on_{element.kind}")(element)
        if self.transition_text and self.shot is not None:  # "FADE OUT." at the very end
            self.shot.notes.append(f"Transition out: {self.transition_text}")
        if self.pending_notes and self.shot is not None:
            self.shot.notes.extend(self.pending_notes)

    # --- scenes and shots
    def _on_heading(self, element: Element) -> None:
        location, time_of_day = split_heading(element.text)
        self.scene = SceneDraft(element.text, location, time_of_day, element.scene_number)
        self.draft.scenes.append(self.scene)
        self.shot = None
        self.pending_notes.extend(element.notes)

    def _ensure_scene(self) -> SceneDraft:
        if self.scene is None:  # a script that starts without a heading
            self.scene = SceneDraft("Opening")
            self.draft.scenes.append(self.scene)
        return self.scene

    def _new_shot(self, prompt: str, line: int, has_dialogue: bool = False) -> ShotDraft:
        scene = self._ensure_scene()
        flat = " ".join(prompt.split())
        size = infer_size(prompt)
        if size is None and not scene.shots:  # ".SNIPER SCOPE POV": the heading frames its first shot
            size = infer_size(scene.name)
        if size is None:
            size = ShotSize.WS if not scene.shots and not has_dialogue else ShotSize.MS
        move = infer_move(prompt) or CameraMove.STATIC
        shot = ShotDraft(flat, size, move, source_line=line)
        shot.characters = mentions(flat, self.keys)
        if self.transition is not None:
            shot.transition = self.transition
            self.transition, self.transition_text = None, ""
        shot.notes.extend(self.pending_notes)
        self.pending_notes = []
        scene.shots.append(shot)
        self.shot = shot
        return shot

    def _on_action(self, element: Element) -> None:
        shot = self._new_shot(element.text, element.line)
        if element.centered:
            shot.notes.append("Centred text (title card)")
            if shot.size == ShotSize.WS:
                shot.size = ShotSize.INSERT
        shot.notes.extend(element.notes)

    def _on_dialogue(self, element: Element) -> None:
        key = character_key(element.character)
        shot = self.shot
        if shot is None:  # a scene that opens on a line: a shot of the speaker
            where = self.scene.location if self.scene and self.scene.location else ""
            shot = self._new_shot(f"{display_name(key)}{', ' + where.lower() if where else ''}",
                                  element.line, has_dialogue=True)
        if key not in shot.characters:
            shot.characters.append(key)
        shot.notes.extend(element.notes)
        base = list(element.extensions)
        if element.dual:
            base.append("dual dialogue, at the same time as the line before")
        pending: list[str] = []
        for part in element.parts:
            if part.kind == "parenthetical":
                pending.append(part.text)
                continue
            notes = base + pending + (["sung"] if part.kind == "lyric" else [])
            shot.lines.append(LineDraft(key, part.text, "; ".join(notes)))
            pending = []
        if pending:  # a parenthetical after the last line still says how it ends
            if shot.lines and shot.lines[-1].speaker == key:
                last = shot.lines[-1]
                last.delivery = "; ".join(filter(None, [last.delivery, *pending]))
            else:
                shot.notes.append(f"{display_name(key)}: ({'; '.join(pending)})")

    def _on_lyrics(self, element: Element) -> None:
        shot = self.shot or self._new_shot(element.text, element.line)
        for text in element.text.split("\n"):
            shot.lines.append(LineDraft("", text, "sung"))
        shot.notes.extend(element.notes)

    def _on_transition(self, element: Element) -> None:
        self.transition = transition_kind(element.text)
        self.transition_text = element.text

    def _on_note(self, element: Element) -> None:
        if self.shot is not None:
            self.shot.notes.append(element.text)
        else:
            self.pending_notes.append(element.text)

    def _on_section(self, element: Element) -> None:
        self.pending_notes.append(f"Section: {element.text}")

    def _on_synopsis(self, element: Element) -> None:
        self.pending_notes.append(f"Synopsis: {element.text}")

    def _on_page_break(self, element: Element) -> None:
        """Page breaks shape the printed page only."""
