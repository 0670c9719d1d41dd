"""The ComfyUI generator: a shot through a workflow on a self-hosted ComfyUI server.

Flow: upload the first-frame image (``POST /upload/image``), fill the workflow through its
mapping, open the websocket, submit (``POST /prompt`` with our own UUID ``prompt_id``), report
the accepted job (``report_remote_job``) so a restart resumes it instead of submitting twice,
follow it (websocket, else polling ``/history``), download the result (``GET /view``, size-limited,
checked), and conform it to the shot: a still is animated with the shot's camera move like the
diffusers still mode; a video is scaled, cropped, resampled and held to the shot's length.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from storyboard_app.generation.protocol import (
    Availability,
    CancelToken,
    Capabilities,
    GenerationCancelled,
    GenerationError,
    GenerationResult,
    GeneratorSetupError,
    ProgressCallback,
    report_remote_job,
)
from storyboard_app.generation.request import ShotRequest

from .client import ComfyClient, ComfyError
from .follow import JobFollower, check_entry, open_websocket
from .outputs import (
    ANIMATED_IMAGE_SUFFIXES,
    OutputFile,
    animate,
    check_content_type,
    check_image,
    check_result,
    check_video,
    conform_animated_image,
    conform_clip,
    pick_output,
)
from .settings import SETTINGS_SCHEMA, ComfySettings
from .workflow import Workflow, load_workflow

SERVICE = "comfyui"


class ComfyUIGenerator:
    id = SERVICE
    version = "1"
    label = "ComfyUI server (your workflow)"
    #: two at once: one runs while the next waits in ComfyUI's queue, so the GPU never idles
    capabilities = Capabilities(output="clip", supports_seed=True, supports_reference_images=True,
                                remote=True, needs_gpu=False, max_concurrency=2)
    settings_schema: dict[str, Any] = SETTINGS_SCHEMA

    def check(self, settings: dict[str, Any] | None = None) -> Availability:
        """Whether the server answers (``GET /system_stats``), for the generator picker."""
        try:
            config = ComfySettings.from_settings(settings or {})
        except GeneratorSetupError as exc:
            return Availability(False, str(exc))
        # short: the picker asks every generator, and an unreachable host must not hold it up
        quick = dataclasses.replace(config.timeouts, connect=min(config.timeouts.connect, 3.0))
        try:
            with ComfyClient(config.url, headers=config.headers, timeouts=quick) as client:
                stats = client.system_stats(timeout=min(config.timeouts.read, 5.0))
        except ComfyError as exc:
            reason = str(exc).removeprefix(f"ComfyUI at {config.url}: ")
            return Availability(False, f"ComfyUI not reachable at {config.url}: {reason}")
        system = stats.get("system") if isinstance(stats.get("system"), dict) else {}
        devices = stats.get("devices") if isinstance(stats.get("devices"), list) else []
        version = system.get("comfyui_version") or "?"
        device = devices[0].get("name") if devices and isinstance(devices[0], dict) else "no device listed"
        return Availability(True, f"ComfyUI {version} at {config.url} ({device})")

    # --- generation ---
    def generate(self, request: ShotRequest, output: Path, progress: ProgressCallback,
                 cancel: CancelToken) -> GenerationResult:
        started = time.perf_counter()
        config = ComfySettings.from_settings(dict(request.settings))
        workflow = load_workflow(config.workflow, config.mapping)
        progress(0.0, f"ComfyUI: {workflow.name} at {config.url}")
        with ComfyClient(config.url, headers=config.headers, timeouts=config.timeouts,
                         retry=config.retry_policy(), cancelled=cancel.is_cancelled) as client, \
                tempfile.TemporaryDirectory(prefix="comfyui-") as tmp:
            prompt_id, entry, resumed = self._run(request, workflow, config, client, progress, cancel, Path(tmp))
            files = pick_output(entry, workflow.output, workflow.result_node, prompt_id)
            try:
                self._deliver(files, client, config, workflow, request, Path(tmp), output, progress, cancel)
            except ComfyError as exc:
                if not (resumed and exc.status == 404) or request.run_options.get("follow_only"):
                    raise
                # a finished job from before the restart whose files were since deleted on the
                # server: make it again (resuming the same job would only find the same hole)
                progress(0.05, "the resumed job's output is gone from the server: submitting again")
                fresh = dataclasses.replace(request, remote_job=None)
                prompt_id, entry, resumed = self._run(fresh, workflow, config, client, progress, cancel, Path(tmp))
                files = pick_output(entry, workflow.output, workflow.result_node, prompt_id)
                self._deliver(files, client, config, workflow, request, Path(tmp), output, progress, cancel)
        progress(1.0, "done")
        return GenerationResult(
            output, "clip", request.frames, request.fps, request.width, request.height,
            time.perf_counter() - started,
            {"workflow": workflow.name, "prompt_id": prompt_id, "server": config.url,
             "outputs": [f.filename for f in files], "resumed": resumed},
        )

    def _run(self, request: ShotRequest, workflow: Workflow, config: ComfySettings, client: ComfyClient,
             progress: ProgressCallback, cancel: CancelToken, tmp: Path) -> tuple[str, dict[str, Any], bool]:
        """Resume the shot's job when the server still has it, else submit; follow to the end."""
        job = request.remote_job if _is_ours(request.remote_job, config.url) else None
        graph: dict[str, Any] | None = None
        state = "pending"
        if job is not None:
            prompt_id, client_id = str(job["job_id"]), str(job.get("client_id") or uuid.uuid4().hex)
            progress(0.02, f"resuming ComfyUI job {prompt_id}")
            entry = client.history(prompt_id)
            if entry is not None:
                try:
                    return prompt_id, check_entry(entry, prompt_id, workflow.graph, False), True
                except GenerationCancelled:
                    job = None  # interrupted on the server while the app was away
                except ComfyError:
                    raise  # a malformed answer: not a reason to run the shot again
                except GenerationError as exc:
                    # it failed while the app was away; generating again means trying again
                    # (a self-hosted server: no cost), or the take would repeat the old failure
                    progress(0.02, f"the earlier job failed ({exc}): submitting again")
                    job = None
            else:
                state, _ = client.queue_state(prompt_id)
                if state == "unknown":
                    progress(0.02, "the server no longer has the job: submitting it again")
                    job = None
        if job is None and request.run_options.get("follow_only"):
            # a job accepted before the shot was edited: its request is gone, so it is never
            # submitted again; the take ends failed instead of "running" forever
            raise GenerationError("the ComfyUI job accepted before the shot was edited is no longer on "
                                  f"{config.url} (or failed there); it is not submitted again")
        if job is None:
            state = "pending"
            prompt_id, client_id = str(uuid.uuid4()), uuid.uuid4().hex
            graph = self._prepare(request, workflow, config, client, progress, tmp)
        # the socket opens before the prompt is submitted, so no message about it is missed
        ws = open_websocket(config.url, client_id, client.headers, config.timeouts.connect) if config.websocket else None
        try:
            if graph is not None:
                cancel.raise_if_cancelled()
                progress(0.08, "submitting to ComfyUI")
                prompt_id = str(client.submit(graph, prompt_id, client_id)["prompt_id"])
                # from here on the server has the job: record it before anything else can fail
                report_remote_job(progress, {"service": SERVICE, "endpoint": config.url, "job_id": prompt_id,
                                             "client_id": client_id, "workflow": workflow.name})
                progress(0.1, "queued on ComfyUI")
        except BaseException:
            if ws is not None:
                ws.close()
            raise
        follower = JobFollower(client, prompt_id, client_id, graph or workflow.graph, progress, cancel,
                               poll_interval=config.poll_interval, job_timeout=config.timeouts.job, ws=ws)
        follower.state = state
        return prompt_id, follower.follow(), graph is None

    def _prepare(self, request: ShotRequest, workflow: Workflow, config: ComfySettings, client: ComfyClient,
                 progress: ProgressCallback, tmp: Path) -> dict[str, Any]:
        width, height = workflow.size_for(request.width, request.height)
        values: dict[str, Any] = {
            "prompt": request.prompt, "negative": request.negative_prompt, "seed": int(request.seed),
            "width": width, "height": height, "frames": workflow.frames_for(request.seconds), "fps": workflow.fps,
        }
        if workflow.needs_image:
            image = self._first_frame(request, workflow, config, tmp, (width, height))
            progress(0.04, f"uploading {image.name}")
            digest = hashlib.sha256(image.read_bytes()).hexdigest()[:16]
            values["image"] = client.upload_image(image, f"storyboard_{digest}{image.suffix.lower() or '.png'}")
        return workflow.fill(values)

    @staticmethod
    def _first_frame(request: ShotRequest, workflow: Workflow, config: ComfySettings, tmp: Path,
                     size: tuple[int, int]) -> Path:
        """The image an image-to-video workflow starts from: the setting ``first_frame`` (a file,
        or ``"sketch"``: the sketch generator's drawing of the shot, so the characters keep the
        look the sketch gives them), else the first reference image of the shot's characters."""
        if config.first_frame == "sketch":
            from generators.sketch.painter import paint

            path = tmp / "sketch_first_frame.png"
            paint(request, *size).save(path)
            return path
        if config.first_frame:
            image = Path(config.first_frame).expanduser()
        elif request.reference_images:
            image = Path(request.reference_images[0])
        else:
            raise GenerationError(f"workflow {workflow.name} starts from an image: give a character in this "
                                  "shot a reference image, or set the comfyui setting 'first_frame' (a file, "
                                  "or \"sketch\" to start from the sketch of the shot)")
        if not image.is_file():
            raise GenerationError(f"{image}: first-frame image not found (comfyui setting 'first_frame' or "
                                  "a character's reference image)")
        return image

    def _deliver(self, files: list[OutputFile], client: ComfyClient, config: ComfySettings, workflow: Workflow,
                 request: ShotRequest, tmp: Path, output: Path, progress: ProgressCallback,
                 cancel: CancelToken) -> None:
        progress(0.87, f"downloading {files[0].filename}" + (f" (+{len(files) - 1} frames)" if len(files) > 1 else ""))
        paths = []
        budget = config.max_download_bytes
        for index, item in enumerate(files):
            suffix = item.suffix or (".mp4" if item.kind == "video" else ".png")
            dest = tmp / (f"frame_{index:05d}{suffix}" if len(files) > 1 else f"result{suffix}")
            content_type = client.download(item.view_params(), dest, budget)
            check_content_type(content_type, item.filename)
            budget -= dest.stat().st_size
            paths.append(dest)
        cancel.raise_if_cancelled()
        progress(0.93, "conforming to the shot")
        if len(paths) > 1:  # a clip workflow that saved its frames as images
            for path, item in zip(paths, files, strict=True):
                check_image(path, item.filename)
            conform_clip(tmp / f"frame_%05d{paths[0].suffix}", output, request, cancel, sequence_fps=workflow.fps)
        elif files[0].kind == "image":
            size = check_image(paths[0], files[0].filename)
            animate(paths[0], output, request, cancel, size)
        elif files[0].suffix in ANIMATED_IMAGE_SUFFIXES:
            conform_animated_image(paths[0], output, request, cancel, workflow.fps)
        else:
            check_video(paths[0], files[0].filename)
            conform_clip(paths[0], output, request, cancel)
        check_result(output, request)


def _is_ours(job: dict[str, Any] | None, url: str) -> bool:
    """A recorded job this server can resume (same service, same endpoint, an id)."""
    return (isinstance(job, dict) and job.get("service") == SERVICE and bool(job.get("job_id"))
            and str(job.get("endpoint", "")).rstrip("/") == url.rstrip("/"))
