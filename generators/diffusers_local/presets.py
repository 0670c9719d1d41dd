"""Model presets for the diffusers generator: what to load, which mode it serves, good defaults,
and the facts about each checkpoint that tiny test models do not have (DESIGN: "real models are
not tiny models"): native size and size multiple, prompt token limit, frame-count rule.

A preset names a Hugging Face model id; ``settings["model"]`` may instead be any local folder
saved with ``save_pretrained``. Nothing here downloads: ``storyboard-app models pull PRESET``
fetches a preset's files into the Hugging Face cache, generation only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: what ``models pull`` fetches from a diffusers-format repo: the pipeline index, each component's
#: configs, tokenizer files and safetensors weights; not the single-file checkpoints at the top
#: level, the .bin duplicates, nor the fp16 variants (diffusers loads the plain names by default)
DIFFUSERS_FILES: tuple[str, ...] = ("model_index.json", "*/*.json", "*/*.txt", "*/*.model", "*/*.safetensors")
DIFFUSERS_SKIP: tuple[str, ...] = ("*.fp16.safetensors", "*.bf16.safetensors", "*/*/*")


@dataclass(frozen=True)
class Preset:
    name: str
    model_id: str
    kind: str  # "image" (text-to-image), "video" (text-to-video), "i2v" (image-to-video)
    steps: int
    guidance: float
    note: str = ""
    frames: int | None = None  # video: the model's default frames per generation
    fps: int | None = None  # video: the model's native frame rate
    motion_adapter_file: str | None = None  # AnimateDiff-Lightning: one weights file in the repo
    #: the size the checkpoint was trained at: generation uses this *area* at the project's aspect
    native_size: tuple[int, int] = (512, 512)
    #: width and height must be multiples of this (VAE factor x patch size)
    size_multiple: int = 8
    #: the text encoder's token window (CLIP: 77 including start/end); longer prompts are cut
    #: unless ``long_prompt`` (chunked CLIP embeddings, SD/SDXL) is True
    prompt_tokens: int = 77
    long_prompt: bool = False
    #: video frame-count rule: valid counts are ``frame_step * k + 1`` up to ``max_frames``
    frame_step: int = 1
    max_frames: int | None = None
    #: longer shots continue from the last frame with image-to-video (else: conform, see adapter)
    continues: bool = False
    files: tuple[str, ...] = DIFFUSERS_FILES
    skip: tuple[str, ...] = DIFFUSERS_SKIP
    #: gated repos: where the user accepts the licence before ``models pull`` can fetch it
    license_url: str = ""


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("sd-turbo", "stabilityai/sd-turbo", "image", 1, 0.0, "fast stills, 512x512",
           native_size=(512, 512), long_prompt=True),
    Preset("sdxl-turbo", "stabilityai/sdxl-turbo", "image", 2, 0.0, "fast stills, 512x512",
           native_size=(512, 512), long_prompt=True),
    Preset("flux-schnell", "black-forest-labs/FLUX.1-schnell", "image", 4, 0.0, "high quality stills, 1024x1024",
           native_size=(1024, 1024), size_multiple=16, prompt_tokens=256),
    Preset("ltx-video", "Lightricks/LTX-Video", "video", 30, 3.0, "text/image to video, 768x512", 97, 24,
           native_size=(768, 512), size_multiple=32, prompt_tokens=128, frame_step=8, max_frames=161, continues=True),
    Preset("ltx-video-distilled", "Lightricks/LTX-Video-0.9.7-distilled", "video", 8, 1.0, "fast video, 768x512",
           97, 24, native_size=(768, 512), size_multiple=32, prompt_tokens=128, frame_step=8, max_frames=161,
           continues=True),
    Preset("wan2.1-t2v-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "video", 30, 5.0, "text to video, 832x480", 81,
           16, native_size=(832, 480), size_multiple=16, prompt_tokens=512, frame_step=4, max_frames=81),
    Preset("wan2.2-ti2v-5b", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "video", 30, 5.0, "text/image to video, 1280x704",
           121, 24, native_size=(1280, 704), size_multiple=32, prompt_tokens=512, frame_step=4, max_frames=121),
    Preset("animatediff", "guoyww/animatediff-motion-adapter-v1-5-2", "video", 25, 7.5, "needs an SD1.5 base", 16,
           8, native_size=(512, 512), long_prompt=True, max_frames=32,
           files=("config.json", "*.safetensors"), skip=("*.fp16.safetensors",)),
    Preset("animatediff-lightning", "ByteDance/AnimateDiff-Lightning", "video", 4, 1.0, "needs an SD1.5 base", 16,
           8, "animatediff_lightning_4step_diffusers.safetensors", native_size=(512, 512), long_prompt=True,
           max_frames=32, files=("animatediff_lightning_4step_diffusers.safetensors",), skip=()),
    Preset("ltx-i2v", "Lightricks/LTX-Video", "i2v", 30, 3.0, "animates a keyframe", 97, 24,
           native_size=(768, 512), size_multiple=32, prompt_tokens=128, frame_step=8, max_frames=161, continues=True),
)}

DEFAULT_IMAGE_PRESET = "sd-turbo"
DEFAULT_VIDEO_PRESET = "ltx-video-distilled"
#: the SD 1.5 base an AnimateDiff motion adapter animates (settings "base_model" overrides it)
ANIMATEDIFF_BASE = "stable-diffusion-v1-5/stable-diffusion-v1-5"


def preset_for(name_or_id: str) -> Preset | None:
    """The preset called ``name_or_id``, or the first whose model id it is."""
    preset = PRESETS.get(name_or_id)
    if preset is not None:
        return preset
    return next((p for p in PRESETS.values() if p.model_id == name_or_id), None)
