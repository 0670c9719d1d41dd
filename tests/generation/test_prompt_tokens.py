"""Prompt length against the selected model's text encoder (issue 15.2)."""

from __future__ import annotations

import pytest
from generation_fixtures import make_project

from storyboard_app.generation.prompt_tokens import (
    PromptCheck,
    check_prompt,
    count_tokens,
    estimate_clip_tokens,
    prompt_check_for_shot,
)

LONG = " ".join(["a crowded neon night market with steaming noodle stalls and paper lanterns"] * 12)


def test_the_estimate_counts_words_and_punctuation_plus_start_and_end():
    assert estimate_clip_tokens("") == 2
    assert estimate_clip_tokens("wide shot, slow push in") == 2 + 5 + 1
    assert estimate_clip_tokens("extraordinarily") == 2 + 3  # a long word splits into pieces
    assert estimate_clip_tokens(LONG) > 77


def test_count_tokens_uses_a_tokenizer_when_one_is_given():
    class CharTokenizer:
        def __call__(self, text, truncation, add_special_tokens):  # noqa: ANN001, ANN204
            assert truncation is False
            return {"input_ids": [0, *range(len(text)), 1]}

    assert count_tokens("abc", CharTokenizer()) == 5


def test_clip_models_without_long_prompts_warn_of_a_cut_sd_chunks():
    cut = check_prompt(LONG + " " + LONG, "diffusers", {"model": "flux-schnell"})
    assert cut.truncated and "flux-schnell reads 256" in cut.message() and "cut" in cut.message()
    chunked = check_prompt(LONG, "diffusers", {"model": "sd-turbo"})
    assert chunked.chunked and not chunked.truncated and "chunks" in chunked.message()
    assert check_prompt("a key on a table", "diffusers", {"model": "sd-turbo"}).message() == ""
    assert check_prompt(LONG, "sketch", {}) is None  # no text encoder, no limit


def test_the_shot_check_reads_the_projects_generator_settings():
    project = make_project(["market at night"])
    shot = project.all_shots()[0]
    shot.prompt = LONG + " " + LONG
    project.generator = "diffusers"
    project.generator_settings["diffusers"] = {"model": "flux-schnell"}
    assert prompt_check_for_shot(project, shot).truncated
    project.generator_settings["diffusers"] = {"model": "sd-turbo"}
    assert prompt_check_for_shot(project, shot).chunked
    assert prompt_check_for_shot(project, shot, "sketch") is None


@pytest.mark.parametrize("tokens", [76, 77])
def test_a_prompt_that_fits_has_no_message(tokens):
    assert PromptCheck(tokens, 77, "m", False).message() == ""
