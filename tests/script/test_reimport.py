"""Re-importing a revised script: matches by scene and text, keeps takes/seeds/edits, adds new
shots, moves removed ones to "Removed in revision", all as one undo step with a summary."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from storyboard_app.model import Document, Project, ShotSize, Take, TakeStatus
from storyboard_app.script import REMOVED_SCENE_NAME, load_script, plan_import
from storyboard_app.script.build import draft_from_fountain
from storyboard_app.script.reimport import shot_text

KEEPER = Path(__file__).parent / "data" / "the_keeper.fountain"


@pytest.fixture
def document(tmp_path) -> Document:
    """The screenplay imported, then worked on: a take, a locked seed, a size and length edit."""
    document = Document(Project(), tmp_path / "keeper.sbproj")
    document.apply(plan_import(document.project, load_script(KEEPER)).command)
    project = document.project
    for shot in project.all_shots():
        take = Take(f"take_{shot.id[5:]}", "sketch", seed=7, media_path=f"media/takes/{shot.id}/t.mp4",
                    status=TakeStatus.DONE)
        shot.takes.append(take)
        shot.selected_take_id = take.id
    push = next(s for s in project.all_shots() if "PUSH IN" in s.prompt)
    push.seed_locked, push.seed, push.size, push.duration = True, 1234, ShotSize.ECU, 100
    document.history.mark_saved()
    return document


def revised() -> str:
    text = KEEPER.read_text()
    text = text.replace("The brass is worn *smooth* by her grip.", "The brass is worn bright by her grip.")
    text = text.replace("We PUSH IN as the great lens begins to turn.\n\n", "We PUSH IN as the great lens begins to turn.\n\n"
                        "A moth beats against the glass, again and again.\n\n")
    text = text.replace("The boat from the POV, closer now, its engine coughing.\n\n", "")
    return text


def test_unchanged_script_changes_nothing(document):
    before = copy.deepcopy(document.project)
    plan = plan_import(document.project, load_script(KEEPER))
    assert (plan.shots_added, plan.shots_updated, plan.shots_removed, plan.shots_kept) == (0, 0, 0, 10)
    assert plan.characters_added == 0
    plan.command.apply(document.project)
    assert document.project == before


def test_revision_keeps_takes_seeds_and_edits_adds_and_moves_removed(document):
    project = document.project
    old = {s.id: copy.deepcopy(s) for s in project.all_shots()}
    seeds = {c.id: c.seed for c in project.characters}
    plan = plan_import(project, draft_from_fountain(revised(), "keeper-v2.fountain"))
    assert (plan.shots_added, plan.shots_updated, plan.shots_removed) == (1, 1, 1)
    assert plan.summary() == ('5 scenes (0 new), 10 shots (1 new, 1 changed, 8 unchanged), 11 dialogue lines, '
                              '0 new characters, 1 shot moved to "Removed in revision"')
    document.apply(plan.command)

    brass = next(s for s in project.all_shots() if "worn bright" in s.prompt)
    assert brass.id in old and brass.takes == old[brass.id].takes and brass.number == old[brass.id].number
    push = next(s for s in project.all_shots() if "PUSH IN" in s.prompt)
    assert (push.seed_locked, push.seed, push.size, push.duration) == (True, 1234, ShotSize.ECU, 100)
    moth = next(s for s in project.all_shots() if "moth" in s.prompt)
    assert moth.id not in old and moth.number == f"{push.number}A" and not moth.takes
    scene = project.sequences[1]
    assert [s.id for s in scene.shots].index(moth.id) == [s.id for s in scene.shots].index(push.id) + 1

    assert project.sequences[-1].name == REMOVED_SCENE_NAME
    gone = project.sequences[-1].shots
    assert [s.prompt[:20] for s in gone] == ["The boat from the PO"]
    assert gone[0].takes == old[gone[0].id].takes and gone[0].number == old[gone[0].id].number
    assert {c.id: c.seed for c in project.characters} == seeds
    assert {c.action for c in plan.changes} == {"keep", "update", "add", "remove"}


def test_revision_is_one_undo_step(document):
    before = copy.deepcopy(document.project)
    document.apply(plan_import(document.project, draft_from_fountain(revised(), "v2.fountain")).command)
    assert document.project != before
    assert document.undo() == "Import v2.fountain"
    assert document.project == before
    assert document.undo() == "Import the_keeper.fountain"  # the fixture's first import: one step too
    assert document.undo() is None


def test_changed_dialogue_keeps_line_ids_of_unchanged_lines_and_only_lengthens(document):
    project = document.project
    shot = next(s for s in project.all_shots() if "clatters up" in s.prompt)
    ids = [ln.id for ln in shot.dialogue]
    shot.duration = 2000  # the director holds this shot long
    text = KEEPER.read_text().replace("Then we have three hours.", "Then we have three hours, you and I.")
    document.apply(plan_import(project, draft_from_fountain(text)).command)
    after = next(s for s in project.all_shots() if s.id == shot.id)
    assert [ln.id for ln in after.dialogue][:3] == ids[:3] and after.dialogue[3].id != ids[3]
    assert after.dialogue[3].text == "Then we have three hours, you and I."
    assert after.duration == 2000


def test_a_second_revision_keeps_the_removed_scene_and_can_bring_a_shot_back(document):
    project = document.project
    document.apply(plan_import(project, draft_from_fountain(revised())).command)
    removed_id = project.sequences[-1].shots[0].id
    plan = plan_import(project, load_script(KEEPER))  # the original again: the shot returns
    document.apply(plan.command)
    assert removed_id in {s.id for s in project.all_shots()}
    assert sum(1 for s in project.all_shots() if "moth" in s.prompt) == 1  # now in the bin
    assert [s.name for s in project.sequences].count(REMOVED_SCENE_NAME) == 1


def test_moved_scene_matches_by_number_and_new_character_is_added(document):
    project = document.project
    text = KEEPER.read_text().replace("EXT. GALLERY - LATER #3#", "EXT. GALLERY - MIDNIGHT #3#")
    text = text.replace("Go home, Bram.", "Go home, Bram.\n\nTOMAS (10), a boy in a yellow slicker, waves from the boat.\n\n"
                                          "TOMAS\nGran!")
    scene_ids = [s.id for s in project.sequences]
    plan = plan_import(project, draft_from_fountain(text))
    document.apply(plan.command)
    assert [s.id for s in project.sequences] == scene_ids
    assert project.sequences[2].time_of_day == "MIDNIGHT"
    assert plan.characters_added == 1
    tomas = project.characters[-1]
    assert (tomas.name, tomas.description) == ("Tomas", "10, a boy in a yellow slicker")


def test_shot_text_compares_action_and_dialogue():
    assert shot_text("Rain.", [("BRAM", "Hi")]) == "rain. bram: hi"


def _long_script(paragraphs: list[str]) -> str:
    return "INT. HALL - NIGHT\n\n" + "\n\n".join(paragraphs) + "\n"


def test_a_600_shot_revision_matches_in_seconds():
    import random
    import time

    rng = random.Random(1)
    words = ["rain", "wind", "door", "light", "sea", "boat", "stairs", "lamp", "hand", "face", "window", "road", "night", "cold", "bell", "rope"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(25)) + f" number {i}." for i in range(600)]
    project = Project()
    plan_import(project, draft_from_fountain(_long_script(paragraphs))).command.apply(project)
    revised = list(paragraphs)
    revised[10] = revised[10].replace("number", "shot number")
    moved = revised.pop(50)
    revised.insert(450, moved)  # a shot moved far within its scene
    del revised[300]
    revised.insert(400, "a brand new shot of a gull")
    ids = {s.prompt: s.id for s in project.all_shots()}
    started = time.perf_counter()
    plan = plan_import(project, draft_from_fountain(_long_script(revised)))
    assert time.perf_counter() - started < 30  # minutes before pairs were bounded; ~1 s on a quiet machine
    assert (plan.shots_added, plan.shots_updated, plan.shots_removed) == (1, 1, 1)
    plan.command.apply(project)
    assert next(s for s in project.all_shots() if s.prompt == moved).id == ids[moved]
