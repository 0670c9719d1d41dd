"""Which frame stands for a shot, stable still names, and text that does not fit a panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import Document, Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.render.deck import DeckOptions, build_deck
from storyboard_app.render.stills import export_stills, shot_frame, stable_shot_names

RED, BLUE = (220, 30, 30), (30, 30, 220)


def _red_then_blue(path: Path) -> None:
    """48 frames at 24 fps: frames 0-23 red, 24-47 blue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=0xdc1e1e:s=160x90:r=24:d=1", "-f", "lavfi", "-i",
                "color=c=0x1e1edc:s=160x90:r=24:d=1", "-filter_complex", "[0][1]concat=n=2:v=1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])


@pytest.fixture
def doc(tmp_path: Path) -> Document:
    bundle = tmp_path / "p.sbproj"
    _red_then_blue(bundle / "media" / "takes" / "rb.mp4")
    take = Take(id="t", generator_id="test", status=TakeStatus.DONE, media_path="media/takes/rb.mp4")
    shots = [
        Shot(id="a", number="3", duration=48, takes=[take], selected_take_id="t"),
        Shot(id="b", number="3", duration=96, takes=[take], selected_take_id="t"),  # the take holds
        Shot(id="c", number="4/B x", duration=24),
    ]
    project = Project(title="Frames", fps=24, width=160, height=90, sequences=[Sequence("q", "S", shots)])
    document = Document(project, bundle)
    document.save()
    return document


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(pixel[:3], colour, strict=True)) < 40


def test_middle_frame_or_the_picked_one(doc) -> None:
    project, root = doc.project, doc.paths.root
    a, b, _ = project.all_shots()
    assert _close(shot_frame(project, root, a).getpixel((80, 45)), BLUE)  # frame 24 of 48
    assert _close(shot_frame(project, root, a, frame=5).getpixel((80, 45)), RED)
    # a 96-frame shot holding a 48-frame take: its middle (48) is the held last frame
    assert _close(shot_frame(project, root, b).getpixel((80, 45)), BLUE)
    assert shot_frame(project, root, b).size == (160, 90)


def test_stable_names_never_clash(doc, tmp_path) -> None:
    names = stable_shot_names(doc.project)
    assert names == {"a": "shot_3_001", "b": "shot_3_002", "c": "shot_4_B_x"}
    report = export_stills(doc.project, doc.paths.root, tmp_path / "stills")
    assert sorted(p.name for p in report.files) == ["shot_3_001.png", "shot_3_002.png", "shot_4_B_x.png"]
    assert report.placeholders == 1


def test_text_that_does_not_fit_cuts_the_action_never_the_dialogue(doc, tmp_path) -> None:
    from storyboard_app.model import DialogueLine

    shot = doc.project.all_shots()[0]
    shot.prompt = "rain " * 400
    shot.notes = "keep this note"
    shot.dialogue = [DialogueLine("l1", "", "First line of dialogue, rather long for a small panel."),
                     DialogueLine("l2", "", "Second line that must not vanish either.")]
    report = build_deck(doc.project, doc.paths.root, tmp_path / "d.pdf", DeckOptions(layout="4x3"))
    assert report.pages == 2  # the long text did not push anything onto a new page
    text = " ".join(PdfReader(str(tmp_path / "d.pdf")).pages[1].extract_text().split())
    assert "rain rain…" in text or "rain …" in text  # the action is cut, visibly
    assert "NARRATOR: First line of dialogue, rather long for a small panel." in text
    assert "NARRATOR: Second line that must not vanish either." in text
    assert "Note: keep this note" in text
    assert "4/B x" in text  # the next panels are intact
