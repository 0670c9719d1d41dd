"""``storyboard-app validate --deep``: every take and cache entry decoded, damage named, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.cli import main
from storyboard_app.generation.service import generate_shots
from storyboard_app.model import Document, Project, Sequence, Shot


def truncate_half(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


@pytest.fixture
def generated(tmp_path) -> Document:
    """A tiny two-shot project (160x90, 12 fps) with sketch takes, saved."""
    shots = [Shot(id="s0", number="1", prompt="market at night", duration=12),
             Shot(id="s1", number="2", prompt="alley in rain", duration=12)]
    project = Project(title="t", fps=12, width=160, height=90, sequences=[Sequence("q", "Scene", shots)])
    doc = Document(project, tmp_path / "p.sbproj")
    generate_shots(doc)
    doc.save()
    return doc


def test_validate_deep_passes_a_healthy_project(generated, capsys):
    assert main(["validate", "--deep", str(generated.paths.root)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok:") and "damaged" not in err


def test_validate_deep_reports_a_truncated_take_with_exit_2(generated, capsys):
    shot = generated.project.all_shots()[1]
    take = shot.selected_take
    truncate_half(generated.paths.media_path(take.media_path))
    assert main(["validate", str(generated.paths.root)]) == 0  # the shallow check does not decode
    capsys.readouterr()
    assert main(["validate", "--deep", str(generated.paths.root)]) == 2
    out, err = capsys.readouterr()
    damaged = [ln for ln in err.splitlines() if "damaged media:" in ln]
    assert len(damaged) == 1
    assert f"shot 2 (s1) take {take.id} (selected): {take.media_path}: " in damaged[0]
    assert "truncated" in damaged[0]
    assert not out.startswith("ok:")


def test_validate_deep_reports_a_damaged_cache_entry_naming_its_shot(generated, capsys):
    shot = generated.project.all_shots()[0]
    digest = shot.selected_take.request_hash
    entry = generated.paths.cache / "clips" / digest[:2] / f"{digest}.mp4"
    entry.write_bytes(b"this is not a video any more")
    assert main(["validate", "--deep", str(generated.paths.root)]) == 2
    err = capsys.readouterr().err
    damaged = [ln for ln in err.splitlines() if "damaged media:" in ln]
    assert len(damaged) == 1 and "cache entry" in damaged[0] and "(shot 1)" in damaged[0]
    assert f"cache/clips/{digest[:2]}/{digest}.mp4" in damaged[0]


def test_validate_deep_sees_frames_missing_that_size_and_structure_hide(generated, capsys):
    """A take whose recorded frame count exceeds what decodes (no size recorded: an older take)."""
    take = generated.project.all_shots()[0].selected_take
    take.frames = (take.frames or 0) + 6
    take.size_bytes = None
    generated.save()
    assert main(["validate", "--deep", str(generated.paths.root)]) == 2
    assert "truncated: 12 of 18 recorded frames decode" in capsys.readouterr().err
