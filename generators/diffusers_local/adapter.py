"""The local diffusers generator: stills with camera moves, text/image-to-video, keyframe then
animate — with the shot's seed and the characters' reference images.

Real checkpoints, not only tiny ones (issue 15): each model renders at its native area for the
project's aspect (``planning.native_dims``) and the picture is upscaled with Lanczos to the size
the camera move needs; prompts over CLIP's 77 tokens are encoded in chunks on SD/SDXL
(``long_prompt``) and reported when a model cuts them; video length follows the shot through the
model's frame-count rule, as continued segments or a documented conform (``planning.plan_video``).

torch and diffusers are imported inside the methods, so listing generators, or importing this
package, stays cheap; generation itself runs in a worker process that keeps pipelines loaded.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import subprocess
import tempfile
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from storyboard_app.generation.prompt_tokens import PromptCheck
from storyboard_app.generation.protocol import (
    Availability,
    CancelToken,
    Capabilities,
    GenerationCancelled,
    GenerationError,
    GenerationResult,
    ProgressCallback,
)
from storyboard_app.generation.request import ShotRequest
from storyboard_app.media.camera import animate_still, still_size
from storyboard_app.media.ffmpeg import ffmpeg_exe

from .loading import EVICTION_LISTENERS, load_pipeline, pipeline_key, resolve_model
from .long_prompt import long_prompt_kwargs, supports_long_prompt
from .planning import VideoPlan, native_dims, plan_video
from .presets import DEFAULT_IMAGE_PRESET, DEFAULT_VIDEO_PRESET, PRESETS, Preset

MODES = ("still", "video", "keyframe")
#: IP-Adapter embeddings of one reference image: (pipeline key, image sha256, cfg) -> tensor,
#: least recently used first; bounded, and a pipeline's entries go when the pipeline is evicted
_EMBEDS: OrderedDict[tuple, Any] = OrderedDict()
MAX_EMBEDS = 64


def _drop_embeds(pipe_key: tuple) -> None:
    for key in [k for k in _EMBEDS if k[0] == pipe_key]:
        del _EMBEDS[key]


EVICTION_LISTENERS.append(_drop_embeds)


class DiffusersGenerator:
    id = "diffusers"
    #: 3: native-size generation, chunked long prompts, shot-length video (2: moves run the named way)
    version = "3"
    label = "Local diffusers (GPU, CPU fallback)"
    capabilities = Capabilities(output="clip", supports_seed=True, supports_reference_images=True, needs_gpu=True)
    settings_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "mode": {"enum": list(MODES), "default": "still"},
            "model": {"type": "string", "description": "preset name, model id or local folder (still/keyframe)"},
            "video_model": {"type": "string", "description": "preset, id or folder (video / keyframe animation)"},
            "steps": {"type": "integer"},
            "guidance": {"type": "number"},
            "frames": {"type": "integer", "description": "most video frames per generation (segment length)"},
            "video_fps": {"type": "integer", "description": "the video model's frame rate"},
            "native_size": {"type": "array", "description": "[w, h] the model is trained at (overrides the preset)"},
            "size_multiple": {"type": "integer", "description": "width/height multiple (overrides the preset)"},
            "device": {"enum": ["auto", "cuda", "mps", "cpu"], "default": "auto"},
            "dtype": {"enum": ["auto", "float32", "float16", "bfloat16"], "default": "auto"},
            "ip_adapter": {"type": "object", "description": "{path, weight_name, subfolder, image_encoder_folder, scale}"},
            "cpu_offload": {"type": "boolean"},
            "vae_tiling": {"type": "boolean"},
            "vae_slicing": {"type": "boolean"},
            "compile": {"type": "boolean", "description": "torch.compile the denoiser"},
            "max_pipelines": {"type": "integer", "description": "pipelines kept loaded (LRU), default 2"},
            "gpu_reserve_gb": {"type": "number", "description": "free GPU memory kept before a load, default 4"},
        },
    }

    @classmethod
    def prompt_limit(cls, settings: dict[str, Any]) -> tuple[str, int, bool] | None:
        """(model, token limit, chunked long prompts?) of the model these settings select."""
        mode = settings.get("mode", "still")
        name = settings.get("video_model", DEFAULT_VIDEO_PRESET) if mode == "video" else \
            settings.get("model", DEFAULT_IMAGE_PRESET)
        preset = PRESETS.get(name)
        if preset is not None:
            return preset.name, preset.prompt_tokens, preset.long_prompt
        index = Path(str(name)).expanduser() / "model_index.json"
        try:
            pipeline_class = json.loads(index.read_text()).get("_class_name", "")
        except (OSError, ValueError):
            return None
        for marker, limit, chunked in (("StableDiffusion", 77, True), ("AnimateDiff", 77, True), ("LTX", 128, False),
                                       ("Wan", 512, False), ("Flux", 256, False)):
            if marker in pipeline_class:
                return Path(name).name, limit, chunked
        return None

    def check(self) -> Availability:
        try:
            import importlib.util

            if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
                return Availability(False, "torch and diffusers are not installed: pip install 'storyboard-app[diffusers]'")
            import torch
        except Exception as exc:  # noqa: BLE001
            return Availability(False, f"torch failed to import: {exc}")
        if torch.cuda.is_available():
            return Availability(True, f"torch {torch.__version__}, CUDA on {torch.cuda.get_device_name(0)}")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return Availability(True, f"torch {torch.__version__}, Apple MPS")
        return Availability(True, f"torch {torch.__version__} installed, no CUDA, will run on CPU (slow)")

    # --- generation ---
    def generate(self, request: ShotRequest, output: Path, progress: ProgressCallback,
                 cancel: CancelToken) -> GenerationResult:
        started = time.perf_counter()
        settings = dict(request.settings)
        mode = settings.get("mode", "still")
        if mode not in MODES:
            raise GenerationError(f"unknown diffusers mode {mode!r} (choose {', '.join(MODES)})")
        meta: dict[str, Any] = {"mode": mode}
        with tempfile.TemporaryDirectory(prefix="diffusers-") as tmp:
            if mode == "still":
                image = self._still(request, settings, progress, cancel, 0.0, 0.85, meta)
                still = Path(tmp) / "still.png"
                image.save(still)
                progress(0.9, "animating camera move")
                animate_still(still, output, width=request.width, height=request.height, fps=request.fps,
                              frames=request.frames, move=request.camera_move, strength=request.camera_strength,
                              seed=request.seed, cancelled=cancel.is_cancelled)
            elif mode == "video":
                frames, fps, plan = self._video(request, settings, progress, cancel, None, meta)
                self._write_video(frames, fps, plan, request, output)
            else:  # keyframe: the consistent still first, then animate it
                keyframe = self._still(request, settings, progress, cancel, 0.0, 0.4, meta)
                frames, fps, plan = self._video(request, settings, progress, cancel, keyframe, meta)
                self._write_video(frames, fps, plan, request, output)
        progress(1.0, "done")
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height,
                                time.perf_counter() - started, meta)

    def _call(self, pipe, kwargs: dict[str, Any], steps: int, progress: ProgressCallback,  # noqa: ANN001
              cancel: CancelToken, start: float, span: float, label: str):  # noqa: ANN202
        """Run a pipeline with step progress; cancel through the pipeline's documented interrupt
        (a ``callback_on_step_end`` that sets ``pipeline._interrupt``: the loop stops after the step)."""

        def on_step(pipeline, step: int, _timestep, callback_kwargs):  # noqa: ANN001, ANN202
            progress(start + span * (step + 1) / max(steps, 1), f"{label}: step {step + 1}/{steps}")
            if cancel.is_cancelled():
                pipeline._interrupt = True
            return callback_kwargs

        cancel.raise_if_cancelled()
        if "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:
            kwargs = {**kwargs, "callback_on_step_end": on_step}
        result = pipe(**kwargs, num_inference_steps=steps)
        if cancel.is_cancelled():
            raise GenerationCancelled("cancelled between denoising steps")
        return result

    def _generator(self, device: str, seed: int):  # noqa: ANN202
        import torch

        # a fresh generator per shot: the shot's seed alone decides the noise
        return torch.Generator("cpu" if device == "mps" else device).manual_seed(int(seed) % 2**63)

    def _prompt(self, pipe, request: ShotRequest, kwargs: dict[str, Any], cfg: bool, device: str,  # noqa: ANN001
                preset: Preset | None, label: str, progress: ProgressCallback, meta: dict[str, Any]) -> None:
        """Put the prompt into ``kwargs``: as text, or as chunked embeddings when it is longer than
        the CLIP window and the pipeline allows it; report a cut prompt (real tokenizer count).

        The tokenizer that reads the prompt is ``tokenizer``, except on transformer pipelines with
        a second (T5) tokenizer (FLUX, SD3), where CLIP only gives the pooled embedding."""
        tokenizer = getattr(pipe, "tokenizer", None)
        if getattr(pipe, "unet", None) is None and getattr(pipe, "tokenizer_2", None) is not None:
            tokenizer = pipe.tokenizer_2
        limit = preset.prompt_tokens if preset else int(getattr(tokenizer, "model_max_length", 0) or 0)
        if tokenizer is None or not 0 < limit < 100_000:  # no tokenizer, or no window to overflow
            kwargs["prompt"] = request.prompt
            if request.negative_prompt and cfg:
                kwargs["negative_prompt"] = request.negative_prompt
            return
        tokens = len(tokenizer(request.prompt, truncation=False, add_special_tokens=True)["input_ids"])
        chunked = supports_long_prompt(pipe) and tokens > limit
        check = PromptCheck(tokens, limit, label, chunked, estimated=False)
        if check.message():
            meta["prompt_warning"] = check.message()
            progress(0.0, f"warning: {check.message()}")
        if chunked:
            kwargs.update(long_prompt_kwargs(pipe, request.prompt, request.negative_prompt if cfg else "", cfg, device))
        else:
            kwargs["prompt"] = request.prompt
            if request.negative_prompt and cfg:
                kwargs["negative_prompt"] = request.negative_prompt

    def _still(self, request: ShotRequest, settings: dict[str, Any], progress: ProgressCallback,
               cancel: CancelToken, start: float, span: float, meta: dict[str, Any]):  # noqa: ANN202
        from PIL import Image

        name = settings.get("model", DEFAULT_IMAGE_PRESET)
        source, _kind = resolve_model(name)
        preset = PRESETS.get(name)
        progress(start, f"loading {source}")
        pipe, device = load_pipeline("image", source, settings)
        cancel.raise_if_cancelled()
        steps = int(settings.get("steps", preset.steps if preset else 4))
        guidance = float(settings.get("guidance", preset.guidance if preset else 0.0))
        width, height = self._native(pipe, preset, settings, request.width, request.height)
        meta["native_size"] = [width, height]
        kwargs: dict[str, Any] = {"width": width, "height": height, "guidance_scale": guidance,
                                  "generator": self._generator(device, request.seed), "output_type": "np"}
        self._prompt(pipe, request, kwargs, guidance > 1.0, device, preset,
                     preset.name if preset else Path(name).name, progress, meta)
        embeds = self._reference_embeds(pipe, request, device, guidance, settings)
        if embeds is not None:
            kwargs["ip_adapter_image_embeds"] = embeds
        result = self._call(pipe, kwargs, steps, progress, cancel, start, span, "still")
        array = (result.images[0] * 255).round().clip(0, 255).astype("uint8")
        image = Image.fromarray(array)
        target = still_size(request.width, request.height)  # the overscan the camera move needs
        return image if image.size == target else image.resize(target, Image.LANCZOS)

    def _native(self, pipe, preset: Preset | None, settings: dict[str, Any], width: int,  # noqa: ANN001
                height: int) -> tuple[int, int]:
        """The model's native area at the project's aspect (preset, setting, or the pipeline's own
        default size for a local folder)."""
        if settings.get("native_size"):
            native = tuple(int(v) for v in settings["native_size"])
        elif preset is not None:
            native = preset.native_size
        else:
            native = _pipeline_default_size(pipe)
        multiple = int(settings.get("size_multiple", preset.size_multiple if preset else _pipeline_multiple(pipe)))
        return native_dims(native, multiple, width, height)  # type: ignore[arg-type]

    def _reference_embeds(self, pipe, request: ShotRequest, device: str, guidance: float,  # noqa: ANN001
                          settings: dict[str, Any]):  # noqa: ANN202
        """IP-Adapter embeddings of all the shot's reference images (every character's), each
        image encoded once and cached by content; several images go to the adapter together
        (diffusers' multi-image input: one embedding per image along the image axis).

        A pipeline with an IP-Adapter loaded needs embeddings on every call: a shot without
        references gets a neutral grey image at scale 0 (no influence).
        """
        unet = getattr(pipe, "unet", None)
        if getattr(pipe, "image_encoder", None) is None or getattr(unet, "encoder_hid_proj", None) is None:
            return None
        import torch
        from PIL import Image

        cfg = guidance > 1.0
        paths = list(dict.fromkeys(request.reference_images))  # every character's images, once each
        scale = float((settings.get("ip_adapter") or {}).get("scale", 0.6)) if paths else 0.0
        pipe.set_ip_adapter_scale(scale)
        pipe_key = pipeline_key(pipe)
        per_image = []
        for path in paths or [None]:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else "neutral"
            key = (pipe_key, digest, cfg)
            if key in _EMBEDS:
                _EMBEDS.move_to_end(key)
            else:
                image = Image.open(path).convert("RGB") if path else Image.new("RGB", (224, 224), (128, 128, 128))
                _EMBEDS[key] = pipe.prepare_ip_adapter_image_embeds(
                    ip_adapter_image=[image], ip_adapter_image_embeds=None, device=device, num_images_per_prompt=1,
                    do_classifier_free_guidance=cfg)
                while len(_EMBEDS) > MAX_EMBEDS:
                    _EMBEDS.popitem(last=False)
            per_image.append(_EMBEDS[key])
        if len(per_image) == 1:
            return per_image[0]
        # one list entry per loaded adapter: stack the images' embeddings along the image axis
        return [torch.cat([embeds[i] for embeds in per_image], dim=1) for i in range(len(per_image[0]))]

    def _video(self, request: ShotRequest, settings: dict[str, Any], progress: ProgressCallback,
               cancel: CancelToken, keyframe, meta: dict[str, Any]):  # noqa: ANN001, ANN202
        import numpy as np
        from PIL import Image

        name = settings.get("video_model", DEFAULT_VIDEO_PRESET)
        source, _kind = resolve_model(name)
        preset = PRESETS.get(name)
        start = 0.4 if keyframe is not None else 0.0
        progress(start, f"loading {source}")
        pipe, device = load_pipeline("i2v" if keyframe is not None else "video", source, settings)
        cancel.raise_if_cancelled()
        steps = int(settings.get("steps_video", settings.get("steps", preset.steps if preset else 8)))
        guidance = float(settings.get("guidance_video", settings.get("guidance", preset.guidance if preset else 1.0)))
        fps = int(settings.get("video_fps", preset.fps if preset and preset.fps else request.fps))
        width, height = self._native(pipe, preset, settings, request.width, request.height)
        step = int(settings.get("frame_step", preset.frame_step if preset else _pipeline_frame_step(pipe)))
        top = int(settings.get("max_frames", settings.get(
            "frames", (preset.max_frames or preset.frames) if preset else 16) or 16))
        continuer = _continuation_pipeline(pipe) if (preset is None or preset.continues) else None
        plan = plan_video(request.frames / request.fps, fps, step=step, max_frames=top,
                          can_continue=continuer is not None)
        meta.update({"native_size": [width, height], "video_plan": plan.describe(), "model_frames": plan.frames})
        if plan.stretch > 1.0:
            progress(start, f"note: {plan.describe()} (the model cannot continue a clip)")
        base: dict[str, Any] = {"width": width, "height": height, "guidance_scale": guidance, "output_type": "np"}
        self._prompt(pipe, request, base, guidance > 1.0, device, preset,
                     preset.name if preset else Path(name).name, progress, meta)
        embeds = self._reference_embeds(pipe, request, device, guidance, settings)
        if embeds is not None:
            base["ip_adapter_image_embeds"] = embeds
        image = keyframe.resize((width, height), Image.LANCZOS) if keyframe is not None else None
        frames: list = []
        span = (0.95 - start) / len(plan.segments)
        for index, count in enumerate(plan.segments):
            runner = pipe if index == 0 else continuer
            kwargs = {**base, "num_frames": count, "generator": self._generator(device, request.seed + index)}
            if image is not None:
                kwargs["image"] = image
            label = "video" if len(plan.segments) == 1 else f"video segment {index + 1}/{len(plan.segments)}"
            result = self._call(runner, kwargs, steps, progress, cancel, start + index * span, span, label)
            segment = np.asarray(result.frames[0])
            frames.extend(segment if index == 0 else segment[1:])  # a continuation repeats its first frame
            last = (segment[-1] * 255).round().clip(0, 255).astype("uint8")
            image = Image.fromarray(last)
        return np.stack(frames), fps, plan

    def _write_video(self, frames, fps: int, plan: VideoPlan, request: ShotRequest,  # noqa: ANN001
                     output: Path) -> None:
        """Frames at the model's rate → the shot's size (Lanczos), fps and exact length.

        The plan made enough frames for the shot (or says how to conform: slow by repeating
        frames evenly, then play again from the start); at most a rounding frame is held at the end.
        """
        import numpy as np

        array = (np.asarray(frames) * 255).round().clip(0, 255).astype("uint8")
        if plan.stretch > 1.0 or len(array) < plan.needed:
            order = conform_indices(len(array), plan.needed, plan.stretch)
            array = array[order]
        _count, height, width = array.shape[:3]
        vf = (f"scale={request.width}:{request.height}:force_original_aspect_ratio=increase:flags=lanczos,"
              f"crop={request.width}:{request.height},fps={request.fps},"
              f"tpad=stop_mode=clone:stop_duration={2 / request.fps:.4f},format=yuv420p")
        proc = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-vf", vf, "-frames:v", str(request.frames),
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(output)],
            input=array.tobytes(), capture_output=True,
        )
        if proc.returncode != 0:
            raise GenerationError(f"writing the clip failed: {proc.stderr.decode(errors='replace').strip()[-300:]}")


def conform_indices(have: int, needed: int, stretch: float) -> list[int]:
    """Which source frame each of ``needed`` output frames shows: slowed ``stretch`` times by
    repeating frames evenly, then from the start again (never a held last frame)."""
    return [int(i / max(stretch, 1.0)) % have for i in range(needed)]


def _pipeline_default_size(pipe) -> tuple[int, int]:  # noqa: ANN001
    """A local folder's native size: the pipeline's own default ``width``/``height`` arguments,
    else the UNet's sample size times the VAE factor (SD-style pipelines default to that)."""
    params = inspect.signature(pipe.__call__).parameters
    w = params["width"].default if "width" in params else None
    h = params["height"].default if "height" in params else None
    if isinstance(w, int) and isinstance(h, int):
        return w, h
    unet = getattr(pipe, "unet", None)
    factor = int(getattr(pipe, "vae_scale_factor", 8))
    size = getattr(getattr(unet, "config", None), "sample_size", 64)
    size = size[0] if isinstance(size, (list, tuple)) else size
    return int(size) * factor, int(size) * factor


def _pipeline_multiple(pipe) -> int:  # noqa: ANN001
    if type(pipe).__name__.startswith("LTX"):  # LTX pipelines check for 32 whatever the VAE
        return 32
    spatial = getattr(pipe, "vae_spatial_compression_ratio", None) or getattr(pipe, "vae_scale_factor_spatial", None) \
        or getattr(pipe, "vae_scale_factor", None) or 8
    transformer = getattr(pipe, "transformer", None)
    patch = getattr(getattr(transformer, "config", None), "patch_size", 1) or 1
    patch = patch[-1] if isinstance(patch, (list, tuple)) else patch
    return max(int(spatial) * int(patch), 8)  # pipelines check for 8 even when their VAE is smaller


def _pipeline_frame_step(pipe) -> int:  # noqa: ANN001
    """The frame-count rule of a video pipeline: its VAE's temporal compression (8 for LTX: 8k+1)."""
    return int(getattr(pipe, "vae_temporal_compression_ratio", None) or getattr(pipe, "vae_scale_factor_temporal", None)
               or 1)


def _continuation_pipeline(pipe):  # noqa: ANN001, ANN202
    """An image-to-video pipeline sharing ``pipe``'s weights, to continue a clip from its last
    frame; None when the model family has none (then the clip is conformed)."""
    name = type(pipe).__name__
    if name == "LTXImageToVideoPipeline":
        return pipe
    if name == "LTXPipeline":
        from diffusers import LTXImageToVideoPipeline

        cached = getattr(pipe, "_storyboard_i2v", None)
        if cached is None:
            cached = LTXImageToVideoPipeline.from_pipe(pipe)
            cached.set_progress_bar_config(disable=True)
            pipe._storyboard_i2v = cached
        return cached
    return None
