from __future__ import annotations

from pathlib import Path

import pytest
from render_fixtures import build_document

from storyboard_app.model import Document


@pytest.fixture
def document(tmp_path: Path) -> Document:
    return build_document(tmp_path)
