"""``storyboard-app voice`` / ``voices`` on a copy of the example project (never the original)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storyboard_app.cli import main
from storyboard_app.model import Document, load_project

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"


@pytest.fixture
def example(tmp_path) -> Path:
    target = tmp_path / "night_market.sbproj"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("cache"))
    return target


def dialogue_lines(root: Path) -> int:
    return sum(len(s.dialogue) for s in load_project(root).all_shots())


def test_voice_covers_every_line_offline_then_serves_the_cache(example, capsys):
    lines = dialogue_lines(example)
    assert lines > 0
    assert main(["voice", str(example)]) == 0
    out = capsys.readouterr().out
    assert f"{lines} synthesized, 0 from cache" in out
    assert "too long" not in out  # the example's dialogue fits its shots
    assert len(list((example / "cache" / "voice").glob("*.wav"))) == lines
    assert main(["voice", str(example)]) == 0
    assert f"0 synthesized, {lines} from cache" in capsys.readouterr().out


def test_voice_for_chosen_shots(example, capsys):
    assert main(["voice", str(example), "--shots", "3,5"]) == 0
    out = capsys.readouterr().out
    assert "3 synthesized, 0 from cache" in out
    assert main(["voice", str(example), "--shots", "3,77"]) == 2


def test_fit_extends_overlong_shots_and_saves(example, capsys):
    doc = Document.open(example)
    doc.project.shot_by_number("4").duration = 24
    doc.save()
    assert main(["voice", str(example), "--shots", "4"]) == 0
    out = capsys.readouterr().out
    assert "too long by" in out and "--fit" in out
    assert load_project(example).shot_by_number("4").duration == 24  # reported, not changed
    assert main(["voice", str(example), "--shots", "4", "--fit", "--tail", "10"]) == 0
    assert "fitted shots 4" in capsys.readouterr().out
    from storyboard_app.voice import VoiceService

    project = load_project(example)
    shot = project.shot_by_number("4")
    assert shot.duration == VoiceService(example).shot_vo_frames(project, shot) + 10


def test_a_bad_recording_fails_with_one_line_naming_it(example, capsys):
    (example / "media").mkdir(exist_ok=True)
    (example / "media" / "take.wav").write_bytes(b"RIFF....WAVEjunk")
    doc = Document.open(example)
    doc.project.shot_by_number("10").dialogue[0].audio = "media/take.wav"
    doc.save()
    assert main(["voice", str(example), "--shots", "10"]) == 1
    err = capsys.readouterr().err
    assert "take.wav: shot 10, line 1" in err


def test_voices_lists_engines_and_voices(capsys):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "piper" in out and "en_US-joe-medium" in out
