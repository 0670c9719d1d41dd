"""Local diffusers generation speed (issue 9).

On a CUDA GPU: an SD-Turbo-class pipeline (SD 2.1 UNet/VAE/text-encoder configs, random weights —
timing does not depend on weight values) at 512x512, and an LTX-Video-class transformer at its
default 704x480x(8k+1) size, in bf16/fp16. It reports ms per image / seconds per clip, steps,
dtype, peak GPU memory, the speed-up from keeping the pipeline loaded (load + first call vs a
second call: what the worker process saves per shot), and from torch.compile (``--compile``).
Without CUDA (or with ``--tiny``) the same code runs the tiny test pipelines on CPU, so it cannot
rot. Models are built in code and saved with save_pretrained; nothing is downloaded.

    .venv/bin/python bench/gpu_diffusers.py [--tiny] [--compile]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "generators"))


def build_sd21_class(root: Path) -> Path:
    """SD 2.1-base / SD-Turbo architecture with random weights (published configs)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from diffusers_fixtures import write_tokenizer_files
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True)
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, sample_size=768)
    vocab, merges, size = write_tokenizer_files(root / "tok")
    text = CLIPTextModel(CLIPTextConfig(hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
                                        num_hidden_layers=23, projection_dim=512, hidden_act="gelu",
                                        vocab_size=size, bos_token_id=0, eos_token_id=1, pad_token_id=1))
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=CLIPTokenizer(str(vocab), str(merges), model_max_length=77),
                                   unet=unet, scheduler=EulerDiscreteScheduler(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    target = root / "sd21-class"
    pipe.save_pretrained(target)
    return target


def time_image_model(source: Path, size: int, steps: int, compile_: bool) -> None:
    import torch

    from generators.diffusers_local.loading import (
        clear_cache,
        load_pipeline,
        pick_device,
        pick_dtype,
    )

    settings = {"steps": steps, "guidance": 0.0, "compile": compile_}
    device = pick_device()
    dtype = pick_dtype(device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def call(pipe, seed: int) -> float:  # noqa: ANN001
        started = time.perf_counter()
        pipe("a courier in a yellow raincoat at a night market", num_inference_steps=steps, guidance_scale=0.0,
             width=size, height=size, generator=torch.Generator(device).manual_seed(seed), output_type="np")
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - started

    clear_cache()
    started = time.perf_counter()
    pipe, _ = load_pipeline("image", str(source), settings)
    load = time.perf_counter() - started
    first = call(pipe, 1)
    warm = min(call(pipe, s) for s in (2, 3, 4))
    print(f"image model: {size}x{size}, {steps} steps, {dtype}, device {device}"
          + (f" ({torch.cuda.get_device_name(0)})" if device == "cuda" else ""))
    print(f"  load {load:.2f} s, first image {first * 1000:.0f} ms, warm image {warm * 1000:.0f} ms per image")
    print(f"  speed-up from keeping the pipeline loaded (load + first vs warm): {(load + first) / warm:.1f}x")
    if device == "cuda":
        print(f"  peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    if compile_:
        print("  (torch.compile enabled on the denoiser: compare with a run without --compile)")


def time_video_model_cuda(steps: int) -> None:
    """LTX-Video-class transformer (2B config) at its default size, random weights, on CUDA."""
    import torch
    from diffusers import LTXVideoTransformer3DModel

    device = "cuda"
    dtype = torch.bfloat16
    model = LTXVideoTransformer3DModel(in_channels=128, out_channels=128, patch_size=1, patch_size_t=1,
                                       num_attention_heads=32, attention_head_dim=64, cross_attention_dim=2048,
                                       num_layers=28, caption_channels=4096).to(device, dtype).eval()
    frames, height, width = 97, 480, 704
    latent = (1, 128, (frames - 1) // 8 + 1, height // 32, width // 32)
    tokens = latent[2] * latent[3] * latent[4]
    hidden = torch.randn(1, tokens, 128, device=device, dtype=dtype)
    text = torch.randn(1, 128, 4096, device=device, dtype=dtype)
    mask = torch.ones(1, 128, device=device, dtype=dtype)
    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        model(hidden, text, torch.tensor([500], device=device), mask, latent[2], latent[3], latent[4])
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(steps):
            model(hidden, text, torch.tensor([500], device=device), mask, latent[2], latent[3], latent[4])
        torch.cuda.synchronize()
    per_step = (time.perf_counter() - started) / steps
    print(f"video transformer (LTX-class, 28 layers): {width}x{height}x{frames}, bf16, {per_step * 1000:.0f} ms per step, "
          f"{per_step * steps:.1f} s per clip at {steps} steps, peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true", help="tiny CPU pipelines (automatic without CUDA)")
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    tiny = args.tiny or not torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="bench-diffusers-") as tmp:
        root = Path(tmp)
        if tiny:
            from diffusers_fixtures import save_animatediff_pipeline, save_sd_pipeline

            print("no CUDA GPU (or --tiny): tiny random-weight pipelines on CPU; figures only show the code runs")
            time_image_model(save_sd_pipeline(root), 64, 4, args.compile)
            from generators.diffusers_local.loading import load_pipeline

            pipe, _ = load_pipeline("video", str(save_animatediff_pipeline(root)), {})
            started = time.perf_counter()
            pipe("a night market", num_frames=16, num_inference_steps=4, guidance_scale=1.0, width=64, height=64,
                 generator=torch.Generator("cpu").manual_seed(1), output_type="np")
            print(f"video model (tiny AnimateDiff): 64x64x16, 4 steps, {time.perf_counter() - started:.2f} s per clip")
        else:
            time_image_model(build_sd21_class(root), 512, 1, args.compile)
            time_video_model_cuda(steps=8)


if __name__ == "__main__":
    main()
