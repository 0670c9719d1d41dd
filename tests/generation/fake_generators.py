"""Generators that misbehave on purpose, importable by spawned worker processes.

Behaviour is chosen by a word in the prompt, so one batch can mix good and bad shots:
"boom" raises, "hang" ignores cancel and sleeps forever, "die" kills its worker process,
"slow" runs for a while checking cancel; "steady" writes its MP4 first and then keeps working for
a while (as a real generator that streams frames into its output does: deleting its partial file
under it loses the clip); "ffslow" runs a long ffmpeg (so a worker has a child process to take
down with it); "nomodel" fails with a setup error; anything else writes a tiny real MP4.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from storyboard_app.generation.protocol import (
    Availability,
    Capabilities,
    GenerationResult,
    GeneratorSetupError,
)
from storyboard_app.media.ffmpeg import run_ffmpeg


def _write_clip(request, output: Path) -> None:  # noqa: ANN001
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=0x{request.seed % 0xFFFFFF:06x}:s={request.width}x{request.height}:r={request.fps}",
                "-frames:v", str(request.frames), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                str(output)])


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
        if "nomodel" in prompt:
            raise GeneratorSetupError("model 'nobody/none' is not available locally")
        if "ffslow" in prompt:
            run_ffmpeg(["-re", "-f", "lavfi", "-i", "color=c=black:s=64x36:r=10:d=120", "-f", "null", "-"],
                       cancelled=cancel)
        if "steady" in prompt:
            _write_clip(request, output)
            for step in range(40):
                cancel.raise_if_cancelled()
                progress(0.1 + 0.9 * step / 40, f"step {step}")
                time.sleep(0.05)
            return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height)
        if "slow" in prompt:
            for step in range(100):
                cancel.raise_if_cancelled()
                progress(0.1 + 0.9 * step / 100, f"step {step}")
                time.sleep(0.05)
        _write_clip(request, output)
        progress(1.0, "done")
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height)


class FakeGpuGenerator(FakeGenerator):
    """A "GPU" generator: appends ``pid start end`` per job to the file named by its ``log``
    setting, so a test can check that no two GPU jobs overlapped and which worker ran each."""

    id = "fakegpu"
    capabilities = Capabilities(output="clip", needs_gpu=True)

    def generate(self, request, output: Path, progress, cancel) -> GenerationResult:  # noqa: ANN001
        started = time.time()
        time.sleep(0.4)
        result = super().generate(request, output, progress, cancel)
        with open(request.settings["log"], "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {started} {time.time()}\n")
        return result


class FakeBrokenInit(FakeGenerator):
    """Importable, but cannot be constructed in a worker (a broken installation)."""

    id = "fakebroken"

    def __init__(self) -> None:
        raise RuntimeError("CUDA driver not found")


class FakeRemoteGenerator(FakeGenerator):
    """A "remote API" generator with no price: style-test estimates say its cost is unknown."""

    id = "fakeremote"
    capabilities = Capabilities(output="clip", remote=True)
