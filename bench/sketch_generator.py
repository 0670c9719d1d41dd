"""Sketch generator speed at 1280x720, 24 fps, on ONE core (issue 4: target >= 10x real time).

For each shot of the example project (every shot size and camera move it uses), the sketch
generator paints the still and animates the move. The physical reference, measured in the same
run on the same core, is a direct ffmpeg encode of the same still at the same size and codec
settings with no move: the floor any still-based clip generator stands on.

    .venv/bin/python bench/sketch_generator.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from generators.sketch import SketchGenerator
from generators.sketch.painter import paint
from storyboard_app.generation.protocol import CancelToken
from storyboard_app.generation.request import build_request
from storyboard_app.media.camera import still_size
from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import load_project

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "night_market.sbproj"


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # ffmpeg children inherit it
    project = load_project(EXAMPLE)
    generator = SketchGenerator()
    clip_seconds = app_seconds = ref_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for shot in project.all_shots():
            request = build_request(project, shot, None, "sketch")
            out = Path(tmp) / f"{shot.id}.mp4"
            started = time.perf_counter()
            generator.generate(request, out, lambda f, m: None, CancelToken())
            app_seconds += time.perf_counter() - started
            clip_seconds += request.frames / request.fps
            # reference: the same still, encoded straight by ffmpeg, no move, same settings
            still = Path(tmp) / "still.png"
            paint(request, *still_size(request.width, request.height)).save(still, compress_level=1)
            started = time.perf_counter()
            run_ffmpeg(["-y", "-threads", "1", "-i", str(still), "-vf",
                        f"format=yuv420p,loop=loop={request.frames - 1}:size=1:start=0,setpts=N/{request.fps}/TB,"
                        f"crop={request.width}:{request.height}",
                        "-frames:v", str(request.frames), "-r", str(request.fps), "-c:v", "libx264",
                        "-preset", "ultrafast", "-tune", "stillimage", "-crf", "23", "-pix_fmt", "yuv420p",
                        "-threads", "1", "-an", str(Path(tmp) / "ref.mp4")])
            ref_seconds += time.perf_counter() - started
    speed = clip_seconds / app_seconds
    ref_speed = clip_seconds / ref_seconds
    print(f"sketch generator, 1280x720 @ {project.fps} fps, one core: {clip_seconds:.0f} s of clips "
          f"({len(project.all_shots())} shots) in {app_seconds:.2f} s = {speed:.1f}x real time (target >= 10x)")
    print(f"reference (ffmpeg encode of the same stills, no move): {ref_seconds:.2f} s = {ref_speed:.1f}x real time")
    print(f"ratio app / reference time: {app_seconds / ref_seconds:.2f}")


if __name__ == "__main__":
    main()
