"""``style-test`` and ``styles`` (issue 18.4): shots x styles printed with an estimate before the
batch, the test kept in the project, the grid and the comparison video written, a re-run served
from the cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

from storyboard_app.cli import main
from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import Document, load_project
from storyboard_app.render.style_grid import GridLayout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generation"))
from generation_fixtures import make_project  # noqa: E402


def test_styles_lists_the_presets(capsys):
    assert main(["styles"]) == 0
    out = capsys.readouterr().out
    for stem in ("pencil_storyboard", "noir", "watercolour", "vintage_16mm", "teal_orange"):
        assert stem in out


def test_style_test_writes_grid_pdf_and_video_and_reruns_from_cache(tmp_path, capsys):
    root = tmp_path / "p.sbproj"
    Document(make_project(["night market in rain", "an alley", "a brass key"], frames=6), root).save()
    out = tmp_path / "out"
    code = main(["style-test", str(root), "--scene", "1", "--styles", "noir,watercolour,anime_cel",
                 "--name", "looks", "-o", str(out), "--compare", "noir,anime_cel", "--jobs", "2"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "3 shots x 3 styles = 9 clips" in text and "cost 0 (local)" in text
    assert text.index("estimated") < text.index("9 generated")  # the estimate comes before the batch
    project = load_project(root)
    test = project.style_test("looks")
    assert test.style_ids == ["preset_noir", "preset_watercolour", "preset_anime_cel"]
    assert sum(1 for s in project.all_shots() for t in s.takes if t.style_id) == 9
    grid = Image.open(out / "looks-grid.png")
    assert grid.size == GridLayout(384, 216).size(3, 3)  # 3 shots down, 3 styles across
    assert (out / "looks-grid.pdf").read_bytes().startswith(b"%PDF")
    info = probe(out / "looks-compare.mp4")
    assert (info.width, info.height) == (160, 44) and info.has_video  # 2 tiles of 80x44 (even) side by side

    assert main(["style-test", str(root), "--name", "looks", "-o", str(out), "--no-video"]) == 0
    assert "0 generated, 9 from cache" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--scene", "1", "--styles", "noir,nope"], "no style preset 'nope'"),
    (["--scene", "9", "--styles", "noir"], "--scene 9"),
    (["--scene", "1", "--styles", "noir", "--compare", "noir,teal_orange"], "not in --styles"),
    (["--scene", "1", "--styles", "noir"], "2 to 4 styles"),
])
def test_bad_arguments_are_one_line_usage_errors(tmp_path, capsys, argv, message):
    root = tmp_path / "p.sbproj"
    Document(make_project(["a street"], frames=6), root).save()
    assert main(["style-test", str(root), *argv]) == 2
    assert message in capsys.readouterr().err


def test_style_test_records_a_runs_takes_as_one_undo_step(tmp_path, capsys, monkeypatch):
    """Like the app's style-test view: the run's takes are one step ("Style test take")."""
    root = tmp_path / "p.sbproj"
    Document(make_project(["a street", "a key"], frames=6), root).save()
    histories: list[list[str]] = []
    original = Document.save

    def save(self, *args, **kwargs):  # noqa: ANN001, ANN202
        histories.append(list(self.history.labels()[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Document, "save", save)
    code = main(["style-test", str(root), "--scene", "1", "--styles", "noir,watercolour", "-o", str(tmp_path / "o"),
                 "--no-video"])
    assert code == 0, capsys.readouterr().err
    assert histories[-1] == ["Add styles for a style test", "Style test Noir, Watercolour", "Style test take"]
    assert sum(1 for s in load_project(root).all_shots() for t in s.takes if t.style_id) == 4
