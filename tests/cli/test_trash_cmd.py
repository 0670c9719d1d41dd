"""``storyboard-app trash PROJECT [--empty]``: the explicit way to delete trashed take files."""

from __future__ import annotations

import pytest

from storyboard_app.cli import main
from storyboard_app.model import Document, Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.model.trash import list_trash, trash_unreferenced_takes


@pytest.fixture
def bundle(tmp_path):
    take = Take(id="tk_keep", generator_id="sketch", media_path="media/takes/s1/tk_keep.mp4",
                status=TakeStatus.DONE)
    shot = Shot(id="s1", number="1", duration=6, takes=[take], selected_take_id="tk_keep")
    project = Project(title="t", fps=12, width=160, height=90, sequences=[Sequence("q", "Scene", [shot])])
    root = Document(project, tmp_path / "trash.sbproj").save()
    for name in ("tk_keep", "tk_gone"):
        file = root / "media/takes/s1" / f"{name}.mp4"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"x" * 100)
    trash_unreferenced_takes(project, root, grace=0)
    return root


def test_trash_lists_and_empty_deletes(bundle, capsys):
    assert main(["trash", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert "media/takes/s1/tk_gone.mp4" in out and "1 file(s), 100 bytes" in out
    assert main(["trash", str(bundle), "--empty", "--older-than", "1"]) == 0  # too recent: kept
    assert "deleted 0 file(s)" in capsys.readouterr().out
    assert main(["trash", str(bundle), "--empty"]) == 0
    assert "deleted 1 file(s), 100 bytes" in capsys.readouterr().out
    assert list_trash(bundle) == []
    assert (bundle / "media/takes/s1/tk_keep.mp4").exists()


def test_older_than_needs_empty(bundle, capsys):
    assert main(["trash", str(bundle), "--older-than", "3"]) == 2
