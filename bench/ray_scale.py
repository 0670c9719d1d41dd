"""Ray executor overhead and a scale-out projection (issue 19).

The same 60-shot sketch batch (default 640x360 @ 24 fps, 2 s per shot) is generated three ways,
each into a fresh project bundle, in one run:

* ``serial``: the sketch generator called in this process, one shot after another: the pure
  per-shot generation time ``t`` (no executor at all);
* ``local``: ``GenerationService`` on ``LocalProcessExecutor`` with ``--workers`` worker processes;
* ``ray``: ``GenerationService`` on ``RayExecutor`` on a local Ray instance with ``--workers`` CPUs
  (so as many actors as worker processes). Ray's own start-up (``ray.init``) is timed apart: a
  farm pays it once per session, not per batch.

Both executors run ``--repeat`` rounds in alternating order (the machine's load drifts; other
work may share it), and the medians are compared. Reported: both wall times, the ratio ray / local
(target <= 1.3 on 2 cores), each executor's per-job overhead measured directly (a batch of a
no-op generator that copies a ready clip, after a warm-up batch has started the workers/actors:
``overhead = wall * workers / shots``), and a projection for a farm:

    T(N nodes x G GPUs) = ceil(shots / (N * G)) * (t_shot + overhead_ray)

with ``t_shot`` the per-shot time of the generator on one GPU (``--shot-seconds``; measure it with
``bench/gpu_diffusers.py`` on the target GPU; by default the measured sketch time ``t``).

    .venv/bin/python bench/ray_scale.py [--shots 60] [--workers 2] [--size 640x360] [--seconds 2]
                                        [--repeat 2] [--shot-seconds 40] [--nodes 1,2,4,8] [--gpus-per-node 1]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storyboard_app.generation.jobs import LocalProcessExecutor
from storyboard_app.generation.protocol import (
    Availability,
    CancelToken,
    Capabilities,
    GenerationResult,
)
from storyboard_app.generation.registry import create_generator, register_generator
from storyboard_app.generation.request import build_request
from storyboard_app.generation.service import GenerationService, generate_shots
from storyboard_app.media.ffmpeg import run_ffmpeg
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

PROMPTS = ["a night market, lanterns", "Ada walks through the crowd", "rain on tin roofs", "Bo at a noodle stall",
           "a cat on a crate", "steam rises from a pot"]


def make_project(shots: int, width: int, height: int, seconds: float) -> Project:
    fps = 24
    chars = [Character("ch_a", "Ada", "a woman in a red coat", 1111),
             Character("ch_b", "Bo", "a man with a wide hat", 2222)]
    moves = [CameraMove.PUSH_IN, CameraMove.PAN_LEFT, CameraMove.STATIC, CameraMove.PULL_OUT]
    items = [Shot(id=f"s{i}", number=str(i + 1), prompt=PROMPTS[i % len(PROMPTS)] + f", take {i}",
                  duration=round(seconds * fps), size=[ShotSize.WS, ShotSize.MS, ShotSize.CU][i % 3],
                  camera_move=moves[i % len(moves)], characters=[["ch_a"], ["ch_a", "ch_b"], []][i % 3])
             for i in range(shots)]
    return Project(title="ray bench", fps=fps, width=width, height=height, seed=7,
                   styles=[Style("st", "Ink", "ink drawing", palette=["#334455"])], style_id="st",
                   characters=chars, sequences=[Sequence("q", "Market", items)])


class NullGenerator:
    """Copies a ready clip (``settings["clip"]``): a batch of it costs only the executor's own
    per-job work (dispatch, transport, writing, the service's cache and take), measured directly."""

    id = "null"
    version = "1"
    label = "null"
    capabilities = Capabilities(output="clip")
    settings_schema: dict = {}

    def check(self) -> Availability:
        return Availability(True, "benchmark generator")

    def generate(self, request, output: Path, progress, cancel) -> GenerationResult:  # noqa: ANN001
        shutil.copyfile(request.settings["clip"], output)
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height)


def null_project(shots: int, clip: Path) -> Project:
    project = make_project(shots, 160, 90, 0.5)
    project.generator = "null"
    project.generator_settings["null"] = {"clip": str(clip)}
    return project


def run_batch(root: Path, project: Project, factory, workers: int, warm: int = 0) -> float:  # noqa: ANN001
    """Wall time of generating the project's shots on a fresh service; with ``warm``, the first
    ``warm`` shots are generated first, untimed (workers/actors started, generator built), and
    only the rest is timed."""
    doc = Document(project, root / "p.sbproj")
    doc.save()
    shots = project.all_shots()
    with GenerationService(doc.paths.root, executor_factory=factory) as service:
        if warm:
            generate_shots(doc, shots[:warm], service=service, jobs=workers)
        started = time.perf_counter()
        report = generate_shots(doc, shots[warm:], service=service, jobs=workers)
        wall = time.perf_counter() - started
    if report.generated != len(shots) - warm:
        sys.exit(f"batch failed: {report.summary()} {report.failed[:3]}")
    return wall


def serial_time(root: Path, project: Project, count: int) -> float:
    generator = create_generator("sketch")
    shots = project.all_shots()[:count]
    started = time.perf_counter()
    for shot in shots:
        request = build_request(project, shot, root, "sketch")
        generator.generate(request, root / f"{shot.id}.mp4", lambda f, m="": None, CancelToken())
    return (time.perf_counter() - started) / len(shots)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=2, help="rounds of (local, ray), order alternating")
    parser.add_argument("--serial-shots", type=int, default=12, help="shots timed in-process for t")
    parser.add_argument("--shot-seconds", type=float, help="per-shot GPU time for the projection (default: t)")
    parser.add_argument("--nodes", default="1,2,4,8,16")
    parser.add_argument("--gpus-per-node", type=int, default=1)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    project = make_project(args.shots, width, height, args.seconds)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.shots} sketch shots, {width}x{height} @ 24 fps, {args.seconds:g} s each; "
          f"{args.workers} workers; {os.cpu_count()} CPUs, load average {load:.2f} at start")

    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        base = Path(tmp)
        (base / "serial").mkdir()
        t = serial_time(base / "serial", project, args.serial_shots)
        print(f"serial (in process): {t:.3f} s per shot")

        # the null generator must be importable by worker processes and Ray actors alike
        here = str(Path(__file__).resolve().parent)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        register_generator("null", "ray_scale:NullGenerator")
        null_clip = base / "null.mp4"
        run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=gray:s=160x90:r=24", "-frames:v", "12", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(null_clip)])

        import ray

        from storyboard_app.generation.ray_executor import RayExecutor

        started = time.perf_counter()
        ray.init(num_cpus=args.workers, num_gpus=0, include_dashboard=False, log_to_driver=False)
        init = time.perf_counter() - started
        print(f"ray.init (local instance, once per session): {init:.1f} s")
        locals_, remotes = [], []
        try:
            for round_ in range(args.repeat):  # alternate the order: the machine's load drifts
                order = [("local", LocalProcessExecutor), ("ray", RayExecutor)]
                for name, factory in order if round_ % 2 == 0 else order[::-1]:
                    wall = run_batch(base / f"{name}{round_}", make_project(args.shots, width, height, args.seconds),
                                     factory, args.workers)
                    (locals_ if name == "local" else remotes).append(wall)
                    print(f"  round {round_ + 1}: {name:5s} {wall:6.2f} s")
            nulls: dict[str, float] = {}
            warm = 2 * args.workers
            for name, factory in (("local", LocalProcessExecutor), ("ray", RayExecutor)):
                nulls[name] = run_batch(base / f"null-{name}", null_project(args.shots + warm, null_clip),
                                        factory, args.workers, warm=warm)
                print(f"  no-op generator, {name:5s}: {nulls[name]:6.2f} s")
        finally:
            ray.shutdown()
    local, remote = statistics.median(locals_), statistics.median(remotes)
    print(f"local worker processes ({args.workers}): median {local:.2f} s; local Ray ({args.workers} actors): "
          f"median {remote:.2f} s")

    ratio = remote / local
    # per-job overhead, measured directly: a batch of a generator that does nothing, per actor
    over_local = nulls["local"] * args.workers / args.shots
    over_ray = nulls["ray"] * args.workers / args.shots
    print(f"ratio ray / local: {ratio:.2f}x (target <= 1.3x)")
    print(f"per-job overhead (warm no-op generator batch x workers / shots): "
          f"local {over_local:.3f} s, ray {over_ray:.3f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at end: {load:.2f}")

    shot_seconds = args.shot_seconds if args.shot_seconds is not None else t
    print(f"\nprojection, {args.shots} shots, {shot_seconds:.2f} s per shot per GPU"
          f"{'' if args.shot_seconds is not None else ' (the measured sketch time)'}, "
          f"{args.gpus_per_node} GPU(s) per node, + {max(over_ray, 0):.3f} s per job:")
    for nodes in (int(n) for n in args.nodes.split(",")):
        actors = nodes * args.gpus_per_node
        total = math.ceil(args.shots / actors) * (shot_seconds + max(over_ray, 0.0))
        print(f"  {nodes:3d} node(s), {actors:3d} actors: {total:8.1f} s")


if __name__ == "__main__":
    main()
