"""Finding and loading pipelines, kept warm in the worker process.

Generation never downloads: a model is a local folder or a complete snapshot in the Hugging Face
cache (``hub.snapshot_path``), and ``from_pretrained`` is always called with
``local_files_only=True`` on that folder. A model that is not there is a ``GeneratorSetupError``
naming the command that fetches it (``storyboard-app models pull PRESET``).

Loaded pipelines are kept in a bounded LRU cache (``settings["max_pipelines"]``, default 2): on
CUDA, least recently used pipelines are also dropped before a load while free GPU memory is
under ``settings["gpu_reserve_gb"]`` (default 4). Keys are stable tuples (kind, source, dtype,
device, adapter, compile), never ``id(pipe)``; ``pipeline_key(pipe)`` gives a loaded pipeline's
key, so other caches (IP-Adapter embeddings) can key on it and drop entries with it.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storyboard_app.generation.protocol import GeneratorSetupError

from . import hub
from .presets import ANIMATEDIFF_BASE, PRESETS, preset_for

DEFAULT_MAX_PIPELINES = 2
DEFAULT_GPU_RESERVE_GB = 4.0

_PIPELINES: OrderedDict[tuple, Any] = OrderedDict()
#: called with the key of each evicted pipeline (the adapter drops that pipeline's embeddings)
EVICTION_LISTENERS: list[Callable[[tuple], None]] = []


def resolve_model(name: str) -> tuple[str, str | None]:
    """(the model id or folder, the preset kind or None for a plain folder/id)."""
    preset = PRESETS.get(name)
    if preset is not None:
        return preset.model_id, preset.kind
    return name, None


def model_present(source: str) -> bool:
    """Is ``source`` a local folder, or a model id with a complete snapshot in the HF cache?"""
    return hub.model_present(source)


def missing_model_error(source: str) -> GeneratorSetupError:
    preset = preset_for(source)
    name = preset.name if preset else source
    try:
        partial = hub.model_status(source).state == "partial"
    except hub.HubError:
        partial = False
    what = "is only partly downloaded" if partial else "is not available locally"
    return GeneratorSetupError(
        f"model {source!r} {what}; generation never downloads. Fetch it once with "
        f"`storyboard-app models pull {name}`, or set the generator's 'model' setting to a local "
        f"folder saved with save_pretrained."
    )


def local_path(source: str) -> Path:
    """The folder to load ``source`` from: itself, or its snapshot in the cache."""
    folder = Path(source).expanduser()
    if folder.is_dir():
        return folder
    if not model_present(source):
        raise missing_model_error(source)
    snap = hub.snapshot_path(source)
    if snap is None:
        raise missing_model_error(source)
    return snap


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


def free_gpu_bytes(device: str) -> int | None:
    """Free memory on the CUDA device, or None elsewhere (no GPU budget to keep)."""
    if not device.startswith("cuda"):
        return None
    import torch

    free, _total = torch.cuda.mem_get_info()
    return int(free)


def _evict_one(keep: tuple | None) -> bool:
    for key in list(_PIPELINES):
        if key != keep:
            del _PIPELINES[key]
            for listener in EVICTION_LISTENERS:
                listener(key)
            return True
    return False


def _release_memory(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def make_room(settings: dict[str, Any], device: str, keep: tuple | None = None) -> None:
    """Drop least recently used pipelines: to leave room for one more under ``max_pipelines``,
    and on CUDA while free memory is under the reserve."""
    limit = max(int(settings.get("max_pipelines", DEFAULT_MAX_PIPELINES)), 1)
    evicted = False
    while len(_PIPELINES) >= limit and _evict_one(keep):
        evicted = True
    reserve = float(settings.get("gpu_reserve_gb", DEFAULT_GPU_RESERVE_GB)) * 2**30
    while (free := free_gpu_bytes(device)) is not None and free < reserve and _evict_one(keep):
        evicted = True
        _release_memory(device)
    if evicted:
        _release_memory(device)


def pipeline_key(pipe: Any) -> tuple | None:  # noqa: ANN401
    return next((k for k, p in _PIPELINES.items() if p is pipe), None)


def load_pipeline(kind: str, source: str, settings: dict[str, Any]):  # noqa: ANN201
    """The pipeline for ``kind`` ("image", "video", "i2v") from ``source``, cached (LRU).

    An AnimateDiff preset is a motion adapter, not a pipeline: it is combined with an SD 1.5 base
    (``settings["base_model"]``) into an AnimateDiffPipeline.
    """
    device = pick_device(settings.get("device"))
    dtype = pick_dtype(device, settings.get("dtype"))
    adapter = settings.get("ip_adapter") or {}
    key = (kind, str(source), str(dtype), device, repr(sorted(adapter.items())), bool(settings.get("compile")))
    pipe = _PIPELINES.get(key)
    if pipe is not None:
        _PIPELINES.move_to_end(key)
        return pipe, device
    preset = preset_for(source)
    animatediff = preset is not None and preset.name.startswith("animatediff") and preset.model_id == source
    if animatediff:  # check both parts before loading either
        base = settings.get("base_model", ANIMATEDIFF_BASE)
        for needed in (source, base):
            if not model_present(needed):
                raise missing_model_error(needed)
        adapter_path, base_path = local_path(source), local_path(base)
    else:
        path = local_path(source)
    make_room(settings, device)
    try:
        if animatediff:
            pipe = _animatediff(preset, adapter_path, base_path, dtype)
        else:
            pipe = _from_pretrained(kind, source, path, dtype)
    except OSError as exc:  # a file missing from a snapshot
        raise missing_model_error(source) from exc
    if adapter:
        _load_ip_adapter(pipe, adapter)
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
        compile_denoiser(pipe, settings.get("compile_mode"))
    pipe.set_progress_bar_config(disable=True)
    _PIPELINES[key] = pipe
    return pipe, device


def compile_denoiser(pipe: Any, mode: str | None = None) -> Any:  # noqa: ANN401
    """torch.compile the UNet / transformer in place, so the pipeline calls the compiled module.

    ``nn.Module.compile`` stores the compiled forward on the module itself (``torch.compile(module)``
    would return a wrapper that the pipeline never calls unless it is assigned back).
    """
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    if denoiser is None:
        return None
    denoiser.compile(**({"mode": mode} if mode else {}))
    if getattr(denoiser, "_compiled_call_impl", None) is None:  # an old torch without Module.compile
        raise GeneratorSetupError("torch.compile did not attach to the denoiser: update torch or turn 'compile' off")
    return denoiser


def _from_pretrained(kind: str, source: str, path: Path, dtype):  # noqa: ANN001, ANN202
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image, DiffusionPipeline

    kwargs = {"torch_dtype": dtype, "local_files_only": True}
    if kind == "image":
        # share weights with an already loaded pipeline of the same model (from_pipe)
        for (k, s, *_), loaded in _PIPELINES.items():
            if s == str(source) and k != "image":
                return AutoPipelineForText2Image.from_pipe(loaded)
        return AutoPipelineForText2Image.from_pretrained(path, **kwargs)
    if kind == "i2v":
        try:
            return DiffusionPipeline.from_pretrained(path, **kwargs)
        except ValueError:
            return AutoPipelineForImage2Image.from_pretrained(path, **kwargs)
    return DiffusionPipeline.from_pretrained(path, **kwargs)


def _animatediff(preset, adapter_path: Path, base_path: Path, dtype):  # noqa: ANN001, ANN202
    from diffusers import AnimateDiffPipeline, EulerDiscreteScheduler, MotionAdapter

    if preset.motion_adapter_file:  # AnimateDiff-Lightning ships one state-dict file
        from safetensors.torch import load_file

        adapter = MotionAdapter().to(dtype=dtype)
        adapter.load_state_dict(load_file(adapter_path / preset.motion_adapter_file))
    else:
        adapter = MotionAdapter.from_pretrained(adapter_path, torch_dtype=dtype, local_files_only=True)
    pipe = AnimateDiffPipeline.from_pretrained(base_path, motion_adapter=adapter, torch_dtype=dtype,
                                               local_files_only=True)
    if preset.motion_adapter_file:  # Lightning is distilled for trailing-timestep Euler
        pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing",
                                                            beta_schedule="linear")
    return pipe


def _load_ip_adapter(pipe, adapter: dict[str, Any]) -> None:  # noqa: ANN001
    """Load the configured IP-Adapter (and its image encoder) from disk, never fetching."""
    if not hasattr(pipe, "load_ip_adapter"):
        return
    path = adapter["path"]
    if not Path(path).expanduser().is_dir():
        path = str(local_path(path))
    pipe.load_ip_adapter(
        path, subfolder=adapter.get("subfolder", ""), weight_name=adapter["weight_name"],
        image_encoder_folder=adapter.get("image_encoder_folder", "image_encoder"), local_files_only=True,
    )
    pipe.set_ip_adapter_scale(float(adapter.get("scale", 0.6)))


def clear_cache() -> None:
    for key in list(_PIPELINES):
        del _PIPELINES[key]
        for listener in EVICTION_LISTENERS:
            listener(key)
