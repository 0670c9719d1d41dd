"""A full short screenplay (tests/script/data/the_keeper.fountain) into scenes, shots, lines and
characters: the mapping of each feature, the timing rule and the one-step undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.model import CameraMove, Document, Project, ShotSize, TransitionKind
from storyboard_app.model.validation import edit_problems
from storyboard_app.script import load_script, plan_import
from storyboard_app.script.build import draft_from_fountain, split_heading, transition_kind
from storyboard_app.script.infer import infer_move, infer_size, introduction
from storyboard_app.script.timing import ACTION_SECONDS_PER_WORD, MIN_SHOT_SECONDS, shot_frames

KEEPER = Path(__file__).parent / "data" / "the_keeper.fountain"


@pytest.fixture(scope="module")
def imported() -> Project:
    project = Project()
    plan = plan_import(project, load_script(KEEPER))
    plan.command.apply(project)
    assert edit_problems(project) == []
    return project


def shot_with(project: Project, words: str):  # noqa: ANN201
    return next(s for s in project.all_shots() if words in s.prompt)


def test_title_page_fills_title_and_notes(imported):
    assert imported.title == "THE KEEPER"
    assert imported.notes.startswith("A lighthouse keeper's last night")
    assert "Author: Ines Calder" in imported.notes


def test_scenes_with_location_time_and_number(imported):
    scenes = [(s.name, s.location, s.time_of_day, s.scene_number) for s in imported.sequences]
    assert scenes == [
        ("EXT. NORTH POINT LIGHTHOUSE - DUSK", "NORTH POINT LIGHTHOUSE", "DUSK", "1"),
        ("INT. LIGHTHOUSE - LANTERN ROOM - NIGHT", "LIGHTHOUSE - LANTERN ROOM", "NIGHT", "2"),
        ("EXT. GALLERY - LATER", "GALLERY", "LATER", "3"),
        ("BELOW THE WATERLINE", "BELOW THE WATERLINE", "", ""),
        ("INT. LIGHTHOUSE - STAIRWELL - CONTINUOUS", "LIGHTHOUSE - STAIRWELL", "CONTINUOUS", "3A"),
    ]


def test_one_shot_per_action_paragraph_numbered_in_order(imported):
    shots = imported.all_shots()
    assert len(shots) == 10
    assert [s.number for s in shots] == [str(n) for n in range(1, 11)]
    assert shots[0].prompt.startswith("WIDE on the headland.")
    assert "Gulls" not in " ".join(s.prompt for s in shots)  # the boneyard is dropped


def test_dialogue_follows_its_shot_with_speaker_and_delivery(imported):
    maren, bram = (c.id for c in imported.characters)
    shot = shot_with(imported, "clatters up the last stairs")
    assert [(ln.speaker, ln.text, ln.delivery) for ln in shot.dialogue] == [
        (bram, "Mrs. Holt? They said you'd be gone by now.", ""),
        (maren, "They say a lot of things.", "not turning"),
        (bram, "The automatic unit goes live at midnight.", ""),
        (maren, "Then we have three hours.", "CONT'D"),
        (bram, "Three hours.", "dual dialogue, at the same time as the line before"),
    ]
    first = shot_with(imported, "climbs the cliff path").dialogue[0]
    assert (first.speaker, first.delivery) == (maren, "V.O.; low, to herself")


def test_characters_from_speakers_with_descriptions_and_fresh_seeds(imported):
    assert [(c.name, c.description) for c in imported.characters] == [
        ("Maren", "60s, weathered, in a navy peacoat"),
        ("Bram", "30s, an engineer in an orange hi-vis jacket"),
    ]
    seeds = {c.seed for c in imported.characters}
    assert len(seeds) == 2
    again = Project()
    plan_import(again, load_script(KEEPER)).command.apply(again)
    assert {c.seed for c in again.characters} != seeds  # fresh, not derived from the name


def test_new_characters_sound_different(imported):
    assert [c.voice.pitch_semitones for c in imported.characters] == [0.0, -3.0]
    assert all(c.voice.voice == imported.narrator_voice.voice for c in imported.characters)


def test_cast_from_speakers_and_names_in_the_action(imported):
    maren, bram = (c.id for c in imported.characters)
    assert shot_with(imported, "Maren and Bram lean").characters == [maren, bram]
    assert shot_with(imported, "CLOSE ON Maren").characters == [maren]


def test_transitions_become_the_next_shots_transition_in(imported):
    shots = imported.all_shots()
    assert shots[0].transition_in.kind == TransitionKind.FADE_FROM_BLACK  # FADE IN:
    dissolve = shot_with(imported, "Maren and Bram lean").transition_in
    assert (dissolve.kind, dissolve.frames) == (TransitionKind.DISSOLVE, 12)
    assert shot_with(imported, "follows Maren down").transition_in.kind == TransitionKind.CUT  # CUT TO:
    assert "Transition out: FADE OUT." in shots[-1].notes


def test_notes_sections_synopses_centred_text_and_lyrics(imported):
    shots = imported.all_shots()
    assert "Section: ACT ONE" in shots[0].notes and "Synopsis: Maren's last watch begins." in shots[0].notes
    assert shot_with(imported, "climbs the cliff path").notes == "Location scout: the path at Portloe works for this."
    card = shot_with(imported, "THE LAST NIGHT")
    assert "Centred text (title card)" in card.notes
    sung = shot_with(imported, "POV from the gallery").dialogue
    assert [(ln.speaker, ln.text, ln.delivery) for ln in sung] == [
        ("", "Keep the light, keep the light,", "sung"), ("", "and the light will keep you.", "sung")]


def test_emphasis_stripped_from_prompts(imported):
    assert "worn smooth by her grip" in shot_with(imported, "CLOSE ON").prompt


def test_size_and_move_from_the_wording_else_defaults(imported):
    assert shot_with(imported, "WIDE on the headland").size == ShotSize.WS
    assert shot_with(imported, "CLOSE ON").size == ShotSize.CU
    assert shot_with(imported, "We PUSH IN").camera_move == CameraMove.PUSH_IN
    assert shot_with(imported, "POV from the gallery").size == ShotSize.POV
    opener = shot_with(imported, "follows Maren down")  # first shot of its scene: wide
    assert (opener.size, opener.camera_move) == (ShotSize.WS, CameraMove.STATIC)
    assert shot_with(imported, "clatters up").size == ShotSize.MS  # later shots: medium


@pytest.mark.parametrize(("text", "size", "move"), [
    ("EXTREME CLOSE-UP on the key.", ShotSize.ECU, None),
    ("Close on her hands.", ShotSize.CU, None),
    ("Her eyes go wide.", None, None),  # lower case mid-sentence is not a direction
    ("We pull back to reveal the bay.", None, CameraMove.PULL_OUT),
    ("She pulls back her hand.", None, None),
    ("The camera PANS LEFT across the room.", None, CameraMove.PAN_LEFT),
    ("OVER THE SHOULDER: Bram watches.", ShotSize.OTS, None),
    ("HANDHELD, we run with her.", None, CameraMove.HANDHELD),
])
def test_inference_table(text, size, move):
    assert (infer_size(text), infer_move(text)) == (size, move)


def test_introductions():
    assert introduction("TOMAS, a gangly teenager in a yellow slicker, waits.", "TOMAS") == \
        "a gangly teenager in a yellow slicker"
    assert introduction("BRAM (30s) hurries in.", "BRAM") == "30s"
    assert introduction("CAPTAIN NORA DEVLIN (60s), in a peacoat, waits.", "NORA") == "60s, in a peacoat"
    assert introduction("Bram hurries in.", "BRAM") == ""  # only the capitalised introduction counts


def test_headings_and_transition_kinds():
    assert split_heading("INT./EXT. CAR - MOVING - DAY") == ("CAR - MOVING", "DAY")
    assert split_heading("I/E KITCHEN") == ("KITCHEN", "")
    assert transition_kind("DISSOLVE TO:") == TransitionKind.DISSOLVE
    assert transition_kind("FADE TO BLACK.") == TransitionKind.FADE_FROM_BLACK
    assert transition_kind("SMASH CUT TO:") == TransitionKind.CUT


def test_timing_rule_reading_plus_speaking_with_a_minimum():
    fps = 24
    assert shot_frames("Wind.", [], fps, 6, 6) == MIN_SHOT_SECONDS * fps
    words = "word " * 20
    assert shot_frames(words, [], fps, 6, 6) == round(20 * ACTION_SECONDS_PER_WORD * fps)
    with_line = shot_frames(words, [2.0], fps, 6, 6)
    assert with_line == round(20 * ACTION_SECONDS_PER_WORD * fps) + 6 + 48 + 12  # lead, line, tail
    assert shot_frames(words, [2.0, 1.0], fps, 6, 6) == with_line + 6 + 24  # gap, second line


def test_imported_pace_is_plausible(imported):
    seconds = imported.total_frames / imported.fps
    assert 40 < seconds < 150  # two pages: between a brisk and a slow reading
    dialogue_shot = shot_with(imported, "clatters up")
    assert dialogue_shot.duration > shot_with(imported, "We PUSH IN").duration


def test_the_import_is_one_undo_step_on_a_document(tmp_path):
    document = Document(Project(), tmp_path / "k.sbproj")
    before = document.project.sequences, document.project.characters, document.project.title
    document.apply(plan_import(document.project, load_script(KEEPER)).command)
    assert len(document.project.all_shots()) == 10
    assert document.undo() is not None
    assert (document.project.sequences, document.project.characters, document.project.title) == before
    assert document.redo() is not None and len(document.project.all_shots()) == 10


def test_a_heading_that_names_a_framing_frames_the_scenes_first_shot():
    draft = draft_from_fountain(".SNIPER SCOPE POV\n\nSteel's face fills the scope.\n\nHe turns.\n")
    assert [s.size for s in draft.scenes[0].shots] == [ShotSize.POV, ShotSize.MS]


def test_dialogue_before_any_action_gets_a_shot_of_the_speaker():
    draft = draft_from_fountain("INT. CABIN - NIGHT\n\nBRAM\nAnyone?\n")
    shot = draft.scenes[0].shots[0]
    assert (shot.prompt, [ln.text for ln in shot.lines]) == ("Bram, cabin", ["Anyone?"])
