"""``storyboard-app export`` (every format) and ``import-cut`` (an edited cut back), in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image
from pypdf import PdfReader

from storyboard_app.cli import main
from storyboard_app.model import load_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from editorial_fixtures import DURATIONS, build_editorial_document  # noqa: E402


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bundle(tmp_path) -> Path:
    return build_editorial_document(tmp_path).paths.root


def test_export_pdf(capsys, bundle, tmp_path) -> None:
    code, out, err = run(capsys, "export", str(bundle), "--format", "pdf", "-o", str(tmp_path / "d.pdf"),
                         "--layout", "2x2", "--paper", "letter", "--logline", "A key.", "--frame", "1=3")
    assert code == 0, err
    assert "3 pages, 5 shots" in out
    reader = PdfReader(str(tmp_path / "d.pdf"))
    assert len(reader.pages) == 3 and "A key." in reader.pages[0].extract_text()


@pytest.mark.parametrize(("fmt", "suffix"), [("otio", ".otio"), ("edl", ".edl"), ("fcp7xml", ".xml"),
                                             ("fcpxml", ".fcpxml")])
def test_export_edits(capsys, bundle, tmp_path, fmt, suffix) -> None:
    out_file = tmp_path / f"cut{suffix}"
    code, out, err = run(capsys, "export", str(bundle), "-f", fmt, "-o", str(out_file), "--no-media")
    assert code == 0, err
    assert "5 clips" in out
    kwargs = {"rate": 24} if fmt == "edl" else {}
    timeline = otio.adapters.read_from_file(str(out_file), **kwargs)
    if isinstance(timeline, otio.schema.SerializableCollection):
        timeline = next(iter(timeline.find_children(descended_from_type=otio.schema.Timeline)))
    assert len(list(timeline.find_clips(shallow_search=False))) >= 5


def test_export_subtitles_stills_and_contact_sheet(capsys, bundle, tmp_path) -> None:
    assert run(capsys, "export", str(bundle), "-f", "srt", "-o", str(tmp_path / "d.srt"), "--no-slate")[0] == 0
    assert (tmp_path / "d.srt").read_text(encoding="utf-8").startswith("1\n00:00:00,083 --> 00:00:00,583\n")
    assert run(capsys, "export", str(bundle), "-f", "vtt", "-o", str(tmp_path / "d.vtt"))[0] == 0
    assert "00:00:02.083" in (tmp_path / "d.vtt").read_text(encoding="utf-8")  # after the 2 s slate
    code, out, _ = run(capsys, "export", str(bundle), "-f", "stills", "-o", str(tmp_path / "stills"))
    assert code == 0 and "(1 placeholders)" in out
    assert sorted(p.name for p in (tmp_path / "stills").iterdir()) == [f"shot_{n}.png" for n in DURATIONS]
    red = Image.open(tmp_path / "stills" / "shot_1.png").convert("RGB")
    assert red.size == (320, 180) and red.getpixel((160, 90))[0] > 180
    code, _, _ = run(capsys, "export", str(bundle), "-f", "contact-sheet", "-o", str(tmp_path / "sheet.png"))
    assert code == 0 and Image.open(tmp_path / "sheet.png").width > 320


def test_import_cut_round_trip(capsys, bundle, tmp_path) -> None:
    """export → the editor swaps 4 and 5 and trims 2 by 6 frames → import-cut → the boards follow."""
    edl = tmp_path / "cut.edl"
    assert run(capsys, "export", str(bundle), "-f", "edl", "-o", str(edl), "--no-media")[0] == 0
    timeline = otio.adapters.read_from_file(str(edl), rate=24)
    track = timeline.tracks[0]
    clips = {c.name: c for c in track.find_clips()}
    two = clips["2"]
    two.source_range = otio.opentime.TimeRange(two.source_range.start_time,
                                               two.source_range.duration - otio.opentime.RationalTime(6, 24))
    moved = track.pop(track.index(clips["5"]))
    track.insert(track.index(clips["4"]), moved)
    edited = tmp_path / "edited.edl"
    otio.adapters.write_to_file(timeline, str(edited), rate=24)

    code, out, err = run(capsys, "import-cut", str(bundle), str(edited), "--dry-run")
    assert code == 0, err
    assert "shot 2: 36 → 30 frames" in out and "dry run" in out
    assert [s.number for s in load_project(bundle).all_shots()] == ["1", "2", "3", "4", "5"]
    code, out, err = run(capsys, "import-cut", str(bundle), str(edited))
    assert code == 0, err
    project = load_project(bundle)
    assert [(s.number, s.duration) for s in project.all_shots()] == [
        ("1", 48), ("2", 30), ("3", 24), ("5", 40), ("4", 30)]


def test_usage_errors_are_one_line(capsys, bundle, tmp_path) -> None:
    code, _, err = run(capsys, "export", str(bundle), "-f", "pdf", "-o", str(tmp_path / "d.pdf"), "--layout", "7x7")
    assert code == 2 and err.strip() == "error: --layout: '7x7' must have 1 to 6 columns and rows"
    code, _, err = run(capsys, "export", str(bundle), "-f", "edl", "-o", str(tmp_path / "d.xml"))
    assert code == 2 and "must end in .edl" in err
    code, _, err = run(capsys, "export", str(bundle), "-f", "otio", "-o", str(tmp_path / "d.otio"), "--rate", "x")
    assert code == 2 and "--rate: 'x' is not a frame rate" in err
    code, _, err = run(capsys, "import-cut", str(bundle), str(tmp_path / "missing.edl"))
    assert code == 2 and "missing.edl: file not found" in err
    assert len(err.strip().splitlines()) == 1
