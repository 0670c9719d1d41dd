"""Does the composed prompt fit the selected model's text encoder? (No Qt, no torch: the
inspector calls this on every edit.)

CLIP-based pipelines read 77 tokens (75 of text plus start and end); what follows is cut unless
the adapter encodes long prompts in chunks (SD/SDXL). The worker counts with the pipeline's own
tokenizer once it is loaded (``count_tokens(text, tokenizer)``); the UI and the CLI, which never
load a model, use ``estimate_clip_tokens``: CLIP's pre-tokenizer pattern (words, digits, single
punctuation marks), one token per piece, plus one per further 7 letters of a long word (rare and
long words split into several BPE pieces). Against the real CLIP tokenizer on storyboard prompts
it lands within a few tokens; it errs high on long words, so a warning may come slightly early
but a truncation is not missed silently.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_PIECES = re.compile(r"[^\W\d_]+|\d|[^\s\w]", re.UNICODE)
CLIP_TOKENS = 77  # including the start and end tokens


def estimate_clip_tokens(text: str) -> int:
    """Estimated CLIP tokens of ``text``, start and end tokens included (see the module note)."""
    count = 2
    for piece in _PIECES.findall(text.lower()):
        count += 1 + (max(len(piece) - 1, 0) // 7 if piece.isalpha() else 0)
    return count


def count_tokens(text: str, tokenizer: Any = None) -> int:
    """Tokens of ``text`` with ``tokenizer`` (a transformers tokenizer) when given, else estimated."""
    if tokenizer is None:
        return estimate_clip_tokens(text)
    ids = tokenizer(text, truncation=False, add_special_tokens=True)["input_ids"]
    return len(ids)


@dataclass(frozen=True)
class PromptCheck:
    """How a prompt fits a model: ``tokens`` counted (or estimated) against ``limit``."""

    tokens: int
    limit: int
    model: str
    long_prompt: bool  # the adapter encodes the overflow in further chunks instead of cutting it
    estimated: bool = True

    @property
    def truncated(self) -> bool:
        return self.tokens > self.limit and not self.long_prompt

    @property
    def chunked(self) -> bool:
        return self.tokens > self.limit and self.long_prompt

    def message(self) -> str:
        """One line for the inspector and the ``generate`` output; empty when the prompt fits."""
        about = "≈" if self.estimated else ""
        if self.truncated:
            return (f"Prompt {about}{self.tokens} tokens: {self.model} reads {self.limit}; the end of the prompt "
                    f"(style first, then action) is cut. Shorten it.")
        if self.chunked:
            return (f"Prompt {about}{self.tokens} tokens: over {self.model}'s {self.limit}, encoded in "
                    f"{math.ceil((self.tokens - 2) / (self.limit - 2))} chunks (later words weigh less).")
        return ""


def prompt_limit(generator_id: str, settings: dict[str, Any]) -> tuple[str, int, bool] | None:
    """(model label, token limit, long-prompt support) of what ``settings`` select, or None when
    the generator declares no limit. A generator declares one with a ``prompt_limit(settings)``
    class method; looked up through the registry so no generator is special-cased here."""
    from .registry import generator_spec, load_generator_class

    try:
        cls = load_generator_class(generator_spec(generator_id))
    except Exception:  # noqa: BLE001 - an unknown or broken generator simply has no limit to show
        return None
    limit = getattr(cls, "prompt_limit", None)
    return limit(settings) if callable(limit) else None


def check_prompt(prompt: str, generator_id: str, settings: dict[str, Any]) -> PromptCheck | None:
    """The estimate for ``prompt`` against the selected model, or None when there is no limit."""
    found = prompt_limit(generator_id, settings)
    if found is None:
        return None
    model, limit, long_prompt = found
    return PromptCheck(estimate_clip_tokens(prompt), limit, model, long_prompt)


@lru_cache(maxsize=256)
def _cached_check(prompt: str, generator_id: str, settings_json: str) -> PromptCheck | None:
    return check_prompt(prompt, generator_id, json.loads(settings_json))


def prompt_check_for_shot(project: Any, shot: Any, generator_id: str | None = None) -> PromptCheck | None:
    """``check_prompt`` for a shot's composed prompt with the project's generator settings
    (memoised: the inspector asks on every refresh)."""
    from .request import compose_prompt, generator_settings

    gid = generator_id or project.generator
    settings = generator_settings(project, shot, gid)
    return _cached_check(compose_prompt(project, shot), gid, json.dumps(settings, sort_keys=True, default=str))
