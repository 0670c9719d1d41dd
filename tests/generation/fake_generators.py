"""Generators that misbehave on purpose, importable by spawned worker processes.

Behaviour is chosen by a word in the prompt, so one batch can mix good and bad shots:
"boom" raises, "hang" ignores cancel and sleeps forever, "die" kills its worker process,
"slow" runs for a while checking cancel; anything else writes a tiny real MP4.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from storyboard_app.generation.protocol import Availability, Capabilities, GenerationResult
from storyboard_app.media.ffmpeg import run_ffmpeg


class FakeGenerator:
    id = "fake"
    version = "1"
    label = "fake"
    capabilities = Capabilities(output="clip", max_concurrency=2)
    settings_schema: dict = {}

    def check(self) -> Availability:
        return Availability(True, "test generator")

    def generate(self, request, output: Path, progress, cancel) -> GenerationResult:  # noqa: ANN001
        prompt = request.shot_prompt
        output.write_bytes(b"partial")  # a half-written file, as a real generator would leave
        progress(0.1, "started")
        if "boom" in prompt:
            raise RuntimeError("the model exploded")
        if "die" in prompt:
            os._exit(3)
        if "hang" in prompt:
            while True:
                time.sleep(0.2)
        if "slow" in prompt:
            for step in range(100):
                cancel.raise_if_cancelled()
                progress(0.1 + 0.9 * step / 100, f"step {step}")
                time.sleep(0.05)
        run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=0x{request.seed % 0xFFFFFF:06x}:s={request.width}x{request.height}:r={request.fps}",
                    "-frames:v", str(request.frames), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(output)])
        progress(1.0, "done")
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height)
