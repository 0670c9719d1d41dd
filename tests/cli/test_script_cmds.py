"""``storyboard-app import`` and ``storyboard-app animatic`` (issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyboard_app.cli import main
from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import Document, TakeStatus, load_project

DATA = Path(__file__).resolve().parents[1] / "script" / "data"
KEEPER = DATA / "the_keeper.fountain"
HOLD = ("import sys, time\nfrom storyboard_app.model.lock import acquire\n"
        "lock = acquire(sys.argv[1], program='holder-test')\nprint('held', flush=True)\ntime.sleep(60)\n")
TINY = """Title: Tiny

EXT. PIER - NIGHT #1#

WIDE on the pier. Rain.

MAREN (60s), in a navy peacoat, waits.

MAREN
He's late.

CLOSE ON the lamp.
"""


def test_import_new_creates_the_bundle_then_reimport_updates_it(tmp_path, capsys):
    bundle = tmp_path / "keeper.sbproj"
    assert main(["import", str(bundle), str(KEEPER), "--new", "--size", "640x360"]) == 0
    out = capsys.readouterr().out
    assert "imported: 5 scenes (5 new), 10 shots (10 new, 0 changed, 0 unchanged)" in out
    project = load_project(bundle)
    assert (project.title, project.width, len(project.all_shots()), len(project.characters)) == ("THE KEEPER", 640, 10, 2)

    document = Document.open(bundle)  # the director works: a take on shot 3
    shot = document.project.all_shots()[2]
    from storyboard_app.model import Take
    shot.takes.append(Take("take_1", "sketch", status=TakeStatus.DONE, media_path="media/takes/x.mp4"))
    shot.selected_take_id = "take_1"
    document.save()
    revised = tmp_path / "v2.fountain"
    revised.write_text(KEEPER.read_text().replace("*smooth*", "bright"))
    assert main(["import", str(bundle), str(revised), "--dry-run"]) == 0
    assert "would import: 5 scenes (0 new), 10 shots (0 new, 1 changed, 9 unchanged)" in capsys.readouterr().out
    assert "bright" not in load_project(bundle).all_shots()[2].prompt  # dry run: nothing written
    assert main(["import", str(bundle), str(revised)]) == 0
    out = capsys.readouterr().out
    assert "update" in out and "worn bright" in out
    after = load_project(bundle).all_shots()[2]
    assert "worn bright" in after.prompt and after.selected_take_id == "take_1"


def test_import_csv_into_an_existing_project(tmp_path, capsys):
    bundle = tmp_path / "p.sbproj"
    assert main(["new", str(bundle)]) == 0
    assert main(["import", str(bundle), str(DATA / "shots_semicolon_bom.csv")]) == 0
    project = load_project(bundle)
    assert [s.prompt[:8] for s in project.all_shots()] == ["A kettle", "Ada at t", "Leo hang"]
    assert [s.name for s in project.sequences] == ["INT. KITCHEN - NIGHT", "EXT. YARD - DAY"]  # empty Scene 1 dropped


@pytest.mark.parametrize(("argv", "message"), [
    (["import", "{b}", "{d}/missing.fountain", "--new"], "missing.fountain: no such file"),
    (["import", "{b}", "{keeper}"], "no such project (use --new to create it)"),
    (["import", "{b}", "{bad}", "--new"], "bad.csv: row 2, column 'size': unknown shot size 'huge'"),
    (["import", "{b}", "{txt}", "--new"], "notes.md: not a script"),
])
def test_import_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "bad.csv").write_text("description,size\nRain,huge\n")
    (tmp_path / "notes.md").write_text("hello")
    names = {"b": tmp_path / "x.sbproj", "d": tmp_path, "keeper": KEEPER, "bad": tmp_path / "bad.csv",
             "txt": tmp_path / "notes.md"}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.sbproj" / "project.json").exists()


def test_import_respects_the_project_lock(tmp_path, capsys):
    bundle = tmp_path / "p.sbproj"
    assert main(["import", str(bundle), str(KEEPER), "--new"]) == 0
    before = (bundle / "project.json").read_text()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(bundle)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()
        assert main(["import", str(bundle), str(DATA / "shots_semicolon_bom.csv")]) == 1
        assert "in use by" in capsys.readouterr().err
        assert (bundle / "project.json").read_text() == before
    finally:
        holder.kill()
        holder.wait()


def test_animatic_respects_the_project_lock(tmp_path, capsys):
    bundle = tmp_path / "p.sbproj"
    assert main(["import", str(bundle), str(KEEPER), "--new"]) == 0
    before = (bundle / "project.json").read_text()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(bundle)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()
        assert main(["animatic", str(KEEPER), "-o", str(tmp_path / "o.mp4"), "--project", str(bundle)]) == 1
        assert "in use by" in capsys.readouterr().err
        assert (bundle / "project.json").read_text() == before and not (tmp_path / "o.mp4").exists()
    finally:
        holder.kill()
        holder.wait()


def test_animatic_end_to_end_on_a_tiny_script(tmp_path, capsys):
    script = tmp_path / "tiny.fountain"
    script.write_text(TINY)
    output = tmp_path / "out" / "tiny.mp4"
    output.parent.mkdir()
    assert main(["animatic", str(script), "-o", str(output), "--size", "320x180", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "stages: import" in out and "render" in out
    project = load_project(output.with_suffix(".sbproj"))
    shots = project.all_shots()
    assert len(shots) == 3 and all(s.selected_take and s.selected_take.status == TakeStatus.DONE for s in shots)
    assert project.characters[0].description == "60s, in a navy peacoat"
    info = probe(output)
    assert info.has_video and info.has_audio and (info.width, info.height) == (320, 180)
    slate = 2.0
    assert info.duration == pytest.approx(project.total_frames / project.fps + slate, abs=0.15)
    # the dialogue shot was fitted to its voiced line: action time + voice + tail, not the estimate
    from storyboard_app.script.timing import DIALOGUE_TAIL_FRAMES, action_frames
    from storyboard_app.voice import VoiceService
    spoken = shots[1]
    vo = VoiceService(Document.open(output.with_suffix(".sbproj")).paths).shot_vo_frames(project, spoken)
    assert spoken.duration == action_frames(spoken.prompt, 24) + vo + DIALOGUE_TAIL_FRAMES

    # again after an edit of the script: a re-import into the same bundle, the other takes reused
    script.write_text(TINY.replace("CLOSE ON the lamp.", "CLOSE ON the lamp, guttering."))
    assert main(["animatic", str(script), "-o", str(output), "--size", "320x180"]) == 0
    out = capsys.readouterr().out
    assert "1 generated, 2 from cache" in out


@pytest.fixture
def missing_model():
    from storyboard_app.generation.registry import register_generator, unregister_generator

    register_generator("missing_model", "cli_failing_generators:MissingModelGenerator")
    yield "missing_model"
    unregister_generator("missing_model")


def test_animatic_exits_1_when_a_shot_fails_and_names_it(tmp_path, capsys, missing_model):
    from storyboard_app.model import Project

    bundle = tmp_path / "fails.sbproj"
    Document(Project(title="f", width=160, height=90, generator=missing_model), bundle).save()
    script = tmp_path / "tiny.fountain"
    script.write_text(TINY)
    output = tmp_path / "fails.mp4"
    argv = ["animatic", str(script), "-o", str(output), "--project", str(bundle), "--no-burnins"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("failed: shot") == 3 and "missing-model is not present locally" in err
    assert output.is_file()  # drawn with placeholders, as render does
    assert len(load_project(bundle).all_shots()) == 3  # the import was saved
    assert main([*argv, "--allow-placeholders"]) == 0
