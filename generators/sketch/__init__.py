"""The built-in ``sketch`` previz generator: no weights, no GPU, deterministic, fast.

A request becomes one painted still (PIL, at the camera-move overscan size) that
``media.camera.animate_still`` turns into the shot's clip with its camera move, all per-frame
work done by ffmpeg in C. Benchmarked in ``bench/sketch_generator.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from storyboard_app.generation.protocol import (
    Availability,
    CancelToken,
    Capabilities,
    GenerationResult,
    ProgressCallback,
)
from storyboard_app.generation.request import ShotRequest
from storyboard_app.media.camera import animate_still, still_size


class SketchGenerator:
    id = "sketch"
    #: 2: camera moves go the way they are named, no caption baked in, looks from descriptions,
    #: the scene heading's setting, OTS/POV staging — clips cached by version 1 are not reused
    #: 3: styles change the look (lines, palette mapping, shading, paper, grain: stylize.py)
    #: 4: more garment words read a described coat's colour ("yellow oilskin", "navy peacoat");
    #: encoded at a constant quantiser (qp 21) unless the settings name a crf
    version = "4"
    label = "Sketch previz (built in)"
    capabilities = Capabilities(output="clip", supports_seed=True, needs_gpu=False)
    settings_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            # a constant quantiser: a third less CPU than a rate factor for these flat pictures
            "qp": {"type": "integer", "default": 21, "minimum": 0, "maximum": 51},
            # a constant rate factor instead, when set (projects made before "qp" kept theirs)
            "crf": {"type": "integer", "minimum": 0, "maximum": 51},
        },
    }

    def check(self) -> Availability:
        return Availability(True, "built in; CPU only, no model weights")

    def generate(
        self, request: ShotRequest, output: Path, progress: ProgressCallback, cancel: CancelToken
    ) -> GenerationResult:
        from .painter import paint
        from .stylize import grain_filter

        started = time.perf_counter()
        progress(0.05, "painting")
        sw, sh = still_size(request.width, request.height)
        image = paint(request, sw, sh)  # no text: labels and captions are the exporter's burn-ins
        cancel.raise_if_cancelled()
        progress(0.3, "animating camera move")
        with tempfile.TemporaryDirectory(prefix="sketch-") as tmp:
            still = Path(tmp) / "still.png"
            image.save(still, compress_level=1)
            animate_still(
                still, output, width=request.width, height=request.height, fps=request.fps,
                frames=request.frames, move=request.camera_move, strength=request.camera_strength,
                seed=request.seed, src_size=(sw, sh), **_rate_control(request.settings),
                cancelled=cancel.is_cancelled, post_filter=grain_filter(request.settings, request.seed),
            )
        progress(1.0, "done")
        return GenerationResult(
            output, "clip", request.frames, request.fps, request.width, request.height,
            time.perf_counter() - started,
        )


def _rate_control(settings: dict[str, Any]) -> dict[str, int]:
    """``animate_still``'s quality arguments: the settings' crf when they name one, else qp."""
    if settings.get("crf") is not None and settings.get("qp") is None:
        return {"crf": int(settings["crf"])}
    return {"qp": int(settings.get("qp", 21))}
