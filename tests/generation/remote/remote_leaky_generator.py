"""A generator whose remote job record carries a secret (a buggy plugin), for the service test."""

from __future__ import annotations

from pathlib import Path

from storyboard_app.generation.protocol import (
    Availability,
    Capabilities,
    GenerationResult,
    report_remote_job,
)
from storyboard_app.media.ffmpeg import run_ffmpeg


class LeakyGenerator:
    id = "leaky"
    version = "1"
    label = "leaky"
    capabilities = Capabilities(output="clip", remote=True, max_concurrency=1)
    settings_schema: dict = {}

    def check(self) -> Availability:
        return Availability(True, "test generator")

    def generate(self, request, output: Path, progress, cancel) -> GenerationResult:  # noqa: ANN001
        report_remote_job(progress, {"service": "leaky", "job_id": "j1", "api_key": "sk-must-not-be-saved"})
        run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=gray:s={request.width}x{request.height}:r={request.fps}",
                    "-frames:v", str(request.frames), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", str(output)])
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height)
