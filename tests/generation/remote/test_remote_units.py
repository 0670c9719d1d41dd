"""Small pieces of the remote plumbing: scrubbing, Retry-After, origins, presets, cost."""

from __future__ import annotations

import pytest

from storyboard_app.generation.remote import secrets
from storyboard_app.generation.remote.cost import CostCapExceeded, CostEstimate, enforce_cap
from storyboard_app.generation.remote.http import RemoteClient, retry_after
from storyboard_app.generation.remote.presets import PresetError, _parse, load_presets


def test_scrub_replaces_every_known_key():
    secrets.remember("abc-secret-123")
    assert secrets.scrub("401: Key abc-secret-123 rejected") == "401: Key *** rejected"
    assert secrets.scrub("x extra-secret y", "extra-secret") == "x *** y"


def test_keys_come_from_the_environment_before_the_keyring(isolated_keyring, monkeypatch):
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    assert secrets.get_key("replicate") is None
    secrets.set_key("replicate", "  r8_from_keyring  ")
    assert secrets.get_key("replicate") == ("r8_from_keyring", "keyring")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_env")
    assert secrets.get_key("replicate") == ("r8_from_env", "environment (REPLICATE_API_TOKEN)")
    assert secrets.clear_key("replicate") is True and secrets.clear_key("replicate") is False
    with pytest.raises(KeyError, match="unknown service"):
        secrets.get_key("sora")


def test_retry_after_seconds_and_dates():
    import email.utils
    import time

    import httpx

    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after(httpx.Response(429, headers={"Retry-After": when})) <= 31
    assert retry_after(httpx.Response(429)) is None


def test_the_key_goes_only_to_the_services_origin():
    client = RemoteClient("https://queue.fal.run", {"Authorization": "Key k"})
    try:
        assert client.trusted("https://queue.fal.run/fal-ai/x/requests/1/status")
        assert not client.trusted("https://v3.fal.media/files/out.mp4")
        assert not client.trusted("http://queue.fal.run/x")  # not over plain HTTP
        assert "Authorization" not in client._headers("https://evil.example/steal", None)
    finally:
        client.close()


def test_every_shipped_preset_loads_and_declares_what_the_issue_asks():
    fal, _ = load_presets("fal")
    rep, _ = load_presets("replicate")
    assert {"ltx-2", "wan-2.5", "kling-2.5-turbo", "hailuo-02", "veo-3.1", "seedance"} <= set(fal)
    assert {"veo-3.1", "hailuo-02", "seedance", "wan-2.5-i2v"} <= set(rep)
    assert fal["kling-2.5-turbo"].supports_seed is False and fal["wan-2.5"].supports_seed is True
    assert fal["veo-3.1"].format_duration(8) == "8s" and fal["wan-2.5"].format_duration(5) == "5"
    assert rep["hailuo-02"].format_duration(6) == 6
    assert all(p.price_per_second is not None for p in [*fal.values(), *rep.values()])


def test_a_bad_preset_names_its_field():
    base = {"id": "x", "endpoint": "a/b", "inputs": {"prompt": "prompt"}, "durations": [5]}
    with pytest.raises(PresetError, match=r"\$\.presets\[0\]\.durations"):
        _parse("fal", {**base, "durations": []}, "fal.json: $.presets[0]")
    with pytest.raises(PresetError, match="inputs.colour: unknown field"):
        _parse("fal", {**base, "inputs": {"colour": "c"}}, "fal.json: $.presets[0]")
    with pytest.raises(PresetError, match="takes no seed"):
        _parse("fal", {**base, "inputs": {"seed": "seed"}, "seed": False}, "fal.json: $.presets[0]")


def test_duration_choice_covers_the_shot():
    preset = load_presets("fal")[0]["veo-3.1"]
    assert [preset.duration_for(s) for s in (1, 4, 4.5, 8, 20)] == [4, 4, 6, 8, 8]


def test_cap():
    enforce_cap(CostEstimate(total=1.0, paid_shots=2), 1.0)
    enforce_cap(CostEstimate(total=9.0, paid_shots=2), None)
    with pytest.raises(CostCapExceeded, match="over the cap"):
        enforce_cap(CostEstimate(total=1.01, paid_shots=2), 1.0)
    with pytest.raises(CostCapExceeded, match="unknown"):
        enforce_cap(CostEstimate(total=0.0, paid_shots=1, unknown=["3"]), 5.0)
