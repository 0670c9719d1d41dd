"""The fal adapter against a loopback server following fal's queue protocol (no internet)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from remote_fakes import FakeFal, Recorder, run_generator, serve

from generators.fal import FalGenerator
from storyboard_app.generation.protocol import CancelToken, GenerationCancelled
from storyboard_app.generation.remote import errors
from storyboard_app.media.ffmpeg import probe

KEY = "fal-test-key-0123456789"


@pytest.fixture
def fal(monkeypatch, isolated_keyring):
    yield from serve(monkeypatch, FakeFal(KEY), "STORYBOARD_FAL_BASE_URL", "FAL_KEY")


def run(request, tmp_path: Path, progress=None, cancel=None):  # noqa: ANN001, ANN201
    return run_generator(FalGenerator(), request, tmp_path, progress, cancel)


def test_happy_path_submits_once_follows_the_queue_and_conforms_the_clip(fal, make_request, tmp_path):
    progress = Recorder()
    out, result = run(make_request(settings={**make_request().settings, "model": "wan-2.5"}), tmp_path, progress)
    assert len(fal.submissions) == 1
    sub = fal.submissions[0]
    assert sub.path == "/fal-ai/wan-25-preview/text-to-video"
    assert sub.headers["authorization"] == f"Key {KEY}"
    assert sub.body["prompt"] == "a red kite over a grey sea" and sub.body["seed"] == 1234
    assert sub.body["duration"] == "5" and sub.body["aspect_ratio"] == "16:9" and sub.body["resolution"] == "480p"
    assert sub.body["negative_prompt"] == "blurry"
    info = probe(out)
    assert (info.width, info.height, info.fps, info.pixel_format, info.video_codec) == (128, 72, 12.0, "yuv420p", "h264")
    assert abs(info.duration - 2.0) < 0.1 and result.frames == 24
    assert progress.jobs and progress.jobs[0]["job_id"] in fal.jobs and progress.jobs[0]["service"] == "fal"
    assert any("position 3" in m for m in progress.messages)
    # the key never reaches the download host's logs... nor the job record
    assert KEY not in str(progress.jobs)
    assert [c for c in fal.calls_to("file") if "authorization" in c.headers] == []  # CDN: no key


def test_durations_in_seconds_text_and_no_seed_models(fal, make_request, tmp_path):
    settings = {**make_request().settings, "model": "veo-3.1"}
    run(make_request(settings=settings, frames=60), tmp_path)  # 5 s → Veo's 6s
    assert fal.submissions[-1].body["duration"] == "6s"
    run(make_request(settings={**settings, "model": "kling-2.5-turbo"}), tmp_path)
    assert "seed" not in fal.submissions[-1].body and fal.submissions[-1].body["duration"] == "5"


def test_first_frame_image_goes_to_the_image_endpoint_as_a_data_uri(fal, make_request, tmp_path):
    from PIL import Image

    ref = tmp_path / "ref.png"
    Image.new("RGB", (64, 36), (200, 30, 30)).save(ref)
    run(make_request(reference_images=(str(ref),), settings={**make_request().settings, "model": "hailuo-02"}), tmp_path)
    sub = fal.submissions[-1]
    assert sub.path == "/fal-ai/minimax/hailuo-02/standard/image-to-video"
    assert sub.body["image_url"].startswith("data:image/png;base64,")


def test_401_is_an_auth_error_without_the_key_and_without_retries(fal, make_request, tmp_path, monkeypatch):
    monkeypatch.setenv("FAL_KEY", "wrong-key-abcdef")
    with pytest.raises(errors.AuthFailed) as info:
        run(make_request(), tmp_path)
    assert "authentication failed" in str(info.value) and "wrong-key-abcdef" not in str(info.value)
    assert len(fal.calls) == 1
    assert not (tmp_path / "out.mp4").exists()


def test_422_is_invalid_input_with_the_services_message(fal, make_request, tmp_path):
    fal.fault("submit", 422, body={"detail": [{"loc": ["body", "duration"], "msg": "value is not a valid enumeration member",
                                               "type": "type_error.enum"}]})
    with pytest.raises(errors.InvalidInput, match="duration: value is not a valid enumeration member"):
        run(make_request(), tmp_path)
    assert len(fal.submissions) == 1


def test_content_policy_refusal_is_named(fal, make_request, tmp_path):
    fal.fault("submit", 422, body={"detail": [{"msg": "The content could not be processed because it contained "
                                                      "material flagged by a content checker.",
                                               "type": "content_policy_violation"}]})
    with pytest.raises(errors.ContentPolicyRefused):
        run(make_request(), tmp_path)


def test_404_model_not_found(fal, make_request, tmp_path):
    fal.fault("submit", 404, body={"detail": "Application 'nope' not found"})
    with pytest.raises(errors.NotFound, match="Application 'nope' not found"):
        run(make_request(), tmp_path)


def test_429_honours_retry_after_then_succeeds(fal, make_request, tmp_path):
    fal.fault("submit", 429, headers={"Retry-After": "1"}, body={"detail": "Too many requests"})
    started = time.monotonic()
    run(make_request(), tmp_path)
    assert time.monotonic() - started >= 0.95  # waited as told, not the 0.02 s backoff
    assert len(fal.submissions) == 2 and len(fal.jobs) == 1


def test_500_then_success_on_status_and_result(fal, make_request, tmp_path):
    fal.fault("status", 500, times=2)
    fal.fault("result", 503)
    out, _ = run(make_request(), tmp_path)
    assert out.is_file() and len(fal.jobs) == 1


def test_persistent_5xx_gives_up_with_a_clear_message(fal, make_request, tmp_path):
    fal.fault("submit", 502, times=10, body={"detail": "bad gateway"})
    with pytest.raises(errors.ServiceUnavailable, match="gave up after 3 attempts"):
        run(make_request(), tmp_path)


def test_hung_status_call_times_out_and_is_retried(fal, make_request, tmp_path):
    settings = {**make_request().settings, "http_timeout": 0.3}
    fal.fault("status", 200, times=1, hang=1.0)
    out, _ = run(make_request(settings=settings), tmp_path)  # one hang, then answered
    assert out.is_file()
    fal.fault("status", 200, times=10, hang=1.0)
    with pytest.raises(errors.RemoteTimeout, match="did not answer within 0.3 s"):
        run(make_request(settings=settings), tmp_path)


def test_a_hung_submission_is_not_sent_twice(fal, make_request, tmp_path):
    fal.fault("submit", 200, hang=1.0)
    with pytest.raises(errors.RemoteTimeout, match="not sent again"):
        run(make_request(settings={**make_request().settings, "http_timeout": 0.3}), tmp_path)
    time.sleep(0.8)
    assert len(fal.submissions) == 1


def test_malformed_json_is_an_error(fal, make_request, tmp_path):
    fal.fault("status", raw=b'{"status": "IN_QUEUE", ')
    with pytest.raises(errors.MalformedResponse, match="malformed JSON"):
        run(make_request(), tmp_path)


@pytest.mark.parametrize("mode, error, text", [
    ("truncated", errors.DownloadFailed, "truncated"),
    ("oversized", errors.DownloadFailed, "over the"),
    ("oversized_chunked", errors.DownloadFailed, "over the"),
    ("html", errors.DownloadFailed, "expected a video"),
    ("expired", errors.ResultExpired, "expired"),
    ("result_expired", errors.ResultExpired, "--rerun-expired"),
])
def test_bad_downloads_fail_and_leave_no_partial_files(fal, make_request, tmp_path, mode, error, text):
    fal.download_mode = mode
    with pytest.raises(error, match=text):
        run(make_request(settings={**make_request().settings, "max_download_mb": 1}), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert len(fal.submissions) == 1


def test_an_undecodable_download_is_refused(fal, make_request, tmp_path, monkeypatch):
    import remote_fakes

    monkeypatch.setitem(remote_fakes._CLIP, "clip", b"\0\0\0\x18ftypmp42" + b"garbage" * 500)
    with pytest.raises(errors.DownloadFailed, match="not a readable video"):
        run(make_request(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_expired_result_is_rerun_only_with_consent(fal, make_request, tmp_path):
    fal.download_mode = "result_expired"
    with pytest.raises(errors.ResultExpired):
        run(make_request(), tmp_path)
    assert len(fal.submissions) == 1

    class Heal(Recorder):
        def remote_accepted(self, job: dict) -> None:
            super().remote_accepted(job)
            if len(self.jobs) == 2:
                fal.download_mode = "ok"  # the second run's result is fetched in time

    progress = Heal()
    out, _ = run(make_request(run_options={"rerun_expired": True}), tmp_path, progress)
    assert out.is_file() and len(fal.submissions) == 3 and len(progress.jobs) == 2  # re-run reported too


def test_a_remote_failure_is_reported_with_the_services_reason(fal, make_request, tmp_path):
    fal.fail_jobs = "CUDA out of memory on the runner"
    with pytest.raises(errors.RemoteJobFailed, match="CUDA out of memory"):
        run(make_request(), tmp_path)


def test_cancel_reaches_the_service(fal, make_request, tmp_path):
    fal.hold = True
    cancel = CancelToken()
    progress = Recorder()
    progress.remote_accepted = lambda job: (progress.jobs.append(job), cancel.cancel())  # once accepted
    with pytest.raises(GenerationCancelled):
        run(make_request(), tmp_path, progress, cancel)
    assert len(fal.calls_to("cancel")) == 1
    assert fal.calls_to("cancel")[0].method == "PUT"
    assert fal.calls_to("cancel")[0].headers["authorization"] == f"Key {KEY}"
    assert list(tmp_path.iterdir()) == []


def test_resume_after_the_adapter_is_recreated_mid_job_submits_nothing(fal, make_request, tmp_path):
    fal.hold = True
    cancel = CancelToken()
    progress = Recorder()

    def crash_after_acceptance() -> None:  # the app "dies" once the job was accepted
        while not progress.jobs:
            time.sleep(0.01)
        time.sleep(0.1)
        cancel.cancel()

    threading.Thread(target=crash_after_acceptance).start()
    first = FalGenerator()
    first.cancel_remote = lambda client, job: None  # a crash cancels nothing on the service
    with pytest.raises(GenerationCancelled):
        first.generate(make_request(), tmp_path / "out.mp4", progress, cancel)
    job = progress.jobs[0]
    fal.hold = False
    again = Recorder()
    out = tmp_path / "out.mp4"
    FalGenerator().generate(make_request(remote_job=job), out, again, CancelToken())
    assert out.is_file()
    assert len(fal.submissions) == 1 and again.jobs == []
    assert any("resuming" in m for m in again.messages)


def test_no_key_is_a_setup_error(fal, make_request, tmp_path, monkeypatch):
    from storyboard_app.generation.protocol import GeneratorSetupError

    monkeypatch.delenv("FAL_KEY")
    with pytest.raises(GeneratorSetupError, match="auth set fal"):
        run(make_request(), tmp_path)
    assert fal.calls == []
    assert FalGenerator().check().usable is False


def test_cost_estimate_uses_the_billed_duration_and_resolution(make_request):
    gen = FalGenerator()
    request = make_request(settings={"model": "wan-2.5"}, width=1280, height=720, frames=24 * 7, fps=24)
    assert gen.estimate_cost(request) == pytest.approx(10 * 0.10)  # 7 s → billed 10 s at 720p
