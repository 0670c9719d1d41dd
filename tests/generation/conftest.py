from __future__ import annotations

from pathlib import Path

import pytest
from generation_fixtures import make_project

from storyboard_app.generation.registry import register_generator, unregister_generator
from storyboard_app.model import Document


@pytest.fixture
def fake_generator():
    register_generator("fake", "fake_generators:FakeGenerator")
    yield "fake"
    unregister_generator("fake")


@pytest.fixture
def make_document(tmp_path: Path):
    def make(prompts: list[str], frames: int = 12, generator: str = "sketch") -> Document:
        project = make_project(prompts, frames)
        project.generator = generator
        doc = Document(project, tmp_path / "p.sbproj")
        doc.save()
        return doc

    return make
