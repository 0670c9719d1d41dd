"""The Replicate adapter against a loopback server following Replicate's predictions API."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from remote_fakes import FakeReplicate, Recorder, run_generator, serve

from generators.replicate import ReplicateGenerator
from storyboard_app.generation.protocol import CancelToken, GenerationCancelled
from storyboard_app.generation.remote import errors
from storyboard_app.media.ffmpeg import probe

KEY = "r8_test_token_0123456789"


@pytest.fixture
def rep(monkeypatch, isolated_keyring):
    yield from serve(monkeypatch, FakeReplicate(KEY), "STORYBOARD_REPLICATE_BASE_URL", "REPLICATE_API_TOKEN")


def run(request, tmp_path: Path, progress=None, cancel=None):  # noqa: ANN001, ANN201
    return run_generator(ReplicateGenerator(), request, tmp_path, progress, cancel)


def test_happy_path(rep, make_request, tmp_path):
    progress = Recorder()
    out, _ = run(make_request(settings={**make_request().settings, "model": "seedance"}), tmp_path, progress)
    assert len(rep.submissions) == 1
    sub = rep.submissions[0]
    assert sub.path == "/v1/models/bytedance/seedance-1-pro/predictions"
    assert sub.headers["authorization"] == f"Bearer {KEY}"
    assert sub.body["input"]["duration"] == 2 and sub.body["input"]["seed"] == 1234
    assert sub.body["input"]["resolution"] == "480p" and sub.body["input"]["aspect_ratio"] == "16:9"
    info = probe(out)
    assert (info.width, info.height, info.video_codec, info.pixel_format) == (128, 72, "h264", "yuv420p")
    assert progress.jobs[0]["job_id"] in rep.jobs and progress.jobs[0]["get_url"].startswith(rep.url)
    assert [c for c in rep.calls_to("file") if "authorization" in c.headers] == []


def test_small_image_as_data_uri_large_one_uploaded(rep, make_request, tmp_path):
    import os

    from PIL import Image

    small = tmp_path / "small.png"
    Image.new("RGB", (32, 32), (0, 90, 200)).save(small)
    settings = {**make_request().settings, "model": "wan-2.5-i2v"}
    run(make_request(reference_images=(str(small),), settings=settings), tmp_path)
    assert rep.submissions[-1].body["input"]["image"].startswith("data:image/png;base64,")
    big = tmp_path / "noise.png"  # random pixels: even as a small JPEG it stays large
    Image.frombytes("RGB", (2400, 2400), os.urandom(2400 * 2400 * 3)).save(big)
    run(make_request(reference_images=(str(big),), settings=settings), tmp_path)
    image = rep.submissions[-1].body["input"]["image"]
    assert image.startswith(f"{rep.url}/v1/files/") and len(rep.calls_to("upload")) == 1


def test_a_model_that_needs_an_image_says_so(rep, make_request, tmp_path):
    from storyboard_app.generation.protocol import GenerationError

    with pytest.raises(GenerationError, match="needs a first-frame image"):
        run(make_request(settings={**make_request().settings, "model": "wan-2.5-i2v"}), tmp_path)
    assert rep.submissions == []


def test_401_scrubs_the_echoed_token(rep, make_request, tmp_path, monkeypatch):
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_wrong_but_secret_42")
    with pytest.raises(errors.AuthFailed) as info:
        run(make_request(), tmp_path)
    assert "r8_wrong_but_secret_42" not in str(info.value) and "***" in str(info.value)


def test_422_invalid_input_carries_replicates_detail(rep, make_request, tmp_path):
    rep.fault("submit", 422, body={"title": "Input validation failed", "status": 422,
                                   "detail": "- input.duration: duration must be one of the following: 6, 10"})
    with pytest.raises(errors.InvalidInput, match="duration must be one of the following"):
        run(make_request(), tmp_path)


def test_429_retry_after_and_500_then_success(rep, make_request, tmp_path):
    rep.fault("submit", 429, headers={"Retry-After": "1"}, body={"detail": "Request was throttled."})
    rep.fault("status", 500)
    started = time.monotonic()
    out, _ = run(make_request(), tmp_path)
    assert out.is_file() and time.monotonic() - started >= 0.95
    assert len(rep.submissions) == 2 and len(rep.jobs) == 1


def test_remote_failure_and_content_policy(rep, make_request, tmp_path):
    rep.fail_jobs = "Prediction failed: the model crashed"
    with pytest.raises(errors.RemoteJobFailed, match="the model crashed"):
        run(make_request(), tmp_path)
    rep.fail_jobs = "Your input was flagged as sensitive (E005)"
    with pytest.raises(errors.ContentPolicyRefused, match="E005"):
        run(make_request(), tmp_path)


def test_expired_output_and_truncated_download(rep, make_request, tmp_path):
    rep.download_mode = "expired"
    with pytest.raises(errors.ResultExpired, match="--rerun-expired"):
        run(make_request(), tmp_path)
    rep.download_mode = "truncated"
    with pytest.raises(errors.DownloadFailed, match="truncated"):
        run(make_request(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_malformed_json_and_hung_poll(rep, make_request, tmp_path):
    rep.fault("submit", raw=b"<html>502 Bad Gateway</html>")
    with pytest.raises(errors.MalformedResponse):
        run(make_request(), tmp_path)
    rep.fault("status", 200, times=10, hang=1.0)
    with pytest.raises(errors.RemoteTimeout):
        run(make_request(settings={**make_request().settings, "http_timeout": 0.3}), tmp_path)


def test_cancel_posts_to_urls_cancel(rep, make_request, tmp_path):
    rep.hold = True
    cancel = CancelToken()
    progress = Recorder()
    progress.remote_accepted = lambda job: cancel.cancel()  # the user cancels once it was accepted
    with pytest.raises(GenerationCancelled):
        run(make_request(), tmp_path, progress, cancel)
    assert [c.method for c in rep.calls_to("cancel")] == ["POST"]


def test_resume_follows_the_same_prediction(rep, make_request, tmp_path):
    rep.hold = True
    progress = Recorder()
    cancel = CancelToken()

    def crash() -> None:
        while not progress.jobs:
            time.sleep(0.01)
        cancel.cancel()

    threading.Thread(target=crash).start()
    first = ReplicateGenerator()
    first.cancel_remote = lambda client, job: None
    with pytest.raises(GenerationCancelled):
        first.generate(make_request(), tmp_path / "out.mp4", progress, cancel)
    rep.hold = False
    again = Recorder()
    ReplicateGenerator().generate(make_request(remote_job=progress.jobs[0]), tmp_path / "out.mp4", again, CancelToken())
    assert (tmp_path / "out.mp4").is_file() and len(rep.submissions) == 1 and again.jobs == []
