from __future__ import annotations

import dataclasses

from generation_fixtures import make_project

from storyboard_app.generation.request import (
    ShotRequest,
    build_request,
    compose_prompt,
    derive_seed,
    request_hash,
    reroll_seed,
)


def test_prompt_names_each_character_with_description_style_and_framing():
    project = make_project(["market at night", "alley in rain", "a key"])
    shot = project.all_shots()[1]
    prompt = compose_prompt(project, shot)
    assert "Ada, a woman in a red coat" in prompt and "Bo, a man with a wide hat" in prompt
    assert prompt.index("Ada") < prompt.index("Bo")  # billing order
    assert "ink drawing" in prompt


def test_prompt_puts_the_most_important_first_framing_characters_action_style():
    """CLIP reads 77 tokens: what a cut drops must be the style, never framing or cast."""
    project = make_project(["market at night", "alley in rain", "a key"])
    shot = project.all_shots()[1]
    prompt = compose_prompt(project, shot)
    assert prompt.startswith("medium shot, camera pans left; ")
    order = [prompt.index(part) for part in ("medium shot", "Ada, a woman", "Bo, a man", "alley in rain", "ink drawing")]
    assert order == sorted(order)
    assert prompt.endswith("ink drawing") or prompt.index("ink drawing") > prompt.index("alley in rain")


def test_same_character_same_seed_in_every_shot():
    project = make_project(["one", "two", "three", "four"])
    a_alone = [s for s in project.all_shots() if s.characters == ["ch_a"]]
    assert len(a_alone) == 2
    assert {derive_seed(project, s) for s in a_alone} == {1111}


def test_several_characters_mix_their_seeds_independently_of_billing_order():
    project = make_project(["x", "y"])
    shot = project.all_shots()[1]
    seed = derive_seed(project, shot)
    assert seed not in (1111, 2222)
    shot.characters.reverse()
    assert derive_seed(project, shot) == seed


def test_shots_without_characters_get_distinct_stable_seeds():
    project = make_project(["a", "b", "c", "d", "e", "f"])
    empty = [s for s in project.all_shots() if not s.characters]
    seeds = [derive_seed(project, s) for s in empty]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [derive_seed(project, s) for s in empty]  # deterministic


def test_locked_seed_wins_and_reroll_is_recorded_in_the_request():
    project = make_project(["x"])
    shot = project.all_shots()[0]
    shot.seed_locked, shot.seed = True, 42
    assert derive_seed(project, shot) == 42
    fresh = reroll_seed()
    assert build_request(project, shot, None, "sketch", seed=fresh).seed == fresh


def test_request_round_trips_through_dict():
    project = make_project(["x", "y"])
    request = build_request(project, project.all_shots()[1], None, "sketch")
    assert ShotRequest.from_dict(request.to_dict()) == request


def test_hash_ignores_shot_identity_but_not_content_generator_or_settings():
    project = make_project(["same", "other", "x", "same"])
    shots = project.all_shots()
    first = build_request(project, shots[0], None, "sketch")
    twin = dataclasses.replace(first, shot_id="zzz", shot_number="99")
    assert request_hash(first, "sketch", "1") == request_hash(twin, "sketch", "1")
    assert request_hash(first, "sketch", "1") != request_hash(first, "sketch", "2")
    assert request_hash(first, "sketch", "1") != request_hash(first, "other", "1")
    changed = dataclasses.replace(first, prompt=first.prompt + " rain")
    assert request_hash(first, "sketch", "1") != request_hash(changed, "sketch", "1")
    assert request_hash(first, "sketch", "1") != request_hash(first, "sketch", "1", {"caption": False})


def test_reference_images_are_hashed_by_content(tmp_path):
    project = make_project(["x"])
    bundle = tmp_path / "b.sbproj"
    (bundle / "media").mkdir(parents=True)
    ref = bundle / "media" / "ada.png"
    ref.write_bytes(b"one")
    project.characters[0].reference_images = ["media/ada.png"]
    shot = project.all_shots()[0]
    request = build_request(project, shot, bundle, "sketch")
    assert request.reference_images == (str(ref.resolve()),)
    before = request_hash(request, "sketch", "1")
    ref.write_bytes(b"two")
    assert request_hash(request, "sketch", "1") != before


def test_scene_location_and_time_of_day_join_the_prompt_only_when_set():
    project = make_project(["market at night", "alley in rain"])
    shot = project.all_shots()[1]
    before = compose_prompt(project, shot)
    assert "setting:" not in before  # scenes without a location: prompts (and cache keys) unchanged
    scene = project.find_shot(shot.id)[0]
    scene.location, scene.time_of_day = "HARBOUR - SLIPWAY", "NIGHT"
    assert compose_prompt(project, shot) == before.replace("alley in rain", "alley in rain; setting: harbour - slipway, night", 1)
