"""The ComfyUI adapter against a loopback ComfyUI server (HTTP + websocket, tests/.../fake_comfyui.py)."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from comfyui_fixtures import Recorder, frames_of, request_for
from PIL import Image

from generators.comfyui import ComfyUIGenerator
from generators.comfyui.workflow import load_workflow
from storyboard_app.generation.protocol import CancelToken, GenerationCancelled, GenerationError
from storyboard_app.media.ffmpeg import probe


def generate(request, out: Path, progress=None, cancel=None):
    return ComfyUIGenerator().generate(request, out, progress or Recorder(), cancel or CancelToken())


def assert_clip(out: Path, request) -> np.ndarray:
    info = probe(out)
    assert (info.width, info.height, info.video_codec, info.pixel_format) == (160, 90, "h264", "yuv420p")
    frames = frames_of(out)
    assert len(frames) == request.frames
    return frames


# --------------------------------------------------------------------------- happy paths


def test_still_workflow_fills_the_mapping_and_animates_the_still_with_the_camera_move(server, tmp_path):
    request = request_for(server, "still_sd15")  # shot 1: push in
    recorder = Recorder()
    out = tmp_path / "a.mp4"
    result = generate(request, out, recorder)

    frames = assert_clip(out, request)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1  # the camera moved
    [body] = server.calls("POST", "/prompt")
    prompt = body["prompt"]
    assert prompt["6"]["inputs"]["text"] == request.prompt
    assert prompt["7"]["inputs"]["text"] == request.negative_prompt
    assert prompt["3"]["inputs"]["seed"] == request.seed
    # the checkpoint's pixel budget at the shot's 16:9, in steps of 8
    w, h = prompt["5"]["inputs"]["width"], prompt["5"]["inputs"]["height"]
    assert (w % 8, h % 8) == (0, 0) and abs(w / h - 16 / 9) < 0.03 and w * h <= 393216 * 1.05
    assert prompt["4"]["inputs"]["ckpt_name"] == "v1-5-pruned-emaonly-fp16.safetensors"  # untouched
    # our own UUID prompt id, reported the moment it was accepted, with nothing secret in it
    assert uuid.UUID(body["prompt_id"]) and body["client_id"]
    [job] = recorder.jobs
    assert job == {"service": "comfyui", "endpoint": server.url, "job_id": body["prompt_id"],
                   "client_id": body["client_id"], "workflow": "still_sd15"}
    assert result.info["prompt_id"] == body["prompt_id"] and result.info["resumed"] is False
    # the websocket carried the sampler's steps into our progress
    assert any("node 3 (KSampler): step 4/4" in t for t in recorder.texts)
    fractions = [f for f, _ in recorder.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # the picture is the server's: its colour (derived from the seed) fills the clip's corner
    still = Image.open(next((server.output_dir / "storyboard").glob("*.png"))).convert("RGB")
    assert np.abs(frames[0][5, 5].astype(int) - np.array(still.getpixel((5, 5)))).max() < 20


def test_text_to_video_follows_the_models_frame_rule_and_is_conformed_to_the_shot(server, tmp_path):
    request = request_for(server, "t2v_ltxv")  # 12 frames at 12 fps = 1 s
    out = tmp_path / "v.mp4"
    generate(request, out)
    assert_clip(out, request)
    [body] = server.calls("POST", "/prompt")
    prompt = body["prompt"]
    assert prompt["70"]["inputs"]["length"] == 25  # 1 s at 24 fps → 24 → 8n+1
    assert prompt["69"]["inputs"]["frame_rate"] == 24 and prompt["78"]["inputs"]["fps"] == 24
    assert prompt["70"]["inputs"]["width"] % 32 == 0 and prompt["72"]["inputs"]["noise_seed"] == request.seed


def test_image_to_video_uploads_the_first_frame_and_points_load_image_at_it(server, tmp_path):
    first = tmp_path / "ref.png"
    Image.new("RGB", (96, 64), (200, 30, 30)).save(first)
    request = dataclasses.replace(request_for(server, "i2v_wan21"), reference_images=(str(first),))
    out = tmp_path / "i.mp4"
    generate(request, out)
    assert_clip(out, request)
    [upload] = server.calls("POST", "/upload/image")
    assert upload["fields"] == {"type": "input", "overwrite": "true"} and upload["files"] == ["image"]
    [body] = server.calls("POST", "/prompt")
    name = body["prompt"]["52"]["inputs"]["image"]
    assert name.startswith("storyboard_") and (server.input_dir / name).read_bytes() == first.read_bytes()
    assert body["prompt"]["50"]["inputs"]["length"] == 17  # 1 s at 16 fps → 4n+1


def test_image_to_video_without_any_image_says_what_to_do(server, tmp_path):
    with pytest.raises(GenerationError, match="reference image.*first_frame.*sketch"):
        generate(request_for(server, "i2v_wan21", index=2), tmp_path / "x.mp4")
    assert server.calls("POST", "/prompt") == []


def test_image_to_video_can_start_from_the_sketch_of_the_shot(server, tmp_path):
    request = request_for(server, "i2v_wan21", index=2, first_frame="sketch")
    generate(request, tmp_path / "s.mp4")
    [body] = server.calls("POST", "/prompt")
    uploaded = Image.open(server.input_dir / body["prompt"]["52"]["inputs"]["image"])
    assert uploaded.size == (body["prompt"]["50"]["inputs"]["width"], body["prompt"]["50"]["inputs"]["height"])
    assert len(set(uploaded.convert("RGB").getdata())) > 50  # a drawing, not a blank frame


@pytest.mark.parametrize("style", ["gifs", "frames", "webp"])
def test_gifs_animated_webp_and_saved_frame_sequences_become_the_clip(server, tmp_path, style):
    """VideoHelperSuite's ``gifs``, SaveAnimatedWEBP's merged identical frames (seen on a real
    ComfyUI 0.3.64: ffmpeg decodes such a file as one frame without a usable timestamp, and
    the clip came out empty), and a clip saved frame by frame with SaveImage."""
    server.output_style = style
    workflow = _frames_workflow(tmp_path) if style == "frames" else "t2v_ltxv"
    request = request_for(server, workflow)
    out = tmp_path / "g.mp4"
    generate(request, out)
    assert_clip(out, request)


def _frames_workflow(tmp_path: Path) -> str:
    """A clip workflow that saves its frames with SaveImage (many PNGs)."""
    import json

    graph = json.loads(Path(load_workflow("t2v_ltxv").source).read_text())
    del graph["78"], graph["79"]
    graph["9"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "f", "images": ["8", 0]}}
    path = tmp_path / "frames_wf.json"
    path.write_text(json.dumps(graph))
    mapping = {"output": "clip", "inputs": {"prompt": "6.inputs.text", "seed": "72.inputs.noise_seed",
                                            "width": "70.inputs.width", "height": "70.inputs.height",
                                            "frames": "70.inputs.length", "fps": "69.inputs.frame_rate"},
               "size": {"max_pixels": 20000, "multiple": 32}, "frames": {"step": 8, "offset": 1}, "fps": 12}
    (tmp_path / "frames_wf.mapping.json").write_text(json.dumps(mapping))
    return str(path)


# --------------------------------------------------------------------------- server errors


def test_validation_errors_are_shown_per_node_in_plain_words(server, tmp_path):
    server.node_errors = {
        "6": {"errors": [{"type": "required_input_missing", "message": "Required input is missing",
                          "details": "clip", "extra_info": {"input_name": "clip"}}],
              "dependent_outputs": ["9"], "class_type": "CLIPTextEncode"},
        "4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                          "details": "ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' not in []", "extra_info": {}}],
              "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"},
    }
    out, recorder = tmp_path / "e.mp4", Recorder()
    with pytest.raises(GenerationError) as err:
        generate(request_for(server), out, recorder)
    assert recorder.jobs == []  # refused: nothing to resume
    text = str(err.value)
    assert "node 6 (CLIPTextEncode): Required input is missing: clip" in text
    assert "node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name" in text
    assert len(server.calls("POST", "/prompt")) == 1  # a 400 is not retried
    assert not out.exists()


def test_404_is_a_clear_error_without_retries(server, tmp_path):
    server.faults["POST /prompt"] = [(404, {}, b"404: Not Found")]
    with pytest.raises(GenerationError, match=r"not found \(HTTP 404\).*is this a ComfyUI server"):
        generate(request_for(server), tmp_path / "e.mp4")
    assert len(server.calls("POST", "/prompt")) == 1


def test_429_waits_for_retry_after_then_submits_once(server, tmp_path):
    server.faults["POST /prompt"] = [(429, {"Retry-After": "1"}, b"")]
    started = time.monotonic()
    out = tmp_path / "r.mp4"
    generate(request_for(server), out)
    assert time.monotonic() - started >= 0.95  # the server's Retry-After, not our 0.01 s backoff
    assert len(server.calls("POST", "/prompt")) == 2
    assert len(server.history) == 1 and out.exists()


def test_500_then_success_on_every_route_of_the_job(server, tmp_path):
    for route in ("POST /prompt", "GET /history/{id}", "GET /view"):
        server.faults[route] = [(500, {}, b'{"error": "boom"}')]
    out = tmp_path / "r.mp4"
    generate(request_for(server, websocket=False), out)
    assert out.exists() and len(server.history) == 1


def test_5xx_that_never_ends_fails_after_the_retries(server, tmp_path):
    server.faults["POST /prompt"] = [(503, {}, b"")] * 10
    with pytest.raises(GenerationError, match=r"POST /prompt failed after 3 tries: HTTP 503"):
        generate(request_for(server), tmp_path / "e.mp4")


def test_a_hung_response_times_out_with_a_clear_error(server, tmp_path):
    server.hang["POST /prompt"] = 10.0
    started = time.monotonic()
    with pytest.raises(GenerationError, match=r"no answer within 0.3 s"):
        generate(request_for(server, request_timeout=0.3, retries=2), tmp_path / "e.mp4")
    assert time.monotonic() - started < 5


def test_an_answer_lost_after_the_server_queued_the_prompt_is_not_submitted_twice(server, tmp_path):
    """A 502 from a proxy after ComfyUI queued it: the adapter asks before resubmitting."""
    real_submit = server.submit

    def submit_then_lose(body):
        real_submit(body)
        raise ConnectionResetError("answer lost")

    server.submit = submit_then_lose
    out = tmp_path / "l.mp4"
    generate(request_for(server), out)
    assert len(server.calls("POST", "/prompt")) == 1 and len(server.history) == 1 and out.exists()


def test_malformed_json_is_an_error(server, tmp_path):
    server.malformed.add("POST /prompt")
    with pytest.raises(GenerationError, match="not valid JSON"):
        generate(request_for(server), tmp_path / "e.mp4")


def test_a_truncated_download_is_an_error_and_leaves_no_file(server, tmp_path):
    server.truncate_view = True
    out = tmp_path / "t.mp4"
    with pytest.raises(GenerationError, match="incomplete download discarded"):
        generate(request_for(server, "t2v_ltxv"), out)
    assert not out.exists()


def test_an_oversized_download_is_refused(server, tmp_path):
    server.view_padding = 2 * 1024 * 1024
    out = tmp_path / "o.mp4"
    with pytest.raises(GenerationError, match=r"over the 1 MB limit"):
        generate(request_for(server, max_download_mb=1), out)
    assert not out.exists()


def test_a_result_that_does_not_decode_is_refused(server, tmp_path, monkeypatch):
    server.view_padding = 0
    monkeypatch.setattr(server, "_make_output", _broken_output(server))
    with pytest.raises(GenerationError, match="not a readable image"):
        generate(request_for(server), tmp_path / "b.mp4")


def _broken_output(server):
    def make(node, prompt, prompt_id):
        if node["class_type"] != "SaveImage":
            return None
        (server.output_dir / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
        return {"images": [{"filename": "bad.png", "subfolder": "", "type": "output"}]}
    return make


def test_execution_error_names_the_node_and_the_exception(server, tmp_path):
    server.exec_error_node = "3"
    with pytest.raises(GenerationError, match=r"ComfyUI failed in node 3 \(KSampler\): OutOfMemoryError: CUDA out of memory"):
        generate(request_for(server), tmp_path / "e.mp4")


# --------------------------------------------------------------------------- websocket and polling


def test_without_a_websocket_the_adapter_polls_the_history(server, tmp_path):
    server.websocket = False
    recorder = Recorder()
    out = tmp_path / "p.mp4"
    generate(request_for(server), out, recorder)
    assert out.exists()
    assert server.calls("GET", "/ws") and len(server.calls("GET", "/history/{id}")) >= 1
    assert any("polling" in t for t in recorder.texts)


def test_a_websocket_that_drops_mid_job_falls_back_to_polling(server, tmp_path):
    server.ws_drop_after = 3
    server.finish_gate.clear()
    recorder = Recorder()
    out = tmp_path / "d.mp4"
    worker = threading.Thread(target=generate, args=(request_for(server), out, recorder))
    worker.start()
    server.wait_for(lambda: any("websocket dropped" in t for t in recorder.texts))
    server.finish_gate.set()
    worker.join(30)
    assert out.exists()


# --------------------------------------------------------------------------- cancel


def _run_in_thread(request, out, cancel, recorder):
    outcome: dict[str, BaseException | None] = {}

    def run():
        try:
            generate(request, out, recorder, cancel)
            outcome["error"] = None
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_cancel_while_queued_deletes_the_prompt_from_the_queue(server, tmp_path):
    server.start_gate.clear()
    cancel, recorder = CancelToken(), Recorder()
    thread, outcome = _run_in_thread(request_for(server), tmp_path / "c.mp4", cancel, recorder)
    server.wait_for(lambda: bool(server.pending))
    pid = server.pending[0][1]
    cancel.cancel()
    thread.join(10)
    assert isinstance(outcome["error"], GenerationCancelled)
    assert server.calls("POST", "/queue") == [{"delete": [pid]}]
    assert server.pending == [] and server.calls("POST", "/interrupt") == []
    assert not (tmp_path / "c.mp4").exists()


def test_cancel_while_running_interrupts_that_prompt(server, tmp_path):
    server.finish_gate.clear()
    cancel, recorder = CancelToken(), Recorder()
    thread, outcome = _run_in_thread(request_for(server), tmp_path / "c.mp4", cancel, recorder)
    server.wait_for(lambda: server.running is not None)
    pid = server.running[1]
    started = time.monotonic()
    cancel.cancel()
    thread.join(10)
    # a server that answers: the cancel is quick (the service's grace for remote jobs is 15 s)
    assert time.monotonic() - started < 4.0
    assert isinstance(outcome["error"], GenerationCancelled)
    assert server.calls("POST", "/interrupt") == [{"prompt_id": pid}]
    server.wait_for(lambda: pid in server.history)
    assert server.history[pid]["status"]["status_str"] == "error"  # the server stopped it


def test_a_job_that_outlasts_job_timeout_fails_and_is_left_on_the_server(server, tmp_path):
    server.finish_gate.clear()
    recorder = Recorder()
    with pytest.raises(GenerationError, match=r"no result within 1 s .*left on the server"):
        generate(request_for(server, job_timeout=1), tmp_path / "t.mp4", recorder)
    assert server.running is not None and server.calls("POST", "/interrupt") == []
    assert recorder.jobs  # recorded, so a later generate resumes it


# --------------------------------------------------------------------------- resume


def test_a_recreated_adapter_resumes_the_accepted_job_without_submitting_again(server, tmp_path):
    server.finish_gate.clear()
    request = request_for(server, "t2v_ltxv")
    crashing = Recorder(crash_after_accept=True)
    with pytest.raises(SystemExit):  # the app dies right after the service accepted the job
        generate(request, tmp_path / "first.mp4", crashing)
    [job] = crashing.jobs
    assert server.calls("POST", "/interrupt") == [] and server.calls("POST", "/queue") == []

    server.finish_gate.set()  # the server keeps working while the app is gone
    resumed = dataclasses.replace(request, remote_job=job)
    out = tmp_path / "second.mp4"
    recorder = Recorder()
    result = generate(resumed, out, recorder)  # a fresh adapter, as after a restart
    assert_clip(out, request)
    assert len(server.calls("POST", "/prompt")) == 1 and recorder.jobs == []
    assert result.info["resumed"] is True and result.info["prompt_id"] == job["job_id"]


def test_resume_of_a_job_that_is_still_running_follows_it(server, tmp_path):
    server.finish_gate.clear()
    request = request_for(server)
    crashing = Recorder(crash_after_accept=True)
    with pytest.raises(SystemExit):
        generate(request, tmp_path / "first.mp4", crashing)
    server.wait_for(lambda: server.running is not None)
    out = tmp_path / "second.mp4"
    thread, outcome = _run_in_thread(dataclasses.replace(request, remote_job=crashing.jobs[0]), out,
                                     CancelToken(), Recorder())
    time.sleep(0.3)
    assert thread.is_alive()  # following, not finished, not resubmitted
    server.finish_gate.set()
    thread.join(30)
    assert outcome["error"] is None and out.exists()
    assert len(server.calls("POST", "/prompt")) == 1


def test_resume_when_the_server_forgot_the_job_submits_it_again(server, tmp_path):
    request = request_for(server)
    job = {"service": "comfyui", "endpoint": server.url, "job_id": str(uuid.uuid4()), "client_id": "x"}
    recorder = Recorder()
    out = tmp_path / "f.mp4"
    generate(dataclasses.replace(request, remote_job=job), out, recorder)
    assert out.exists() and len(server.calls("POST", "/prompt")) == 1
    assert recorder.jobs and recorder.jobs[0]["job_id"] != job["job_id"]  # the new job is recorded


def test_a_resumed_job_whose_output_was_deleted_on_the_server_is_made_again(server, tmp_path):
    request = request_for(server)
    first = Recorder()
    generate(request, tmp_path / "first.mp4", first)
    for file in server.output_dir.rglob("*.png"):
        file.unlink()
    out, second = tmp_path / "second.mp4", Recorder()
    result = generate(dataclasses.replace(request, remote_job=first.jobs[0]), out, second)
    assert out.exists() and len(server.calls("POST", "/prompt")) == 2
    assert result.info["resumed"] is False and second.jobs[0]["job_id"] == result.info["prompt_id"]


def test_a_job_that_failed_on_the_server_while_the_app_was_away_is_tried_again(server, tmp_path):
    server.exec_error_node = "3"
    request = request_for(server)
    crashing = Recorder(crash_after_accept=True)
    with pytest.raises(SystemExit):
        generate(request, tmp_path / "first.mp4", crashing)
    server.wait_for(lambda: crashing.jobs[0]["job_id"] in server.history)
    server.exec_error_node = None  # the operator freed the GPU
    recorder = Recorder()
    out = tmp_path / "second.mp4"
    result = generate(dataclasses.replace(request, remote_job=crashing.jobs[0]), out, recorder)
    assert out.exists() and len(server.calls("POST", "/prompt")) == 2 and result.info["resumed"] is False
    assert any("earlier job failed (ComfyUI failed in node 3 (KSampler)" in t for t in recorder.texts)


def test_an_older_comfyui_that_picks_its_own_prompt_id_is_followed_by_that_id(server, tmp_path):
    server.honour_prompt_id = False
    recorder = Recorder()
    out = tmp_path / "o.mp4"
    result = generate(request_for(server), out, recorder)
    [server_id] = server.history
    assert out.exists() and recorder.jobs[0]["job_id"] == server_id == result.info["prompt_id"]


def test_a_job_recorded_for_another_server_is_not_resumed_there(server, tmp_path):
    job = {"service": "comfyui", "endpoint": "http://elsewhere:8188", "job_id": "abc"}
    generate(dataclasses.replace(request_for(server), remote_job=job), tmp_path / "o.mp4")
    assert {"path": "/history/abc"} not in server.calls("GET", "/history/{id}")
    assert len(server.calls("POST", "/prompt")) == 1


# --------------------------------------------------------------------------- headers, check, workflows


def test_custom_headers_reach_every_call_and_never_the_job_record_or_messages(server, tmp_path, monkeypatch):
    secret = "Bearer canary-7f3a9c"
    monkeypatch.setenv("PROXY_TOKEN", secret)
    recorder = Recorder()
    generate(request_for(server, headers={"Authorization": "env:PROXY_TOKEN"}), tmp_path / "h.mp4", recorder)
    assert server.seen_headers and all(h.get("Authorization") == secret for h in server.seen_headers)
    assert ("GET", "/ws") in [(m, p) for m, p, _ in server.log]
    assert secret not in repr(recorder.jobs) and secret not in repr(recorder.events)

    server.faults["POST /prompt"] = [(401, {}, b"")]
    with pytest.raises(GenerationError) as err:
        generate(request_for(server, headers={"Authorization": "env:PROXY_TOKEN"}), tmp_path / "h2.mp4")
    assert "refused access" in str(err.value) and "canary" not in str(err.value)


def test_user_and_password_in_the_url_become_basic_auth_and_stay_out_of_the_job(server, tmp_path):
    url = server.url.replace("http://", "http://director:s3cret-canary@")
    recorder = Recorder()
    generate(request_for(server, url=url), tmp_path / "u.mp4", recorder)
    expected = "Basic " + __import__("base64").b64encode(b"director:s3cret-canary").decode()
    assert all(h.get("Authorization") == expected for h in server.seen_headers)
    assert recorder.jobs[0]["endpoint"] == server.url and "canary" not in repr(recorder.events)


def test_check_reports_reachability_for_the_picker(server):
    ok = ComfyUIGenerator().check({"url": server.url})
    assert ok.usable and "0.3.64-fake" in ok.detail and "Fake GPU" in ok.detail
    server.close()
    down = ComfyUIGenerator().check({"url": server.url})
    assert not down.usable and "not reachable" in down.detail


def test_the_shipped_workflows_and_their_rules():
    still, t2v, i2v = (load_workflow(n) for n in ("still_sd15", "t2v_ltxv", "i2v_wan21"))
    assert (still.output, t2v.output, i2v.output) == ("still", "clip", "clip") and i2v.needs_image
    assert [t2v.frames_for(s) for s in (0.1, 1.0, 4.0, 60.0)] == [9, 25, 97, 257]
    assert [i2v.frames_for(s) for s in (0.1, 1.0, 4.0, 60.0)] == [5, 17, 65, 81]
    assert t2v.size_for(1920, 1080) == (832, 480) and t2v.size_for(1080, 1920) == (480, 832)


def test_a_mapping_that_names_a_missing_input_is_one_line_naming_file_and_field(tmp_path):
    from generators.comfyui.workflow import WorkflowError

    graph = tmp_path / "wf.json"
    graph.write_text('{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}}}')
    (tmp_path / "wf.mapping.json").write_text('{"inputs": {"prompt": "6.inputs.txt"}}')
    with pytest.raises(WorkflowError) as err:
        load_workflow(str(graph))
    assert str(err.value) == (f"{tmp_path / 'wf.mapping.json'}: inputs.prompt: node 6 (CLIPTextEncode) has no "
                              "input 'txt' (it has: clip, text)")
    (tmp_path / "wf.mapping.json").write_text('{"inputs": {"prompt": "9.inputs.text"}}')
    with pytest.raises(WorkflowError, match="inputs.prompt: workflow .* has no node '9'"):
        load_workflow(str(graph))
    graph.write_text('{"nodes": [], "links": []}')
    with pytest.raises(WorkflowError, match="UI workflow; export it with 'Export \\(API\\)'"):
        load_workflow(str(graph))


# --------------------------------------------------------------------------- small pieces


def test_retry_after_in_seconds_or_as_a_date_and_backoff_with_jitter():
    from email.utils import formatdate

    from generators.comfyui.client import MAX_RETRY_AFTER, RetryPolicy, parse_retry_after

    assert parse_retry_after("3") == 3.0 and parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert 8 <= parse_retry_after(formatdate(time.time() + 10, usegmt=True)) <= 10
    policy = RetryPolicy(base=0.5, cap=4.0)
    delays = [policy.delay(4) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in delays) and len(set(delays)) > 100  # capped, jittered
    assert policy.delay(0, retry_after=1e6) == MAX_RETRY_AFTER


def test_a_workflow_with_a_node_the_server_lacks_is_explained():
    """ComfyUI's 400 for a missing custom node has no node_errors, only an error."""
    from generators.comfyui.client import describe_validation_error

    answer = {"error": {"type": "invalid_prompt", "message": "Cannot execute because node VHS_VideoCombine does "
                        "not exist.", "details": "Node ID '#12'", "extra_info": {}}, "node_errors": {}}
    assert describe_validation_error(answer, {}) == ("ComfyUI refused the workflow: Cannot execute because node "
                                                     "VHS_VideoCombine does not exist.: Node ID '#12'")
