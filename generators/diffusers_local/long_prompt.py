"""Prompts longer than CLIP's 77 tokens for SD / SDXL (and AnimateDiff on an SD base): chunked
prompt embeddings.

The pipeline's own ``encode_prompt`` cuts the prompt at 77 tokens. Here the prompt is tokenized
whole, split into 75-token chunks, each chunk is wrapped in start/end tokens and padded to 77,
encoded on its own, and the chunk embeddings are concatenated along the sequence axis (the
UNet's cross-attention takes any sequence length). The negative prompt gets the same number of
chunks. SDXL concatenates its two encoders' penultimate hidden states per chunk and takes the
pooled embedding from the first chunk of the second encoder, as ``encode_prompt`` does.

Chosen over ``compel``: no extra dependency pinned to diffusers/transformers internals, and only
used when the prompt is actually over the limit, so short prompts render exactly as before.
"""

from __future__ import annotations

import math
from typing import Any


def supports_long_prompt(pipe: Any) -> bool:
    """A UNet pipeline with CLIP tokenizer(s) that accepts ``prompt_embeds``."""
    return (getattr(pipe, "unet", None) is not None and getattr(pipe, "tokenizer", None) is not None
            and getattr(pipe, "text_encoder", None) is not None)


def token_count(pipe: Any, text: str) -> int:
    """Tokens of ``text`` with the pipeline's tokenizer, start and end included."""
    return len(pipe.tokenizer(text, truncation=False, add_special_tokens=True)["input_ids"])


def _chunks(tokenizer: Any, text: str, count: int | None = None) -> list[list[int]]:
    size = tokenizer.model_max_length - 2
    ids = tokenizer(text, truncation=False, add_special_tokens=False)["input_ids"]
    n = count if count is not None else max(1, math.ceil(len(ids) / size))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    out = []
    for i in range(n):
        part = ids[i * size:(i + 1) * size]
        out.append([tokenizer.bos_token_id, *part, tokenizer.eos_token_id] + [pad] * (size - len(part)))
    return out


def _encode(encoder: Any, chunks: list[list[int]], device: Any, penultimate: bool):  # noqa: ANN202
    import torch

    hidden, pooled = [], None
    for chunk in chunks:
        ids = torch.tensor([chunk], device=device)
        out = encoder(ids, output_hidden_states=penultimate)
        hidden.append(out.hidden_states[-2] if penultimate else out[0])
        if pooled is None:
            pooled = out[0]  # SDXL's second encoder: the projected pooled embedding
    return torch.cat(hidden, dim=1), pooled


def long_prompt_kwargs(pipe: Any, prompt: str, negative: str, cfg: bool, device: Any) -> dict[str, Any]:
    """``prompt_embeds`` (and negative / pooled ones) replacing ``prompt``/``negative_prompt``."""
    import torch

    sdxl = getattr(pipe, "text_encoder_2", None) is not None and getattr(pipe, "tokenizer_2", None) is not None
    n = max(len(_chunks(pipe.tokenizer, prompt)), len(_chunks(pipe.tokenizer, negative)))
    dtype = pipe.unet.dtype
    with torch.no_grad():
        if not sdxl:
            pos, _ = _encode(pipe.text_encoder, _chunks(pipe.tokenizer, prompt, n), device, False)
            kwargs: dict[str, Any] = {"prompt_embeds": pos.to(dtype)}
            if cfg:
                neg, _ = _encode(pipe.text_encoder, _chunks(pipe.tokenizer, negative, n), device, False)
                kwargs["negative_prompt_embeds"] = neg.to(dtype)
            return kwargs
        embeds = []
        for text in (prompt, negative) if cfg else (prompt,):
            a, _ = _encode(pipe.text_encoder, _chunks(pipe.tokenizer, text, n), device, True)
            b, pooled = _encode(pipe.text_encoder_2, _chunks(pipe.tokenizer_2, text, n), device, True)
            embeds.append((torch.cat([a, b], dim=-1).to(dtype), pooled.to(dtype)))
        kwargs = {"prompt_embeds": embeds[0][0], "pooled_prompt_embeds": embeds[0][1]}
        if cfg:
            neg, neg_pooled = embeds[1]
            if not negative and getattr(pipe.config, "force_zeros_for_empty_prompt", False):
                neg, neg_pooled = torch.zeros_like(neg), torch.zeros_like(neg_pooled)
            kwargs |= {"negative_prompt_embeds": neg, "negative_pooled_prompt_embeds": neg_pooled}
        return kwargs
