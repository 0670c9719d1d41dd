"""Model presets for the diffusers generator: what to load, which mode it serves, good defaults.

A preset names a Hugging Face model id; ``settings["model"]`` may instead be any local folder
saved with ``save_pretrained`` (an SD/SDXL checkpoint folder, say). Nothing here downloads:
models come from a local folder or the user's Hugging Face cache.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    model_id: str
    kind: str  # "image" (text-to-image), "video" (text-to-video), "i2v" (image-to-video)
    steps: int
    guidance: float
    note: str = ""
    frames: int | None = None  # video: frames per generation
    fps: int | None = None  # video: the model's native frame rate
    motion_adapter_file: str | None = None  # AnimateDiff-Lightning: one weights file in the repo


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("sd-turbo", "stabilityai/sd-turbo", "image", 1, 0.0, "fast stills, 512x512"),
    Preset("sdxl-turbo", "stabilityai/sdxl-turbo", "image", 2, 0.0, "fast stills, 512-1024"),
    Preset("flux-schnell", "black-forest-labs/FLUX.1-schnell", "image", 4, 0.0, "high quality stills"),
    Preset("ltx-video", "Lightricks/LTX-Video", "video", 30, 3.0, "text/image to video", 97, 24),
    Preset("ltx-video-distilled", "Lightricks/LTX-Video-0.9.7-distilled", "video", 8, 1.0, "fast video", 97, 24),
    Preset("wan2.1-t2v-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "video", 30, 5.0, "text to video", 81, 16),
    Preset("wan2.2-ti2v-5b", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "video", 30, 5.0, "text/image to video", 121, 24),
    Preset("animatediff", "guoyww/animatediff-motion-adapter-v1-5-2", "video", 25, 7.5, "needs an SD1.5 base", 16, 8),
    Preset("animatediff-lightning", "ByteDance/AnimateDiff-Lightning", "video", 4, 1.0, "needs an SD1.5 base", 16, 8,
           "animatediff_lightning_4step_diffusers.safetensors"),
    Preset("ltx-i2v", "Lightricks/LTX-Video", "i2v", 30, 3.0, "animates a keyframe", 97, 24),
)}

DEFAULT_IMAGE_PRESET = "sd-turbo"
DEFAULT_VIDEO_PRESET = "ltx-video-distilled"
#: the SD 1.5 base an AnimateDiff motion adapter animates (settings "base_model" overrides it)
ANIMATEDIFF_BASE = "stable-diffusion-v1-5/stable-diffusion-v1-5"
