"""``storyboard-app new / info / validate``, exit codes and one-line errors.

Most tests call ``storyboard_app.cli.main`` in-process (fast); one runs the installed console
script for real, since that is what the issue's acceptance line names.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from storyboard_app import __version__
from storyboard_app.cli import main
from storyboard_app.model import ProjectError, load_project

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "resources" / "examples" / "night_market.sbproj"
DAMAGED_FIELD = "$.sequences[0].shots[2].duration"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.fixture
def example(tmp_path) -> Path:
    copy = tmp_path / "night_market.sbproj"
    shutil.copytree(EXAMPLE, copy)
    return copy


@pytest.fixture
def damaged(example) -> Path:
    """The example with one shot's duration typed as text: one problem, at a known field."""
    file = example / "project.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    data["sequences"][0]["shots"][2]["duration"] = "five seconds"
    file.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return example


# --------------------------------------------------------------------------- new


def test_new_creates_a_valid_bundle(tmp_path, capsys):
    code, out, err = run(capsys, "new", str(tmp_path / "My Film"), "--fps", "25",
                         "--size", "640x360")
    assert code == 0, err
    root = tmp_path / "My Film.sbproj"
    assert f"created {root}" in out
    project = load_project(root)
    assert (project.title, project.fps, project.width, project.height) == ("My Film", 25, 640, 360)
    assert len(project.sequences) == 1 and project.sequences[0].shots == []
    assert (root / "media").is_dir()


@pytest.mark.parametrize(("text", "fps", "label"), [("23.976", 24, "23.976"), ("29.97", 30, "29.97"),
                                                     ("59.94", 60, "59.94"), ("24000/1001", 24, "23.976")])
def test_new_with_an_ntsc_rate(tmp_path, capsys, text, fps, label):
    """Issue 17: ``--fps 23.976`` is a 24 fps timebase played at 24000/1001, not 24 fps."""
    code, _, err = run(capsys, "new", str(tmp_path / "ntsc"), "--fps", text)
    assert code == 0, err
    project = load_project(tmp_path / "ntsc.sbproj")
    assert (project.fps, project.ntsc, project.frame_rate) == (fps, True, Fraction(fps * 1000, 1001))
    code, out, _ = run(capsys, "info", str(tmp_path / "ntsc"))
    assert code == 0 and f"@ {label} fps" in out


def test_new_prints_odd_paths_literally_on_one_line(tmp_path, capsys):
    name = "[draft] a very long project name that would wrap in an eighty column terminal"
    code, out, err = run(capsys, "new", str(tmp_path / name))
    assert code == 0, err
    assert out == f"created {tmp_path / name}.sbproj\n"


def test_info_shows_user_text_literally(tmp_path, capsys):
    run(capsys, "new", str(tmp_path / "m"), "--title", "[bold]Not bold[/] [draft]")
    code, out, err = run(capsys, "info", str(tmp_path / "m"))
    assert code == 0, err
    assert "[bold]Not bold[/] [draft]" in out


def test_new_with_title_and_explicit_suffix(tmp_path, capsys):
    code, _, err = run(capsys, "new", str(tmp_path / "x.sbproj"), "--title", "Night Shift")
    assert code == 0, err
    assert load_project(tmp_path / "x.sbproj").title == "Night Shift"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "641x360"], "--size needs even"),
        (["--size", "big"], "--size must look like 1280x720"),
        (["--fps", "0"], "$.fps: fps must be between 1 and 240"),
        (["--fps", "23.5"], "--fps: '23.5': a frame rate is a whole number or 23.976, 29.97 or 59.94"),
        (["--fps", "fast"], "--fps: 'fast' is not a frame rate"),
    ],
)
def test_new_refuses_bad_settings_without_creating_anything(tmp_path, capsys, args, message):
    code, out, err = run(capsys, "new", str(tmp_path / "bad"), *args)
    assert code == 2
    assert lines(err) == [lines(err)[0]] and message in err and err.startswith("error: ")
    assert not (tmp_path / "bad.sbproj").exists()


def test_new_refuses_to_overwrite(example, capsys):
    before = (example / "project.json").read_bytes()
    code, _, err = run(capsys, "new", str(example))
    assert code == 2 and "already exists" in err
    assert (example / "project.json").read_bytes() == before


# --------------------------------------------------------------------------- info


def test_info_summarises_the_example(example, capsys):
    code, out, err = run(capsys, "info", str(example))
    assert code == 0, err
    project = load_project(example)
    assert project.title in out and "1280x720 @ 24 fps" in out
    assert f"({project.total_frames} frames)" in out
    for character in project.characters:
        assert character.name in out
    for seq in project.sequences:
        assert f"{len(seq.shots)} shot{'' if len(seq.shots) == 1 else 's'}," in out
    for shot in project.all_shots():
        assert f"│ {shot.number} " in out


def test_info_on_a_missing_project(tmp_path, capsys):
    code, _, err = run(capsys, "info", str(tmp_path / "nothing"))
    assert code == 2
    assert lines(err) == [f"error: {tmp_path / 'nothing.sbproj'}: not a project bundle "
                          "(folder not found)"]


def test_info_on_a_damaged_project_is_one_line_without_traceback(damaged, capsys):
    code, out, err = run(capsys, "info", str(damaged))
    assert code == 2 and out == ""
    assert len(lines(err)) == 1 and DAMAGED_FIELD in err and "Traceback" not in err


def test_debug_shows_the_exception(damaged, capsys):
    with pytest.raises(ProjectError, match=r"\$\.sequences\[0\]\.shots\[2\]\.duration"):
        main(["--debug", "info", str(damaged)])


# --------------------------------------------------------------------------- validate


def test_validate_ok(example, capsys):
    code, out, err = run(capsys, "validate", str(example))
    assert code == 0, err
    assert out.startswith("ok: ") and "2 scenes, 13 shots" in out
    assert err == ""


def test_validate_also_accepts_the_project_json_path(example, capsys):
    code, _, err = run(capsys, "validate", str(example / "project.json"))
    assert code == 0, err


def test_validate_damaged_project_exits_2_with_one_line(damaged, capsys):
    code, out, err = run(capsys, "validate", str(damaged))
    assert code == 2
    assert out == ""
    assert lines(err) == [err.strip()]
    assert str(damaged / "project.json") in err and DAMAGED_FIELD in err
    assert "valid integer" in err and "Traceback" not in err


def test_validate_lists_every_problem_one_per_line(example, capsys):
    file = example / "project.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    data["fps"] = 0
    data["sequences"][1]["shots"][0]["characters"].append("ch_ghost")
    file.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "validate", str(example))
    assert code == 2
    assert lines(err) == [
        f"error: {file}: $.fps: fps must be between 1 and 240 (got 0)",
        f"error: {file}: $.sequences[1].shots[0].characters[1]: refers to unknown character "
        "'ch_ghost'",
    ]


def test_validate_warns_about_missing_media_but_passes(example, capsys):
    file = example / "project.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    data["sequences"][0]["shots"][0]["takes"] = [
        {"id": "tk_1", "generator_id": "sketch", "media_path": "media/takes/tk_1.mp4",
         "status": "done"}]
    data["sequences"][0]["shots"][0]["selected_take_id"] = "tk_1"
    file.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(example))
    assert code == 0 and out.startswith("ok: ")
    assert "warning:" in err and "takes[0].media_path" in err and "is missing" in err


def test_validate_refuses_a_symlink_out_of_the_bundle(example, tmp_path, capsys):
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF")
    (example / "media").mkdir(exist_ok=True)  # git does not keep the example's empty media/
    (example / "media" / "line.wav").symlink_to(secret)
    file = example / "project.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    data["sequences"][0]["shots"][2]["dialogue"][0]["audio"] = "media/line.wav"
    file.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "validate", str(example))
    assert code == 2
    assert lines(err) == [f"error: {file}: $.sequences[0].shots[2].dialogue[0].audio: "
                          "media path resolves outside the project bundle (symlink?)"]


# --------------------------------------------------------------------------- general


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"storyboard-app {__version__}"


@pytest.mark.parametrize("argv", [[], ["bogus"], ["validate"], ["new", "x", "--fps", "fast"]])
def test_usage_errors_exit_2(argv, capsys):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err


def test_installed_console_script_on_a_damaged_project(damaged):
    """The acceptance line, end to end: the real executable, a damaged project.json."""
    script = Path(sys.executable).with_name("storyboard-app")
    if not script.exists():
        found = shutil.which("storyboard-app")
        assert found, "the storyboard-app console script is not installed (pip install -e .)"
        script = Path(found)
    result = subprocess.run([str(script), "validate", str(damaged)], capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "40"})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    err_lines = result.stderr.splitlines()
    assert len(err_lines) == 1, result.stderr  # one line even in a narrow terminal
    assert str(damaged / "project.json") in err_lines[0] and DAMAGED_FIELD in err_lines[0]
    assert "Traceback" not in result.stderr

    ok = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout.strip() == f"storyboard-app {__version__}"
