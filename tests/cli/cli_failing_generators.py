"""A generator that always fails as a missing local model does; importable by worker processes."""

from __future__ import annotations

from pathlib import Path

from storyboard_app.generation.protocol import Availability, Capabilities, GenerationResult

MISSING = "model stabilityai/missing-model is not present locally (run storyboard-app models)"


class MissingModelGenerator:
    id = "missing_model"
    version = "1"
    label = "missing model"
    capabilities = Capabilities(output="clip", max_concurrency=2)
    settings_schema: dict = {}

    def check(self) -> Availability:
        return Availability(True, "test generator")

    def generate(self, request, output: Path, progress, cancel) -> GenerationResult:  # noqa: ANN001
        raise RuntimeError(MISSING)
