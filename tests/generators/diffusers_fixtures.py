"""Tiny random-weight diffusers pipelines, built and saved by the tests (nothing is downloaded).

Configs follow diffusers' own test suites (get_dummy_components): a 2-block UNet, a 2-block VAE,
a 2-layer CLIP text encoder with a tokenizer made from a character vocabulary written here
(model_max_length=77), an AnimateDiff MotionAdapter, and an IP-Adapter (projection + attention
weights, shaped as diffusers' create_ip_adapter_state_dict makes them) with a tiny CLIP image
encoder. Everything runs on CPU in well under a second per call.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_tokenizer_files(directory: Path) -> tuple[Path, Path, int]:
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for code in range(33, 127):
        vocab.setdefault(chr(code), len(vocab))
        vocab.setdefault(chr(code) + "</w>", len(vocab))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    return directory / "vocab.json", directory / "merges.txt", len(vocab)


def components(root: Path) -> dict:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab, merges, size = write_tokenizer_files(root / "tokenizer-src")
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8, norm_num_groups=2)
    vae = AutoencoderKL(
        block_out_channels=(4, 8), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"), up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"))
    text = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=8, intermediate_size=16, layer_norm_eps=1e-5,
        num_attention_heads=2, num_hidden_layers=2, vocab_size=size))
    tokenizer = CLIPTokenizer(str(vocab), str(merges), model_max_length=77)
    return {"unet": unet.eval(), "vae": vae.eval(), "text_encoder": text.eval(), "tokenizer": tokenizer,
            "scheduler": EulerDiscreteScheduler()}


def save_sd_pipeline(root: Path) -> Path:
    from diffusers import StableDiffusionPipeline

    parts = components(root)
    pipe = StableDiffusionPipeline(**parts, safety_checker=None, feature_extractor=None, image_encoder=None,
                                   requires_safety_checker=False)
    target = root / "tiny-sd"
    pipe.save_pretrained(target)
    return target


def save_animatediff_pipeline(root: Path) -> Path:
    from diffusers import AnimateDiffPipeline, DDIMScheduler, MotionAdapter

    parts = components(root)
    adapter = MotionAdapter(block_out_channels=(4, 8), motion_layers_per_block=1, motion_norm_num_groups=2,
                            motion_num_attention_heads=1, motion_max_seq_length=32)
    parts["scheduler"] = DDIMScheduler(beta_schedule="linear", clip_sample=False)
    pipe = AnimateDiffPipeline(**parts, motion_adapter=adapter, feature_extractor=None, image_encoder=None)
    target = root / "tiny-animatediff"
    pipe.save_pretrained(target)
    return target


def save_ip_adapter(root: Path, unet) -> Path:  # noqa: ANN001
    """An IP-Adapter folder: ip_adapter.bin + image_encoder/, loadable with load_ip_adapter.

    The state dict is shaped like diffusers' create_ip_adapter_state_dict: for each
    cross-attention processor (in ``unet.attn_processors`` order) keys 1, 3, 5, ... with to_k_ip /
    to_v_ip weights, and an ImageProjection as ``image_proj``.
    """
    import torch
    from diffusers.models.attention_processor import IPAdapterAttnProcessor
    from diffusers.models.embeddings import ImageProjection
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(1)
    config = unet.config
    cross = config.cross_attention_dim
    attn: dict[str, torch.Tensor] = {}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = config.block_out_channels[int(name[len("down_blocks.")])]
        sd = IPAdapterAttnProcessor(hidden_size=hidden, cross_attention_dim=cross, scale=1.0).state_dict()
        attn[f"{key_id}.to_k_ip.weight"] = sd["to_k_ip.0.weight"] * 40  # strong, so the effect is visible
        attn[f"{key_id}.to_v_ip.weight"] = sd["to_v_ip.0.weight"] * 40
        key_id += 2
    projection = ImageProjection(cross_attention_dim=cross, image_embed_dim=cross, num_image_text_embeds=4).state_dict()
    state = {"image_proj": {"proj.weight": projection["image_embeds.weight"], "proj.bias": projection["image_embeds.bias"],
                            "norm.weight": projection["norm.weight"], "norm.bias": projection["norm.bias"]},
             "ip_adapter": attn}
    target = root / "tiny-ip-adapter"
    target.mkdir(parents=True, exist_ok=True)
    torch.save(state, target / "ip_adapter.bin")
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=8, projection_dim=cross, num_hidden_layers=1, num_attention_heads=2, image_size=32,
        intermediate_size=16, patch_size=8)).eval()
    encoder.save_pretrained(target / "image_encoder")
    CLIPImageProcessor(crop_size=32, size=32).save_pretrained(target / "image_encoder")
    return target


def save_ltx_i2v_pipeline(root: Path) -> Path:
    """A tiny LTX-Video image-to-video pipeline: T5 from a T5Config, a word-level tokenizer built
    in code, the LTX transformer and VAE with diffusers' test-sized configs."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    torch.manual_seed(2)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
        cross_attention_dim=32, num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False)
    text = T5EncoderModel(T5Config(vocab_size=200, d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=4,
                                   relative_attention_num_buckets=8, decoder_start_token_id=0)).eval()
    words = ["a", "the", "night", "market", "rain", "woman", "red", "coat", "key", "at", "in", "of", "on", "ada", "wide", "shot", "push"]
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2} | {w: 3 + i for i, w in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                        unk_token="<unk>", model_max_length=128)
    pipe = LTXImageToVideoPipeline(transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
                                   text_encoder=text, tokenizer=tokenizer)
    target = root / "tiny-ltx-i2v"
    pipe.save_pretrained(target)
    return target
