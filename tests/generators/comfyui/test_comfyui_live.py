"""The adapter against a REAL ComfyUI server, with workflows of model-free core nodes (EmptyImage,
CreateVideo/SaveVideo, LoadImage/RepeatImageBatch/SaveAnimatedWEBP), so any ComfyUI install
runs them on CPU in seconds. Skipped unless ``STORYBOARD_COMFYUI_LIVE_URL`` names the server:

    STORYBOARD_COMFYUI_LIVE_URL=http://127.0.0.1:8188 pytest tests/generators/comfyui/test_comfyui_live.py

(Last run: ComfyUI 0.3.64, CPU, all passing.) No test here runs by default: the suite never
touches the network.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from comfyui_fixtures import Recorder, frames_of
from PIL import Image

from generators.comfyui import ComfyUIGenerator
from storyboard_app.generation.protocol import CancelToken, GenerationError

LIVE = os.environ.get("STORYBOARD_COMFYUI_LIVE_URL", "")
pytestmark = pytest.mark.skipif(not LIVE, reason="set STORYBOARD_COMFYUI_LIVE_URL to test against a real ComfyUI")

WORKFLOWS = {
    "still": ({"1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1, "color": 0}},
               "2": {"class_type": "SaveImage", "inputs": {"filename_prefix": "storyboard_live/still", "images": ["1", 0]}}},
              {"output": "still", "inputs": {"width": "1.inputs.width", "height": "1.inputs.height", "seed": "1.inputs.color"},
               "size": {"max_pixels": 65536, "multiple": 8}}),
    "clip": ({"1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1, "color": 255}},
              "2": {"class_type": "CreateVideo", "inputs": {"fps": 24.0, "images": ["1", 0]}},
              "3": {"class_type": "SaveVideo", "inputs": {"filename_prefix": "storyboard_live/clip", "format": "mp4",
                                                          "codec": "h264", "video": ["2", 0]}}},
             {"output": "clip", "inputs": {"width": "1.inputs.width", "height": "1.inputs.height",
                                           "frames": "1.inputs.batch_size", "fps": "2.inputs.fps"},
              "size": {"max_pixels": 65536, "multiple": 16}, "frames": {"step": 8, "offset": 1}, "fps": 24, "result": "3"}),
    "i2v": ({"1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
             "4": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "bilinear",
                                                         "width": 256, "height": 144, "crop": "center"}},
             "2": {"class_type": "RepeatImageBatch", "inputs": {"image": ["4", 0], "amount": 4}},
             "3": {"class_type": "SaveAnimatedWEBP", "inputs": {"images": ["2", 0], "filename_prefix": "storyboard_live/i2v",
                                                               "fps": 12.0, "lossless": False, "quality": 80,
                                                               "method": "default"}}},
            {"output": "clip", "inputs": {"image": "1.inputs.image", "frames": "2.inputs.amount", "fps": "3.inputs.fps",
                                          "width": "4.inputs.width", "height": "4.inputs.height"},
             "size": {"max_pixels": 36864, "multiple": 16}, "fps": 12}),
}


@pytest.fixture
def live_request(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generation"))
    from generation_fixtures import make_project

    from storyboard_app.generation.request import build_request

    def make(name: str, **changes):
        graph, mapping = WORKFLOWS[name]
        (tmp_path / f"{name}.json").write_text(json.dumps(graph))
        (tmp_path / f"{name}.mapping.json").write_text(json.dumps(mapping))
        project = make_project(["night market in rain"])
        request = build_request(project, project.all_shots()[0], None, "comfyui")
        settings = {"url": LIVE, "workflow": str(tmp_path / f"{name}.json"), "poll_interval": 0.2}
        return dataclasses.replace(request, settings=settings, seed=0x336699, **changes)

    return make


@pytest.mark.parametrize("websocket", [True, False])
def test_live_still_clip_and_animated_webp(live_request, tmp_path, websocket):
    reference = tmp_path / "ref.png"
    Image.new("RGB", (320, 180), (200, 40, 40)).save(reference)
    for name in ("still", "clip", "i2v"):
        request = live_request(name, reference_images=(str(reference),))
        request = dataclasses.replace(request, settings={**request.settings, "websocket": websocket})
        out, recorder = tmp_path / f"{name}.mp4", Recorder()
        ComfyUIGenerator().generate(request, out, recorder, CancelToken())
        frames = frames_of(out)
        assert len(frames) == request.frames, name
        if name == "still":  # EmptyImage's colour is the seed
            assert abs(int(frames[0][45, 80][2]) - 0x99) < 16
        if name == "i2v":  # the uploaded first frame's red
            assert frames[0][45, 80][0] > 150 and frames[0][45, 80][1] < 90
        assert recorder.jobs and recorder.jobs[0]["endpoint"] == LIVE.rstrip("/")


def test_live_validation_error_in_plain_words(live_request, tmp_path):
    request = dataclasses.replace(live_request("still"), seed=2**31)  # above EmptyImage's colour max
    with pytest.raises(GenerationError, match=r"node 1 \(EmptyImage\): Value 2147483648 bigger than max"):
        ComfyUIGenerator().generate(request, tmp_path / "x.mp4", Recorder(), CancelToken())


def test_live_resume_downloads_a_finished_job_without_resubmitting(live_request, tmp_path):
    request = live_request("still")
    first = Recorder()
    ComfyUIGenerator().generate(request, tmp_path / "a.mp4", first, CancelToken())
    second = Recorder()
    result = ComfyUIGenerator().generate(dataclasses.replace(request, remote_job=first.jobs[0]),
                                         tmp_path / "b.mp4", second, CancelToken())
    assert result.info["resumed"] is True and second.jobs == []
