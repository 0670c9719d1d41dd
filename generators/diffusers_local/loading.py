"""Finding and loading pipelines, kept warm in the worker process.

Models resolve to a local folder, or to a model id in the user's Hugging Face cache; with
``HF_HUB_OFFLINE=1`` (or ``local_files_only`` in the settings) nothing is fetched, and a model
that is not there is a clear error naming it and how to get it — never a hang on a download.
Loaded pipelines are cached per (model, kind, dtype, device, adapter): the worker process keeps
them between shots, and ``from_pipe`` shares weights between image and video pipelines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from storyboard_app.generation.protocol import GenerationError, GeneratorSetupError

from .presets import ANIMATEDIFF_BASE, PRESETS

_PIPELINES: dict[tuple, Any] = {}


def offline(settings: dict[str, Any]) -> bool:
    return bool(settings.get("local_files_only")) or os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def resolve_model(name: str) -> tuple[str, str | None]:
    """(what to pass to from_pretrained, the preset kind or None for a plain folder/id)."""
    preset = PRESETS.get(name)
    if preset is not None:
        return preset.model_id, preset.kind
    return name, None


def model_present(source: str) -> bool:
    """Is ``source`` a local folder, or a model id with a snapshot in the HF cache?"""
    if Path(source).expanduser().is_dir():
        return True
    try:
        from huggingface_hub import scan_cache_dir

        return any(repo.repo_id == source for repo in scan_cache_dir().repos)
    except Exception:  # noqa: BLE001 - no cache dir yet, or an unreadable one
        return False


def missing_model_error(source: str) -> GenerationError:
    return GeneratorSetupError(
        f"model {source!r} is not available locally. Download it once with "
        f"`huggingface-cli download {source}` (or `hf download {source}`), or set the generator's "
        f"'model' setting to a local folder saved with save_pretrained."
    )


def pick_device(requested: str | None = None) -> str:
    import torch

    if requested and requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, requested: str | None = None):  # noqa: ANN201
    import torch

    if requested and requested != "auto":
        return getattr(torch, requested)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def load_pipeline(kind: str, source: str, settings: dict[str, Any]):  # noqa: ANN201
    """The pipeline for ``kind`` ("image", "video", "i2v") from ``source``, cached.

    An AnimateDiff preset is a motion adapter, not a pipeline: it is combined with an SD 1.5 base
    (``settings["base_model"]``) into an AnimateDiffPipeline.
    """
    device = pick_device(settings.get("device"))
    dtype = pick_dtype(device, settings.get("dtype"))
    adapter = settings.get("ip_adapter") or {}
    key = (kind, source, str(dtype), device, repr(sorted(adapter.items())))
    pipe = _PIPELINES.get(key)
    if pipe is not None:
        return pipe, device
    local_only = offline(settings) or Path(source).expanduser().is_dir()
    if not Path(source).expanduser().is_dir() and local_only and not model_present(source):
        raise missing_model_error(source)
    try:
        preset = next((p for p in PRESETS.values() if p.model_id == source and p.name.startswith("animatediff")), None)
        if preset is not None:
            pipe = _animatediff(preset, settings, dtype, local_only)
        else:
            pipe = _from_pretrained(kind, source, dtype, local_only)
    except OSError as exc:  # a missing snapshot or file in offline mode
        raise missing_model_error(source) from exc
    if adapter:
        _load_ip_adapter(pipe, adapter, local_only)
    if settings.get("cpu_offload") and device == "cuda":
        pipe.enable_model_cpu_offload()
    else:
        pipe = pipe.to(device)
    vae = getattr(pipe, "vae", None)
    if settings.get("vae_tiling") and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()
    if settings.get("vae_slicing") and hasattr(vae, "enable_slicing"):
        vae.enable_slicing()
    if settings.get("compile"):
        import torch

        denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
        if denoiser is not None:
            denoiser.compile() if hasattr(denoiser, "compile") else torch.compile(denoiser)
    pipe.set_progress_bar_config(disable=True)
    _PIPELINES[key] = pipe
    return pipe, device


def _from_pretrained(kind: str, source: str, dtype, local_only: bool):  # noqa: ANN001, ANN202
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image, DiffusionPipeline

    kwargs = {"torch_dtype": dtype, "local_files_only": local_only}
    if kind == "image":
        # share weights with an already loaded pipeline of the same model (from_pipe)
        for (k, s, *_), loaded in _PIPELINES.items():
            if s == source and k != "image":
                return AutoPipelineForText2Image.from_pipe(loaded)
        return AutoPipelineForText2Image.from_pretrained(source, **kwargs)
    if kind == "i2v":
        try:
            return DiffusionPipeline.from_pretrained(source, **kwargs)
        except ValueError:
            return AutoPipelineForImage2Image.from_pretrained(source, **kwargs)
    return DiffusionPipeline.from_pretrained(source, **kwargs)


def _animatediff(preset, settings: dict[str, Any], dtype, local_only: bool):  # noqa: ANN001, ANN202
    from diffusers import AnimateDiffPipeline, EulerDiscreteScheduler, MotionAdapter

    base = settings.get("base_model", ANIMATEDIFF_BASE)
    if not Path(base).expanduser().is_dir() and local_only and not model_present(base):
        raise missing_model_error(base)
    if preset.motion_adapter_file:  # AnimateDiff-Lightning ships one state-dict file
        from huggingface_hub import hf_hub_download
        from safetensors.torch import load_file

        adapter = MotionAdapter().to(dtype=dtype)
        path = hf_hub_download(preset.model_id, preset.motion_adapter_file, local_files_only=local_only)
        adapter.load_state_dict(load_file(path))
    else:
        adapter = MotionAdapter.from_pretrained(preset.model_id, torch_dtype=dtype, local_files_only=local_only)
    pipe = AnimateDiffPipeline.from_pretrained(base, motion_adapter=adapter, torch_dtype=dtype,
                                               local_files_only=local_only)
    if preset.motion_adapter_file:  # Lightning is distilled for trailing-timestep Euler
        pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing",
                                                            beta_schedule="linear")
    return pipe


def _load_ip_adapter(pipe, adapter: dict[str, Any], local_only: bool) -> None:  # noqa: ANN001
    """Load the configured IP-Adapter (and its image encoder) without fetching anything."""
    if not hasattr(pipe, "load_ip_adapter"):
        return
    pipe.load_ip_adapter(
        adapter["path"], subfolder=adapter.get("subfolder", ""), weight_name=adapter["weight_name"],
        image_encoder_folder=adapter.get("image_encoder_folder", "image_encoder"), local_files_only=local_only,
    )
    pipe.set_ip_adapter_scale(float(adapter.get("scale", 0.6)))


def clear_cache() -> None:
    _PIPELINES.clear()
