"""A ``ScriptDraft`` applied to a project as ONE undoable command, with a summary of what changed.

The same code serves a first import (into a new or empty project) and a re-import of a revised
script into a project the director has worked on:

* **scenes** match by the script's scene number, else by heading text (``difflib``); a matched
  scene keeps its id and takes the new heading, location and time of day;
* **shots** match inside their matched scene by their text (prompt and dialogue): identical
  shots in the same order first (``difflib`` over the scene's list of texts), then the most
  similar pairs (``difflib`` ratio >= ``MATCH_RATIO``) among the rest, then across the other
  scenes and the "Removed in revision" scene (a moved or restored shot) at a stricter ratio;
  fuzzy comparisons are bounded (``MAX_PAIRS``), so a 600-shot revision takes about a second.
  A matched shot keeps its id, number,
  takes, selected take, seed, duration, size, camera move, style and notes it already had:
  only what the script owns changes (prompt, dialogue, cast; the duration grows if the new
  dialogue needs more time, it never shrinks);
* shots the revision no longer has are **moved**, not deleted, into a "Removed in revision"
  scene at the end; scenes left without shots are dropped (undo brings them back);
* **characters** match speakers by name (case-insensitive); new ones get a fresh random seed,
  the description of their first introduction and the project's voice at a pitch of their own
  (``VOICE_PITCH_STEPS``); an existing character keeps its seed and its
  description (filled only when it had none);
* the title page fills the project's title and notes only where they are still empty/default.

All of it is ``SetField`` edits on the project (its characters, its sequences, title, notes)
inside one ``Compound``: exact to undo by construction, validated as one edit by ``History``.
"""

from __future__ import annotations

import copy
import difflib
import secrets
from dataclasses import dataclass, field

from ..model import (
    Character,
    DialogueLine,
    Project,
    Sequence,
    Shot,
    Transition,
    TransitionKind,
    new_id,
)
from ..model.commands import Command, Compound, Ref, SetField
from .draft import ScriptDraft, ShotDraft, character_key
from .timing import estimated_line_seconds, shot_frames

MATCH_RATIO = 0.6  # shots in the same scene
MOVED_MATCH_RATIO = 0.85  # a shot found in another scene
SCENE_MATCH_RATIO = 0.6
REMOVED_SCENE_NAME = "Removed in revision"
#: pitch (semitones) of the voices of new characters, in order of creation: with one installed
#: voice, the characters of an imported script still sound like different people
VOICE_PITCH_STEPS = (0.0, -3.0, 3.0, -5.0, 5.0, -1.5, 1.5, -6.0)
#: a dissolve or fade made from a script transition: half a second, never longer than the shot
TRANSITION_SECONDS = 0.5


@dataclass
class Change:
    """One row of the preview: what happens to one shot or character."""

    action: str  # "add", "update", "keep", "remove", "add character", "update character"
    scene: str
    number: str
    text: str


@dataclass
class ImportPlan:
    """What importing a draft would do: the command to apply and the summary to show first."""

    command: Command
    scenes_added: int = 0
    scenes_matched: int = 0
    scenes_dropped: int = 0
    shots_added: int = 0
    shots_updated: int = 0
    shots_kept: int = 0
    shots_removed: int = 0
    characters_added: int = 0
    lines: int = 0
    changes: list[Change] = field(default_factory=list)
    #: the project after the import (a preview copy; applying the command makes the real one)
    preview: Project | None = None
    #: shots whose duration this import set from the timing rule (new shots, changed dialogue):
    #: the ones the animatic fits to their voiced lines
    timed_shot_ids: set[str] = field(default_factory=set)
    added_shot_ids: set[str] = field(default_factory=set)

    @property
    def scenes(self) -> int:
        return self.scenes_added + self.scenes_matched

    @property
    def shots(self) -> int:
        return self.shots_added + self.shots_updated + self.shots_kept

    def summary(self) -> str:
        parts = [f"{self.scenes} scene{'s' * (self.scenes != 1)} ({self.scenes_added} new)",
                 f"{self.shots} shot{'s' * (self.shots != 1)} ({self.shots_added} new, "
                 f"{self.shots_updated} changed, {self.shots_kept} unchanged)",
                 f"{self.lines} dialogue line{'s' * (self.lines != 1)}",
                 f"{self.characters_added} new character{'s' * (self.characters_added != 1)}"]
        if self.shots_removed:
            parts.append(f"{self.shots_removed} shot{'s' * (self.shots_removed != 1)} moved to "
                         f"\"{REMOVED_SCENE_NAME}\"")
        return ", ".join(parts)


def shot_text(prompt: str, lines: list[tuple[str, str]]) -> str:
    """What two versions of a shot are compared by: its action and its dialogue."""
    return " ".join([prompt.lower(), *(f"{speaker.lower()}: {text.lower()}" for speaker, text in lines)])


def _similarity(a: str, b: str) -> float:  # scene headings: few, short
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def plan_import(project: Project, draft: ScriptDraft, label: str | None = None) -> ImportPlan:
    """Work out the import of ``draft`` into ``project`` (changes nothing)."""
    work = copy.deepcopy(project)
    fps = work.fps
    changes: list[Change] = []
    plan_counts = dict(scenes_added=0, scenes_matched=0, scenes_dropped=0, shots_added=0, shots_updated=0,
                       shots_kept=0, shots_removed=0, characters_added=0, lines=0)

    # --- characters
    by_key = {character_key(ch.name): ch for ch in work.characters}
    characters = list(work.characters)
    for cd in draft.characters:
        existing = by_key.get(cd.key)
        if existing is None:
            voice = copy.deepcopy(work.narrator_voice)
            # one bundled voice serves everyone: a pitch step per character tells them apart
            voice.pitch_semitones = VOICE_PITCH_STEPS[len(characters) % len(VOICE_PITCH_STEPS)]
            ch = Character(new_id("char"), cd.name, cd.description, secrets.randbelow(2**32), voice=voice)
            characters.append(ch)
            by_key[cd.key] = ch
            plan_counts["characters_added"] += 1
            changes.append(Change("add character", "", "", f"{cd.name}: {cd.description}".rstrip(": ")))
        elif not existing.description and cd.description:
            existing.description = cd.description
            changes.append(Change("update character", "", "", f"{existing.name}: {cd.description}"))
    ids = {key: ch.id for key, ch in by_key.items()}
    rates = {ch.id: ch.voice.rate for ch in characters}

    # --- scenes
    old_scenes = [s for s in work.sequences if s.name != REMOVED_SCENE_NAME]
    removed_scene = next((s for s in work.sequences if s.name == REMOVED_SCENE_NAME), None)
    scene_match = _match_scenes(old_scenes, draft)
    old_shots = {shot.id: (seq, shot) for seq in old_scenes for shot in seq.shots}
    shot_texts = {sid: shot_text(shot.prompt, [(_speaker_name(work, ln.speaker), ln.text) for ln in shot.dialogue])
                  for sid, (_, shot) in old_shots.items()}
    draft_texts = [[shot_text(sd.prompt, [(ld.speaker, ld.text) for ld in sd.lines]) for sd in scene.shots]
                   for scene in draft.scenes]
    used: set[str] = set()
    timed: set[str] = set()
    added: set[str] = set()
    matches: dict[tuple[int, int], str] = {}
    # same scene first: shots aligned in order (difflib over the lists of texts), fuzzy inside
    # the stretches that differ
    for si in range(len(draft.scenes)):
        seq = scene_match.get(si)
        if seq is None:
            continue
        old_ids = [shot.id for shot in seq.shots]
        for hi, sid in _align([shot_texts[sid] for sid in old_ids], draft_texts[si], MATCH_RATIO):
            matches[(si, hi)] = old_ids[sid]
            used.add(old_ids[sid])
    # then shots that moved between scenes, or come back from "Removed in revision"
    binned = {shot.id: (removed_scene, shot) for shot in (removed_scene.shots if removed_scene else [])}
    for sid, (_, shot) in binned.items():
        shot_texts[sid] = shot_text(shot.prompt, [(_speaker_name(work, ln.speaker), ln.text) for ln in shot.dialogue])
    leftovers = [sid for sid in [*old_shots, *binned] if sid not in used]
    open_slots = [(si, hi) for si, scene in enumerate(draft.scenes) for hi in range(len(scene.shots))
                  if (si, hi) not in matches]
    if leftovers and open_slots:
        for slot, index in _best_pairs([draft_texts[si][hi] for si, hi in open_slots],
                                       [shot_texts[sid] for sid in leftovers], MOVED_MATCH_RATIO):
            matches[open_slots[slot]] = leftovers[index]
            used.add(leftovers[index])

    numbers = {shot.number for _, shot in [*old_shots.values(), *binned.values()]}
    numbering = _Numbering(numbers, fresh=not old_shots)
    new_sequences: list[Sequence] = []
    for si, scene in enumerate(draft.scenes):
        seq = scene_match.get(si)
        if seq is not None:
            target = Sequence(seq.id, scene.name, [], scene.location, scene.time_of_day, scene.scene_number)
            plan_counts["scenes_matched"] += 1
        else:
            target = Sequence(new_id("seq"), scene.name, [], scene.location, scene.time_of_day, scene.scene_number)
            plan_counts["scenes_added"] += 1
        previous_number = ""
        for hi, sd in enumerate(scene.shots):
            lines = [_line(ld, ids) for ld in sd.lines]
            plan_counts["lines"] += len(lines)
            seconds = [estimated_line_seconds(ln.text, rates.get(ln.speaker, work.narrator_voice.rate))
                       for ln in lines]
            sid = matches.get((si, hi))
            if sid is None:
                shot = _new_shot(sd, lines, ids, fps, work, seconds)
                shot.number = sd.number or numbering.after(previous_number)
                if sd.duration_s is None and sd.duration_frames is None:
                    timed.add(shot.id)
                plan_counts["shots_added"] += 1
                added.add(shot.id)
                changes.append(Change("add", scene.name, shot.number, _short(sd)))
            else:
                shot = (old_shots.get(sid) or binned[sid])[1]
                before = [(ln.speaker, ln.text) for ln in shot.dialogue]
                changed = _update_shot(shot, sd, lines, ids, fps, work, seconds)
                if before != [(ln.speaker, ln.text) for ln in shot.dialogue] and sd.duration_s is None:
                    timed.add(shot.id)
                plan_counts["shots_updated" if changed else "shots_kept"] += 1
                changes.append(Change("update" if changed else "keep", scene.name, shot.number, _short(sd)))
            previous_number = shot.number
            target.shots.append(shot)
        new_sequences.append(target)

    removed = [shot for sid, (_, shot) in old_shots.items() if sid not in used]
    matched_ids = {seq.id for seq in scene_match.values()}
    plan_counts["scenes_dropped"] = sum(1 for s in old_scenes if s.id not in matched_ids and s.shots)
    if removed or (removed_scene is not None and any(s.id not in used for s in removed_scene.shots)):
        bin_scene = removed_scene or Sequence(new_id("seq"), REMOVED_SCENE_NAME)
        bin_scene.shots = [shot for shot in bin_scene.shots if shot.id not in used]
        for shot in removed:
            seq = old_shots[shot.id][0]
            bin_scene.shots.append(shot)
            plan_counts["shots_removed"] += 1
            changes.append(Change("remove", seq.name, shot.number, shot.prompt[:80]))
        new_sequences.append(bin_scene)

    parts: list[Command] = []
    if characters != project.characters:
        parts.append(SetField(Ref("project"), "characters", characters))
    if draft.title and project.title in ("", "Untitled"):
        parts.append(SetField(Ref("project"), "title", draft.title))
    if draft.notes and not project.notes:
        parts.append(SetField(Ref("project"), "notes", draft.notes))
    parts.append(SetField(Ref("project"), "sequences", new_sequences))
    name = draft.source or "script"
    command = Compound(parts, label or f"Import {name}")
    preview = copy.deepcopy(project)
    command.apply(preview)
    return ImportPlan(command, changes=changes, preview=preview, timed_shot_ids=timed, added_shot_ids=added, **plan_counts)


#: above this many candidate pairs, fuzzy matching compares only shots near the same position
#: (a rewritten 600-shot scene would otherwise cost minutes of difflib)
MAX_PAIRS = 20_000
WINDOW = 12


def _align(old: list[str], new: list[str], threshold: float) -> list[tuple[int, int]]:
    """(new index, old index) pairs: identical shots in the same order first, then the most
    similar pairs inside each stretch where the two versions differ."""
    pairs: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend((j1 + k, i1 + k) for k in range(i2 - i1))
        elif tag == "replace":
            pairs.extend((j1 + b, i1 + a) for b, a in _best_pairs(new[j1:j2], old[i1:i2], threshold))
    # a shot moved within the scene lands in a "delete" and an "insert" stretch: pair those too
    taken_new = {n for n, _ in pairs}
    taken_old = {o for _, o in pairs}
    rest_new = [j for j in range(len(new)) if j not in taken_new]
    rest_old = [i for i in range(len(old)) if i not in taken_old]
    if rest_new and rest_old:
        found = _best_pairs([new[j] for j in rest_new], [old[i] for i in rest_old], threshold)
        pairs.extend((rest_new[b], rest_old[a]) for b, a in found)
    return pairs


def _best_pairs(new: list[str], old: list[str], threshold: float) -> list[tuple[int, int]]:
    """(new index, old index) pairs at or above ``threshold``, best first, each used once.

    Exact equals are paired without difflib; cheap upper bounds (``real_quick_ratio``,
    ``quick_ratio``) skip most pairs; with more than ``MAX_PAIRS`` candidates only shots within
    ``WINDOW`` places of each other (relative to the lists' lengths) are compared.
    """
    result: list[tuple[int, int]] = []
    free_old = set(range(len(old)))
    by_text: dict[str, list[int]] = {}
    for index, text in enumerate(old):
        by_text.setdefault(text, []).append(index)
    open_new = []
    for index, text in enumerate(new):
        same = by_text.get(text)
        if same:
            a = same.pop(0)
            free_old.discard(a)
            result.append((index, a))
        else:
            open_new.append(index)
    if not open_new or not free_old:
        return result
    windowed = len(open_new) * len(free_old) > MAX_PAIRS
    scale = len(old) / max(len(new), 1)
    scored = []
    for b in open_new:
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(new[b])
        for a in free_old:
            if windowed and abs(a - b * scale) > WINDOW:
                continue
            matcher.set_seq1(old[a])
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                scored.append((ratio, -b, -a))
    scored.sort(reverse=True)
    seen_new: set[int] = set()
    for _ratio, nb, na in scored:
        b, a = -nb, -na
        if b not in seen_new and a in free_old:
            seen_new.add(b)
            free_old.discard(a)
            result.append((b, a))
    return result


def _speaker_name(project: Project, character_id: str) -> str:
    if not character_id:
        return ""
    try:
        return character_key(project.character(character_id).name)
    except KeyError:
        return ""


def _short(sd: ShotDraft) -> str:
    text = sd.prompt
    if sd.lines:
        text += f"  [{len(sd.lines)} line{'s' * (len(sd.lines) != 1)}]"
    return text if len(text) <= 100 else text[:99] + "…"


def _match_scenes(old: list[Sequence], draft: ScriptDraft) -> dict[int, Sequence]:
    """Draft scene index → existing scene: scene numbers first, then heading text."""
    result: dict[int, Sequence] = {}
    taken: set[str] = set()
    for si, scene in enumerate(draft.scenes):
        if scene.scene_number:
            seq = next((s for s in old if s.scene_number == scene.scene_number and s.id not in taken), None)
            if seq is not None:
                result[si] = seq
                taken.add(seq.id)
    pairs = sorted(((_similarity(scene.name.upper(), seq.name.upper()), si, seq.id)
                    for si, scene in enumerate(draft.scenes) if si not in result
                    for seq in old if seq.id not in taken and seq.shots), reverse=True)
    by_id = {seq.id: seq for seq in old}
    for ratio, si, seq_id in pairs:
        if ratio < SCENE_MATCH_RATIO:
            break
        if si not in result and seq_id not in taken:
            result[si] = by_id[seq_id]
            taken.add(seq_id)
    return result


def _line(ld, ids: dict[str, str]) -> DialogueLine:  # noqa: ANN001 - LineDraft
    return DialogueLine(new_id("line"), ids.get(ld.speaker, "") if ld.speaker else "", ld.text, None, ld.delivery)


def _transition(kind: TransitionKind, duration: int, fps: int) -> Transition:
    if kind == TransitionKind.CUT:
        return Transition()
    return Transition(kind, max(1, min(round(TRANSITION_SECONDS * fps), duration)))


def _duration(sd: ShotDraft, fps: int, project: Project, seconds: list[float]) -> int:
    if sd.duration_frames is not None:
        return sd.duration_frames
    if sd.duration_s is not None:
        return max(1, round(sd.duration_s * fps))
    render = project.render
    return shot_frames(sd.prompt, seconds, fps, render.dialogue_lead_frames, render.dialogue_gap_frames)


def _new_shot(sd: ShotDraft, lines: list[DialogueLine], ids: dict[str, str], fps: int, project: Project,
              seconds: list[float]) -> Shot:
    duration = _duration(sd, fps, project, seconds)
    cast = [ids[name] for name in sd.characters if name in ids]
    return Shot(new_id("shot"), prompt=sd.prompt, duration=duration, size=sd.size, camera_move=sd.camera_move,
                characters=cast, dialogue=lines, transition_in=_transition(sd.transition, duration, fps),
                notes="\n".join(sd.notes))


def _update_shot(shot: Shot, sd: ShotDraft, lines: list[DialogueLine], ids: dict[str, str], fps: int,
                 project: Project, seconds: list[float]) -> bool:
    """Bring a matched shot's script-owned fields up to date; True if anything changed."""
    changed = False
    if shot.prompt != sd.prompt:
        shot.prompt = sd.prompt
        changed = True
    old_lines = [(ln.speaker, ln.text, ln.delivery) for ln in shot.dialogue]
    new_lines = [(ln.speaker, ln.text, ln.delivery) for ln in lines]
    if old_lines != new_lines:
        reuse = {(ln.speaker, ln.text): ln for ln in shot.dialogue}
        merged = []
        for ln in lines:
            old = reuse.pop((ln.speaker, ln.text), None)
            if old is not None:  # same words: keep its id (voice cache) and any recording
                ln = DialogueLine(old.id, ln.speaker, ln.text, old.audio, ln.delivery)
            merged.append(ln)
        shot.dialogue = merged
        needed = _duration(sd, fps, project, seconds)
        if needed > shot.duration:
            shot.duration = needed
        changed = True
    cast = [ids[name] for name in sd.characters if name in ids]
    extra = [cid for cid in shot.characters if cid not in cast]  # cast the director added stays
    if cast + extra != shot.characters:
        shot.characters = cast + extra
        changed = True
    for note in sd.notes:
        if note not in shot.notes:
            shot.notes = f"{shot.notes}\n{note}".strip()
            changed = True
    if shot.transition_in.kind == TransitionKind.CUT and sd.transition != TransitionKind.CUT:
        shot.transition_in = _transition(sd.transition, shot.duration, fps)
        changed = True
    return changed


class _Numbering:
    """Shot numbers for new shots: 1, 2, 3 in a fresh project; "4A", "4B" after shot 4 in a
    project that has numbers already, so the director's numbers never move."""

    def __init__(self, taken: set[str], fresh: bool):
        self.taken = set(taken)
        self.fresh = fresh
        self.counter = 0

    def after(self, previous: str) -> str:
        if self.fresh or not previous:
            while True:
                self.counter += 1
                candidate = str(self.counter)
                if candidate not in self.taken:
                    self.taken.add(candidate)
                    return candidate
        base = previous.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or previous
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            candidate = base + letter
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        index = 2
        while f"{base}-{index}" in self.taken:
            index += 1
        self.taken.add(f"{base}-{index}")
        return f"{base}-{index}"
