"""The local diffusers generator: stills with camera moves, text/image-to-video, keyframe then
animate — with the shot's seed and the characters' reference images.

torch and diffusers are imported inside the methods, so listing generators, or importing this
package, stays cheap; generation itself runs in a worker process that keeps pipelines loaded.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

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

from .loading import load_pipeline, resolve_model
from .presets import DEFAULT_IMAGE_PRESET, DEFAULT_VIDEO_PRESET, PRESETS

MODES = ("still", "video", "keyframe")
_EMBEDS: dict[tuple, Any] = {}  # IP-Adapter image embeddings by (pipeline, image hash, cfg)


class DiffusersGenerator:
    id = "diffusers"
    #: 2: still + move clips move the way the camera move is named (version 1 ran them backwards)
    version = "2"
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
            "frames": {"type": "integer", "description": "video frames per generation"},
            "video_fps": {"type": "integer", "description": "the video model's frame rate"},
            "device": {"enum": ["auto", "cuda", "mps", "cpu"], "default": "auto"},
            "dtype": {"enum": ["auto", "float32", "float16", "bfloat16"], "default": "auto"},
            "ip_adapter": {"type": "object", "description": "{path, weight_name, subfolder, image_encoder_folder, scale}"},
            "cpu_offload": {"type": "boolean"},
            "vae_tiling": {"type": "boolean"},
            "vae_slicing": {"type": "boolean"},
            "compile": {"type": "boolean", "description": "torch.compile the denoiser"},
            "local_files_only": {"type": "boolean"},
        },
    }

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
        with tempfile.TemporaryDirectory(prefix="diffusers-") as tmp:
            if mode == "still":
                image = self._still(request, settings, progress, cancel, 0.0, 0.85)
                still = Path(tmp) / "still.png"
                image.save(still)
                progress(0.9, "animating camera move")
                animate_still(still, output, width=request.width, height=request.height, fps=request.fps,
                              frames=request.frames, move=request.camera_move, strength=request.camera_strength,
                              seed=request.seed, cancelled=cancel.is_cancelled)
            elif mode == "video":
                frames, fps = self._video(request, settings, progress, cancel, None)
                self._write_video(frames, fps, request, output)
            else:  # keyframe: the consistent still first, then animate it
                keyframe = self._still(request, settings, progress, cancel, 0.0, 0.4)
                frames, fps = self._video(request, settings, progress, cancel, keyframe)
                self._write_video(frames, fps, request, output)
        progress(1.0, "done")
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height,
                                time.perf_counter() - started, {"mode": mode})

    def _call(self, pipe, kwargs: dict[str, Any], steps: int, progress: ProgressCallback,  # noqa: ANN001
              cancel: CancelToken, start: float, span: float, label: str):  # noqa: ANN202
        """Run a pipeline with step progress and cancel between steps (pipeline interrupt)."""

        def on_step(pipeline, step: int, _timestep, callback_kwargs):  # noqa: ANN001, ANN202
            progress(start + span * (step + 1) / max(steps, 1), f"{label}: step {step + 1}/{steps}")
            if cancel.is_cancelled():
                pipeline._interrupt = True
            return callback_kwargs

        result = pipe(**kwargs, num_inference_steps=steps, callback_on_step_end=on_step)
        if cancel.is_cancelled():
            raise GenerationCancelled("cancelled between denoising steps")
        return result

    def _generator(self, device: str, seed: int):  # noqa: ANN202
        import torch

        # a fresh generator per shot: the shot's seed alone decides the noise
        return torch.Generator("cpu" if device == "mps" else device).manual_seed(int(seed))

    def _still(self, request: ShotRequest, settings: dict[str, Any], progress: ProgressCallback,
               cancel: CancelToken, start: float, span: float):  # noqa: ANN202
        from PIL import Image

        source, _kind = resolve_model(settings.get("model", DEFAULT_IMAGE_PRESET))
        preset = PRESETS.get(settings.get("model", DEFAULT_IMAGE_PRESET))
        progress(start, f"loading {source}")
        pipe, device = load_pipeline("image", source, settings)
        cancel.raise_if_cancelled()
        steps = int(settings.get("steps", preset.steps if preset else 4))
        guidance = float(settings.get("guidance", preset.guidance if preset else 0.0))
        width, height = _multiple_of(still_size(request.width, request.height), 8)
        kwargs: dict[str, Any] = {
            "prompt": request.prompt, "width": width, "height": height, "guidance_scale": guidance,
            "generator": self._generator(device, request.seed), "output_type": "np",
        }
        if request.negative_prompt and guidance > 1.0:
            kwargs["negative_prompt"] = request.negative_prompt
        embeds = self._reference_embeds(pipe, request, device, guidance, settings)
        if embeds is not None:
            kwargs["ip_adapter_image_embeds"] = embeds
        result = self._call(pipe, kwargs, steps, progress, cancel, start, span, "still")
        array = (result.images[0] * 255).round().clip(0, 255).astype("uint8")
        return Image.fromarray(array)

    def _reference_embeds(self, pipe, request: ShotRequest, device: str, guidance: float,  # noqa: ANN001
                          settings: dict[str, Any]):  # noqa: ANN202
        """IP-Adapter embeddings of the shot's first reference image, computed once per image.

        A pipeline with an IP-Adapter loaded needs embeddings on every call: a shot without
        references gets a neutral grey image at scale 0 (no influence).
        """
        unet = getattr(pipe, "unet", None)
        if getattr(pipe, "image_encoder", None) is None or getattr(unet, "encoder_hid_proj", None) is None:
            return None
        from PIL import Image

        cfg = guidance > 1.0
        if request.reference_images:
            path = request.reference_images[0]
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            scale = float((settings.get("ip_adapter") or {}).get("scale", 0.6))
        else:
            path, digest, scale = None, "neutral", 0.0
        pipe.set_ip_adapter_scale(scale)
        key = (id(pipe), digest, cfg)
        if key not in _EMBEDS:
            image = Image.open(path).convert("RGB") if path else Image.new("RGB", (224, 224), (128, 128, 128))
            _EMBEDS[key] = pipe.prepare_ip_adapter_image_embeds(
                ip_adapter_image=[image], ip_adapter_image_embeds=None, device=device, num_images_per_prompt=1,
                do_classifier_free_guidance=cfg)
        return _EMBEDS[key]

    def _video(self, request: ShotRequest, settings: dict[str, Any], progress: ProgressCallback,
               cancel: CancelToken, keyframe):  # noqa: ANN001, ANN202
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
        frames = int(settings.get("frames", preset.frames if preset and preset.frames else 16))
        width, height = _multiple_of((request.width, request.height), int(settings.get("size_multiple", 32)))
        kwargs: dict[str, Any] = {
            "prompt": request.prompt, "num_frames": frames, "width": width, "height": height,
            "guidance_scale": guidance, "generator": self._generator(device, request.seed), "output_type": "np",
        }
        if keyframe is not None:
            kwargs["image"] = keyframe.resize((width, height))
        embeds = self._reference_embeds(pipe, request, device, guidance, settings)
        if embeds is not None:
            kwargs["ip_adapter_image_embeds"] = embeds
        result = self._call(pipe, kwargs, steps, progress, cancel, start, 0.95 - start, "video")
        video = result.frames[0]
        return video, fps

    def _write_video(self, frames, fps: int, request: ShotRequest, output: Path) -> None:  # noqa: ANN001
        """Frames at the model's rate → the shot's size, fps and exact length (last frame held)."""
        import numpy as np

        array = (np.asarray(frames) * 255).round().clip(0, 255).astype("uint8")
        count, height, width = array.shape[:3]
        vf = (f"scale={request.width}:{request.height}:force_original_aspect_ratio=increase,"
              f"crop={request.width}:{request.height},fps={request.fps},"
              f"tpad=stop_mode=clone:stop_duration={request.frames / request.fps + 1:.3f},format=yuv420p")
        proc = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-vf", vf, "-frames:v", str(request.frames),
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(output)],
            input=array.tobytes(), capture_output=True,
        )
        if proc.returncode != 0:
            raise GenerationError(f"writing the clip failed: {proc.stderr.decode(errors='replace').strip()[-300:]}")
        del count


def _multiple_of(size: tuple[int, int], multiple: int) -> tuple[int, int]:
    return tuple(max(multiple, int(round(v / multiple)) * multiple) for v in size)  # type: ignore[return-value]
