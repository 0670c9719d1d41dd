from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.generation.registry import register_generator, unregister_generator
from storyboard_app.model import (
    CameraMove,
    Character,
    Document,
    Project,
    Sequence,
    Shot,
    ShotSize,
    Style,
)


@pytest.fixture
def fake_generator():
    register_generator("fake", "fake_generators:FakeGenerator")
    yield "fake"
    unregister_generator("fake")


def make_project(prompts: list[str], frames: int = 12) -> Project:
    """A tiny project (160x90, 12 fps) so real generation stays fast."""
    chars = [
        Character("ch_a", "Ada", "a woman in a red coat", 1111),
        Character("ch_b", "Bo", "a man with a wide hat", 2222),
    ]
    shots = [
        Shot(id=f"s{i}", number=str(i + 1), prompt=p, duration=frames,
             size=[ShotSize.WS, ShotSize.MS, ShotSize.CU][i % 3],
             camera_move=[CameraMove.PUSH_IN, CameraMove.PAN_LEFT, CameraMove.STATIC][i % 3],
             characters=[["ch_a"], ["ch_a", "ch_b"], []][i % 3])
        for i, p in enumerate(prompts)
    ]
    return Project(
        title="t", fps=12, width=160, height=90, seed=7, styles=[Style("st", "Ink", "ink drawing", palette=["#334455"])],
        style_id="st", characters=chars, sequences=[Sequence("q", "Scene", shots)],
    )


@pytest.fixture
def make_document(tmp_path: Path):
    def make(prompts: list[str], frames: int = 12, generator: str = "sketch") -> Document:
        project = make_project(prompts, frames)
        project.generator = generator
        doc = Document(project, tmp_path / "p.sbproj")
        doc.save()
        return doc

    return make
