"""``models pull / rm / list`` against a loopback server that answers the Hub's file endpoints
(fake_hub.py): no network. The pulled files land in an HF cache under tmp_path (HF_HOME)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import namedtuple

import pytest
from fake_hub import COMMIT, FakeHub, FakeRepo

from generators.diffusers_local import hub

REPO = "me/tiny-pipe"
WEIGHTS = "unet/diffusion_pytorch_model.safetensors"


def tiny_repo(weights: bytes, **kwargs) -> FakeRepo:
    index = {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"],
             "scheduler": ["diffusers", "EulerDiscreteScheduler"], "safety_checker": [None, None]}
    files = {"model_index.json": json.dumps(index).encode(), "unet/config.json": b"{}", WEIGHTS: weights,
             "scheduler/scheduler_config.json": b"{}", "v1-5-pruned.ckpt": b"x" * 100,  # not fetched
             "unet/diffusion_pytorch_model.fp16.safetensors": b"y" * 100, "README.md": b"# tiny"}
    return FakeRepo(files, lfs={WEIGHTS, "v1-5-pruned.ckpt", "unet/diffusion_pytorch_model.fp16.safetensors"},
                    **kwargs)


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    server = FakeHub({REPO: tiny_repo(os.urandom(3 * 1024 * 1024))}).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield server
    server.stop()


def test_pull_fetches_the_loadable_files_into_the_hf_home_cache(fake_hub, tmp_path):
    assert hub.model_status(REPO).state == "missing"
    seen = []
    path = hub.pull(REPO, progress=lambda done, total, file: seen.append((done, total)))
    assert path == tmp_path / "hf" / "hub" / "models--me--tiny-pipe" / "snapshots" / COMMIT
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir()) == [
        "model_index.json", "scheduler/scheduler_config.json", "unet/config.json", WEIGHTS]
    assert (path / WEIGHTS).read_bytes() == fake_hub.repos[REPO].files[WEIGHTS]
    total = seen[-1][1]
    assert seen[-1][0] == total and [d for d, _t in seen] == sorted(d for d, _t in seen)
    status = hub.model_status(REPO)
    assert status.state == "present" and status.size >= 3 * 1024 * 1024
    assert hub.remove(REPO) >= 3 * 1024 * 1024 and hub.model_status(REPO).state == "missing"


def test_an_interrupted_pull_is_partial_and_the_next_one_resumes_with_a_range_request(fake_hub):
    """huggingface_hub streams in 10 MB chunks: cancel after the first one of a 24 MB file."""
    fake_hub.repos[REPO] = tiny_repo(os.urandom(24 * 1024 * 1024))
    chunk = 10 * 1024 * 1024
    cancel = threading.Event()
    updates = []

    def progress(done: int, total: int, file: str) -> None:
        if file == WEIGHTS:
            updates.append(done)
            if len(updates) == 2:  # the bar's start, then the first chunk: cancel (that chunk is kept)
                cancel.set()

    with pytest.raises(hub.PullCancelled):
        hub.pull(REPO, progress=progress, cancelled=cancel.is_set)
    status = hub.model_status(REPO)
    assert status.state == "partial" and "unfinished" in status.detail
    path = hub.pull(REPO)
    ranges = [r for method, p, r in fake_hub.requests if method == "GET" and p.endswith(WEIGHTS) and r]
    assert ranges == [f"bytes={chunk}-"]  # the second pull asked only for the rest
    assert (path / WEIGHTS).read_bytes() == fake_hub.repos[REPO].files[WEIGHTS]
    assert hub.model_status(REPO).state == "present"


def test_a_checksum_mismatch_is_an_error_and_the_file_is_not_kept(fake_hub):
    fake_hub.corrupt.add(WEIGHTS)
    with pytest.raises(hub.ChecksumMismatch, match="diffusion_pytorch_model.safetensors: checksum"):
        hub.pull(REPO)
    blobs = hub.repo_folder(REPO) / "blobs"
    assert not (blobs / hashlib.sha256(fake_hub.repos[REPO].files[WEIGHTS]).hexdigest()).exists()
    assert hub.model_status(REPO).state == "partial"
    fake_hub.corrupt.clear()
    hub.pull(REPO)
    assert hub.model_status(REPO).state == "present"


def test_a_gated_model_names_its_licence_page_and_the_token(fake_hub):
    fake_hub.repos["org/gated"] = tiny_repo(b"w" * 10, gated=True)
    with pytest.raises(hub.HubError, match=r"gated model: accept its licence at http://127\.0\.0\.1:\d+/org/gated.*HF_TOKEN"):
        hub.pull("org/gated")


def test_a_download_that_does_not_fit_the_disk_is_refused_before_it_starts(fake_hub, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(hub.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1024))
    with pytest.raises(hub.HubError, match="needs 3.0 MB more .* only 1.0 KB is free"):
        hub.pull(REPO)
    assert not any(p.endswith(WEIGHTS) for _m, p, _r in fake_hub.requests)


def test_presets_and_ids_resolve_and_nonsense_is_refused():
    assert hub.resolve_name("sd-turbo")[0] == "stabilityai/sd-turbo"
    assert hub.resolve_name("owner/name") == ("owner/name", None)
    with pytest.raises(hub.HubError, match="neither a preset"):
        hub.resolve_name("not-a-preset")


def test_hf_token_opens_a_gated_model(fake_hub, monkeypatch):
    fake_hub.repos["org/gated"] = tiny_repo(b"w" * 10, gated=True)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    path = hub.pull("org/gated")
    assert (path / "model_index.json").exists() and hub.model_status("org/gated").state == "present"
