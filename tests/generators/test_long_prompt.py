"""Chunked prompt embeddings for SDXL (two text encoders, pooled embedding), with a tiny
random-weight SDXL pipeline built in memory (diffusers' own test-sized configs)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

from diffusers_fixtures import write_tokenizer_files  # noqa: E402

from generators.diffusers_local.long_prompt import (  # noqa: E402
    long_prompt_kwargs,
    supports_long_prompt,
    token_count,
)


@pytest.fixture(scope="module")
def sdxl(tmp_path_factory):
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    vocab, merges, size = write_tokenizer_files(tmp_path_factory.mktemp("tok"))
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(2, 4), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80,
        cross_attention_dim=64, norm_num_groups=1)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2)
    config = CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
                            num_attention_heads=4, num_hidden_layers=5, vocab_size=size, hidden_act="gelu",
                            projection_dim=32)
    tokenizer = CLIPTokenizer(str(vocab), str(merges), model_max_length=77)
    pipe = StableDiffusionXLPipeline(vae=vae.eval(), text_encoder=CLIPTextModel(config).eval(),
                                     text_encoder_2=CLIPTextModelWithProjection(config).eval(), tokenizer=tokenizer,
                                     tokenizer_2=tokenizer, unet=unet.eval(), scheduler=EulerDiscreteScheduler())
    pipe.set_progress_bar_config(disable=True)
    return pipe


HEAD = "a courier crosses the night market under paper lanterns while rain falls on the stalls; "


def render(pipe, kwargs: dict) -> np.ndarray:  # noqa: ANN001
    out = pipe(**kwargs, num_inference_steps=1, guidance_scale=kwargs.pop("_g", 0.0), width=32, height=32,
               generator=torch.Generator("cpu").manual_seed(1), output_type="np")
    return out.images[0]


def test_sdxl_prompts_past_77_tokens_are_chunked_and_reach_the_model(sdxl):
    prompt = HEAD * 2 + "red"
    assert supports_long_prompt(sdxl) and token_count(sdxl, prompt) > 77
    kwargs = long_prompt_kwargs(sdxl, prompt, "", False, "cpu")
    chunks = -(-(token_count(sdxl, prompt) - 2) // 75)
    assert chunks >= 2
    assert tuple(kwargs["prompt_embeds"].shape) == (1, 77 * chunks, 64)  # both encoders side by side
    assert tuple(kwargs["pooled_prompt_embeds"].shape) == (1, 32)
    other = long_prompt_kwargs(sdxl, HEAD * 2 + "blue", "", False, "cpu")
    assert torch.equal(kwargs["prompt_embeds"][:, :77], other["prompt_embeds"][:, :77])
    assert not torch.equal(kwargs["prompt_embeds"], other["prompt_embeds"])  # the tail is encoded
    assert not np.array_equal(render(sdxl, kwargs), render(sdxl, other))


def test_sdxl_negative_prompt_gets_as_many_chunks_and_an_empty_one_is_zeros(sdxl):
    sdxl.register_to_config(force_zeros_for_empty_prompt=True)
    kwargs = long_prompt_kwargs(sdxl, HEAD * 2, "", True, "cpu")
    assert kwargs["negative_prompt_embeds"].shape == kwargs["prompt_embeds"].shape
    assert not kwargs["negative_prompt_embeds"].any() and not kwargs["negative_pooled_prompt_embeds"].any()
    with_negative = long_prompt_kwargs(sdxl, HEAD, "blurry, " * 20, True, "cpu")
    assert with_negative["negative_prompt_embeds"].shape == with_negative["prompt_embeds"].shape
    assert render(sdxl, {**with_negative, "_g": 2.0}).shape == (32, 32, 3)
