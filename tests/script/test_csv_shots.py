"""Shot-list CSV import: headers and synonyms, separators, BOM, and errors naming row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.model import CameraMove, Project, ShotSize, TransitionKind
from storyboard_app.script import ShotListError, draft_from_csv, load_script, plan_import
from storyboard_app.script.csv_shots import read_shot_list

DATA = Path(__file__).parent / "data"


def test_semicolons_bom_synonyms_and_continuation_rows():
    draft = read_shot_list(DATA / "shots_semicolon_bom.csv")
    assert [s.name for s in draft.scenes] == ["INT. KITCHEN - NIGHT", "EXT. YARD - DAY"]
    assert (draft.scenes[0].location, draft.scenes[0].time_of_day) == ("KITCHEN", "NIGHT")
    kettle, letter = draft.scenes[0].shots
    assert (kettle.size, kettle.duration_s, kettle.transition) == (ShotSize.INSERT, 2.5, TransitionKind.FADE_FROM_BLACK)
    assert (letter.size, letter.camera_move, letter.duration_frames) == (ShotSize.MCU, CameraMove.PUSH_IN, 72)
    assert [(ln.speaker, ln.text) for ln in letter.lines] == [("ADA", "It says he's coming home; Tuesday."),
                                                             ("LEO", "Which Tuesday?")]
    assert letter.notes == ["handheld feel"]
    yard = draft.scenes[1].shots[0]
    assert (yard.size, yard.camera_move, yard.duration_s, yard.transition) == (
        ShotSize.WS, CameraMove.PAN_LEFT, 4.0, TransitionKind.DISSOLVE)
    assert [c.name for c in draft.characters] == ["Ada", "Leo"]


def test_imported_durations_and_cast():
    project = Project()
    plan = plan_import(project, load_script(DATA / "shots_semicolon_bom.csv"))
    plan.command.apply(project)
    shots = project.all_shots()
    assert [s.number for s in shots] == ["1", "2", "3"]  # the sheet's own numbers
    assert [s.duration for s in shots] == [60, 72, 96]
    assert len(shots[1].characters) == 2 and shots[1].dialogue[1].speaker == project.characters[1].id


def test_comma_separated_case_insensitive_headers_and_speaker_in_the_cell():
    draft = draft_from_csv("SCENE,PROMPT,dialog\n4,Rain on glass,\"MAREN: Close the shutters, Bram.\"\n")
    shot = draft.scenes[0].shots[0]
    assert (draft.scenes[0].name, draft.scenes[0].scene_number) == ("Scene 4", "4")
    assert [(ln.speaker, ln.text) for ln in shot.lines] == [("MAREN", "Close the shutters, Bram.")]
    assert shot.size == ShotSize.MS and shot.duration_s is None  # defaults; timed by the rule


def test_location_and_time_of_day_columns_beside_scene():
    draft = draft_from_csv("Scene,Location,Day/Night,Description\n7,Harbour wall,NIGHT,Waves break\n7,,,Gulls\n")
    scene = draft.scenes[0]
    assert (scene.name, scene.location, scene.time_of_day, len(scene.shots)) == ("Scene 7", "Harbour wall", "NIGHT", 2)


def test_size_and_move_inferred_from_the_description_when_no_column():
    shot = draft_from_csv("description\nCLOSE ON the key; we PUSH IN\n").scenes[0].shots[0]
    assert (shot.size, shot.camera_move) == (ShotSize.CU, CameraMove.PUSH_IN)


@pytest.mark.parametrize(("text", "message"), [
    ("shot,size\n1,CU\n", "shots.csv: row 1: no description column (headers found: shot, size;"),
    ("description,size\nRain,enormous\n", "shots.csv: row 2, column 'size': unknown shot size 'enormous'"),
    ("description,Camera\nRain,\nSun,spin\n", "shots.csv: row 3, column 'Camera': unknown camera move 'spin'"),
    ("description,Length\nRain,soon\n", "shots.csv: row 2, column 'Length': not a duration: 'soon'"),
    ("description,duration\nRain,-3\n", "shots.csv: row 2, column 'duration': '-3' must be more than 0 s"),
    ("description,shot\nRain,1\n,2\n", "shots.csv: row 3, column 'description': empty"),
    ("description,prompt\nRain,Sun\n", "shots.csv: row 1, column 2 ('prompt'): a second description column"),
    ("description\n", "shots.csv: no shots"),
    ("", "shots.csv: the file is empty"),
    ("description,size\nRain,CU,extra\n", "shots.csv: row 2: 3 cells but the header has 2 columns"),
])
def test_errors_name_the_row_and_the_column(text, message):
    with pytest.raises(ShotListError) as caught:
        draft_from_csv(text, "shots.csv")
    assert str(caught.value).startswith(message), str(caught.value)


def test_non_utf8_is_refused_with_the_row(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("description\nCaf\u00e9 scene\n".encode("latin-1"))
    with pytest.raises(ShotListError, match=r"latin1.csv: row 2: not UTF-8 text"):
        read_shot_list(path)
