"""The diffusers adapter on CPU with tiny random-weight pipelines the tests build themselves.

Nothing is downloaded (HF_HUB_OFFLINE=1); pipelines are saved with save_pretrained and loaded
through the adapter's own loading code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("torch")

from diffusers_fixtures import (  # noqa: E402
    save_animatediff_pipeline,
    save_ip_adapter,
    save_ltx_i2v_pipeline,
    save_sd_pipeline,
)

from generators.diffusers_local import DiffusersGenerator  # noqa: E402
from generators.diffusers_local import adapter as adapter_module  # noqa: E402
from generators.diffusers_local.loading import _PIPELINES, clear_cache  # noqa: E402
from storyboard_app.generation.protocol import CancelToken, GenerationCancelled, GenerationError  # noqa: E402
from storyboard_app.generation.request import CharacterSpec, ShotRequest  # noqa: E402
from storyboard_app.media.camera import still_size  # noqa: E402
from storyboard_app.media.ffmpeg import probe, run_ffmpeg  # noqa: E402

W, H, FPS = 32, 32, 8


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    from diffusers import UNet2DConditionModel

    sd = save_sd_pipeline(root)
    return {"sd": sd, "animatediff": save_animatediff_pipeline(root), "ltx_i2v": save_ltx_i2v_pipeline(root),
            "ip": save_ip_adapter(root, UNet2DConditionModel.from_pretrained(sd / "unet"))}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield
    clear_cache()
    adapter_module._EMBEDS.clear()


def request(settings: dict, seed: int = 7, frames: int = 12, refs: tuple[str, ...] = ()) -> ShotRequest:
    chars = (CharacterSpec("c", "Ada", "a woman in a red coat", 7, refs),) if refs else ()
    return ShotRequest(shot_id="s", shot_number="1", prompt="Ada at a night market; wide shot, push in",
                       negative_prompt="", seed=seed, width=W, height=H, fps=FPS, frames=frames,
                       camera_move="push_in", camera_strength=0.5, shot_size="WS", shot_prompt="night market",
                       characters=chars, reference_images=refs, settings=settings)


def frames_of(path: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def run(req: ShotRequest, out: Path, events: list | None = None, cancel: CancelToken | None = None):
    log = events if events is not None else []
    return DiffusersGenerator().generate(req, out, lambda f, m: log.append((f, m)), cancel or CancelToken())


def still_settings(models, **extra) -> dict:
    return {"mode": "still", "model": str(models["sd"]), "steps": 2, "guidance": 0.0, **extra}


def test_still_mode_makes_a_clip_of_the_shot_and_the_seed_decides_the_picture(models, tmp_path):
    settings = still_settings(models)
    result = run(request(settings), tmp_path / "a.mp4")
    info = probe(result.path)
    assert (info.width, info.height, info.video_codec) == (W, H, "h264")
    assert info.duration == pytest.approx(12 / FPS, abs=0.01)
    a = frames_of(tmp_path / "a.mp4")
    assert len(a) == 12
    run(request(settings), tmp_path / "b.mp4")
    run(request(settings, seed=8), tmp_path / "c.mp4")
    assert np.array_equal(a, frames_of(tmp_path / "b.mp4"))
    assert not np.array_equal(a, frames_of(tmp_path / "c.mp4"))


def test_the_pipeline_is_loaded_once_and_reused(models, tmp_path):
    settings = still_settings(models)
    run(request(settings), tmp_path / "a.mp4")
    pipes = list(_PIPELINES.values())
    run(request(settings, seed=3), tmp_path / "b.mp4")
    assert list(_PIPELINES.values()) == pipes and len(pipes) == 1


def test_video_mode_conforms_to_the_shot(models, tmp_path):
    settings = {"mode": "video", "video_model": str(models["animatediff"]), "steps": 2, "guidance": 1.0,
                "frames": 8, "video_fps": 8}
    a = run(request(settings, frames=20), tmp_path / "a.mp4")
    info = probe(a.path)
    assert (info.width, info.height) == (W, H) and info.duration == pytest.approx(20 / FPS, abs=0.01)
    assert len(frames_of(a.path)) == 20
    run(request(settings, frames=20), tmp_path / "b.mp4")
    run(request(settings, frames=20, seed=99), tmp_path / "c.mp4")
    assert np.array_equal(frames_of(tmp_path / "a.mp4"), frames_of(tmp_path / "b.mp4"))
    assert not np.array_equal(frames_of(tmp_path / "a.mp4"), frames_of(tmp_path / "c.mp4"))


def test_keyframe_then_animate_feeds_the_consistent_still_to_the_video_model(models, tmp_path, monkeypatch):
    from PIL import Image

    settings = {**still_settings(models), "mode": "keyframe", "video_model": str(models["ltx_i2v"]), "frames": 9,
                "video_fps": 8, "steps_video": 2, "guidance_video": 1.0, "native_size": [32, 32]}
    seen = {}
    still_only = run(request(still_settings(models)), tmp_path / "still.mp4")
    keyframe_still = adapter_module.DiffusersGenerator._still
    monkeypatch.setattr(adapter_module.DiffusersGenerator, "_still",
                        lambda self, *a, **k: seen.setdefault("still", keyframe_still(self, *a, **k)))
    real_call = adapter_module.DiffusersGenerator._call

    def spy(self, pipe, kwargs, *a, **k):  # noqa: ANN001, ANN202
        if "image" in kwargs:
            seen.setdefault("animated", kwargs["image"])  # the first segment's; later ones continue
        return real_call(self, pipe, kwargs, *a, **k)

    monkeypatch.setattr(adapter_module.DiffusersGenerator, "_call", spy)
    result = run(request(settings, frames=16), tmp_path / "kf.mp4")
    pipe = next(p for (kind, *_), p in _PIPELINES.items() if kind == "i2v")
    assert type(pipe).__name__ == "LTXImageToVideoPipeline"
    assert len(frames_of(result.path)) == 16 and probe(result.path).duration == pytest.approx(2.0, abs=0.01)
    assert seen["still"].size == still_size(W, H)  # the overscan still from the image model was made first
    expected = np.asarray(seen["still"].resize((32, 32), Image.LANCZOS))
    assert np.array_equal(np.asarray(seen["animated"]), expected)  # and it is what the video model animated
    assert still_only.path.exists()
    run(request(settings, frames=16), tmp_path / "kf2.mp4")
    assert np.array_equal(frames_of(tmp_path / "kf.mp4"), frames_of(tmp_path / "kf2.mp4"))


def test_reference_images_go_through_the_ip_adapter_with_cached_embeddings(models, tmp_path, monkeypatch):
    from PIL import Image

    ref = tmp_path / "ada.png"
    Image.new("RGB", (32, 32), (240, 20, 20)).save(ref)
    adapter = {"path": str(models["ip"]), "weight_name": "ip_adapter.bin", "scale": 1.0}
    with_ref = request(still_settings(models, ip_adapter=adapter), refs=(str(ref),))
    plain = dataclasses.replace(with_ref, reference_images=(), characters=())
    calls = []
    run(plain, tmp_path / "plain.mp4")
    pipe = next(iter(_PIPELINES.values()))
    original = pipe.encode_image  # the image encoder pass: the expensive part worth caching
    monkeypatch.setattr(pipe, "encode_image", lambda *a, **k: calls.append(1) or original(*a, **k))
    run(with_ref, tmp_path / "ref1.mp4")
    run(dataclasses.replace(with_ref, seed=with_ref.seed), tmp_path / "ref2.mp4")
    assert calls == [1]  # the character's reference was encoded once, then reused
    assert not np.array_equal(frames_of(tmp_path / "plain.mp4"), frames_of(tmp_path / "ref1.mp4"))
    assert np.array_equal(frames_of(tmp_path / "ref1.mp4"), frames_of(tmp_path / "ref2.mp4"))


def test_progress_arrives_per_step_and_cancel_stops_between_steps(models, tmp_path):
    settings = still_settings(models, steps=6)
    events: list = []
    run(request(settings), tmp_path / "a.mp4", events)
    steps = [m for _f, m in events if "step" in m]
    assert steps[:2] == ["still: step 1/6", "still: step 2/6"] and len(steps) == 6
    fractions = [f for f, _m in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    token = CancelToken()
    seen: list = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)
        if message == "still: step 2/6":
            token.cancel()

    with pytest.raises(GenerationCancelled):
        DiffusersGenerator().generate(request(settings), tmp_path / "b.mp4", progress, token)
    assert "still: step 3/6" not in seen and not (tmp_path / "b.mp4").exists()


def test_a_missing_model_is_a_clear_error_not_a_download(tmp_path):
    settings = {"mode": "still", "model": "nobody/no-such-model", "steps": 1}
    with pytest.raises(GenerationError, match=r"'nobody/no-such-model' is not available locally.*download"):
        run(request(settings), tmp_path / "a.mp4")


def test_generate_through_the_worker_process_records_takes(models, tmp_path):
    """The real path: project settings → ShotRequest → spawned worker → adapter → take."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "generation"))
    from generation_fixtures import make_project

    from storyboard_app.generation.service import generate_shots
    from storyboard_app.model import Document

    project = make_project(["market at night", "alley"], frames=8)
    project.width, project.height = W, H
    project.generator = "diffusers"
    project.generator_settings["diffusers"] = still_settings(models)
    doc = Document(project, tmp_path / "p.sbproj")
    doc.save()
    report = generate_shots(doc)
    assert report.generated == 2, report.failed
    for shot in doc.project.all_shots():
        take = shot.selected_take
        assert take.generator_id == "diffusers" and probe(doc.paths.media_path(take.media_path)).width == W
    # the same character keeps its seed across shots (the takes record it)
    seeds = {s.takes[0].seed for s in doc.project.all_shots() if s.characters == ["ch_a"]}
    assert seeds == {1111}
    # video mode through the same path: a settings change makes new takes
    doc.project.generator_settings["diffusers"] = {"mode": "video", "video_model": str(models["animatediff"]),
                                                   "steps": 2, "guidance": 1.0, "frames": 8, "video_fps": 8}
    report = generate_shots(doc)
    assert report.generated == 2, report.failed
    assert all(len(s.takes) == 2 and s.selected_take_id == s.takes[1].id for s in doc.project.all_shots())


def test_animatediff_presets_combine_the_motion_adapter_with_a_base_model(monkeypatch):
    from generators.diffusers_local import loading

    adapter_id = "guoyww/animatediff-motion-adapter-v1-5-2"
    with pytest.raises(GenerationError, match=adapter_id):  # nothing cached: the adapter is named
        loading.load_pipeline("video", adapter_id, {})
    monkeypatch.setattr(loading, "model_present", lambda source: source == adapter_id)
    with pytest.raises(GenerationError, match="stable-diffusion-v1-5/stable-diffusion-v1-5"):
        loading.load_pipeline("video", adapter_id, {})  # the adapter alone is not a pipeline: the base is needed


@pytest.mark.parametrize("move", ["pan_right", "pan_left", "truck_right", "truck_left", "tilt_up", "tilt_down",
                                  "crane_up", "crane_down", "push_in", "pull_out", "static"])
def test_still_mode_camera_moves_go_the_named_way(models, tmp_path, monkeypatch, move):
    """The image model's still (greyed, with a marker painted on) through the adapter's own
    still + move path: the marker moves between the first and last frame the way the move says."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "media"))
    from camera_markers import assert_motion, marker_still

    real_still = adapter_module.DiffusersGenerator._still

    def still_with_marker(self, *args, **kwargs):  # noqa: ANN001, ANN202
        image = real_still(self, *args, **kwargs)
        return marker_still(image.size, into=image.convert("L").convert("RGB"))

    monkeypatch.setattr(adapter_module.DiffusersGenerator, "_still", still_with_marker)
    w, h = 64, 48
    req = dataclasses.replace(request(still_settings(models), frames=8), width=w, height=h, camera_move=move,
                              camera_strength=1.0)
    result = run(req, tmp_path / f"{move}.mp4")
    raw = run_ffmpeg(["-i", str(result.path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    assert len(frames) == 8
    assert_motion(move, frames[0], frames[-1], min_shift=4)


# --------------------------------------------------------------------------- issue 15: real checkpoints


def spy_calls(monkeypatch) -> list:
    """Record (pipeline class, kwargs) of every pipeline call the adapter makes."""
    calls: list = []
    real_call = adapter_module.DiffusersGenerator._call

    def spy(self, pipe, kwargs, *a, **k):  # noqa: ANN001, ANN202
        calls.append((type(pipe).__name__, dict(kwargs)))
        return real_call(self, pipe, kwargs, *a, **k)

    monkeypatch.setattr(adapter_module.DiffusersGenerator, "_call", spy)
    return calls


def test_still_renders_at_the_native_area_then_upscales_to_the_overscan_size(models, tmp_path, monkeypatch):
    """A 16:9 shot on a model trained at 32x32: the pipeline works at 40x24 (the native area at
    16:9, multiples of 8), and the still handed to the camera move is the overscan size."""
    calls = spy_calls(monkeypatch)
    stills = []
    real_still = adapter_module.DiffusersGenerator._still
    monkeypatch.setattr(adapter_module.DiffusersGenerator, "_still",
                        lambda self, *a, **k: stills.append(real_still(self, *a, **k)) or stills[-1])
    req = dataclasses.replace(request(still_settings(models, native_size=[32, 32]), frames=4), width=64, height=36)
    result = run(req, tmp_path / "a.mp4")
    assert [(c[1]["width"], c[1]["height"]) for c in calls] == [(40, 24)]
    assert stills[0].size == still_size(64, 36) == (84, 48)
    assert result.info["native_size"] == [40, 24]
    assert (probe(result.path).width, probe(result.path).height) == (64, 36)


def test_a_long_prompt_reaches_the_model_past_77_tokens(models, tmp_path):
    """The tiny tokenizer is one token per character: two prompts that differ only after token
    100 give different pictures (chunked embeddings), and the result says the prompt was chunked."""
    head = "a courier crosses the night market under paper lanterns while rain falls on the stalls and "
    assert len(head) > 77
    a = run(dataclasses.replace(request(still_settings(models), frames=2), prompt=head + "red"), tmp_path / "a.mp4")
    run(dataclasses.replace(request(still_settings(models), frames=2), prompt=head + "blue"), tmp_path / "b.mp4")
    assert not np.array_equal(frames_of(tmp_path / "a.mp4"), frames_of(tmp_path / "b.mp4"))
    assert "chunks" in a.info["prompt_warning"]


def test_video_longer_than_the_model_continues_from_the_last_frame(models, tmp_path, monkeypatch):
    """An LTX text-to-video model limited to 9 frames (4k+1 for this tiny VAE) and a 3 s shot at
    8 fps: three segments, the 2nd and 3rd image-to-video from the previous last frame."""
    from diffusers import LTXPipeline

    t2v = tmp_path / "tiny-ltx"
    LTXPipeline.from_pretrained(models["ltx_i2v"]).save_pretrained(t2v)
    calls = spy_calls(monkeypatch)
    settings = {"mode": "video", "video_model": str(t2v), "steps": 1, "guidance": 1.0, "frames": 9,
                "video_fps": 8, "native_size": [32, 32]}
    result = run(request(settings, frames=24), tmp_path / "v.mp4")
    assert [(name, c["num_frames"]) for name, c in calls] == [
        ("LTXPipeline", 9), ("LTXImageToVideoPipeline", 9), ("LTXImageToVideoPipeline", 9)]
    assert "image" not in calls[0][1] and all("image" in c for _n, c in calls[1:])
    assert result.info["video_plan"] == "3 continued segments of 9+9+9 frames"
    assert len(frames_of(result.path)) == 24


def test_a_model_that_cannot_continue_is_conformed_not_frozen(models, tmp_path, monkeypatch):
    """Also: a local folder's native size is the pipeline's own default (UNet sample size x VAE
    factor: 16x16 for the tiny AnimateDiff), and video is upscaled to the shot's size."""
    calls = spy_calls(monkeypatch)
    settings = {"mode": "video", "video_model": str(models["animatediff"]), "steps": 1, "guidance": 1.0,
                "frames": 8, "video_fps": 8}
    result = run(request(settings, frames=12), tmp_path / "a.mp4")
    assert [(c["width"], c["height"], c["num_frames"]) for _n, c in calls] == [(16, 16, 8)]
    assert result.info["video_plan"] == "8 frames slowed 1.50x to fill the shot"
    frames = frames_of(result.path).astype(int)
    assert len(frames) == 12
    tail = [np.abs(frames[i] - frames[i - 1]).mean() for i in range(8, 12)]
    assert max(tail) > 1.0  # the last third still changes: not the last frame held


def test_generation_never_downloads_a_missing_model(tmp_path, monkeypatch):
    """With a hub that has the model reachable, generation still only reads the cache."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from fake_hub import FakeHub, FakeRepo

    hub = FakeHub({"stabilityai/sd-turbo": FakeRepo({"model_index.json": b"{}"})}).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.delenv("HF_HUB_CACHE", raising=False)
        with pytest.raises(GenerationError, match=r"storyboard-app models pull sd-turbo"):
            run(request({"mode": "still", "model": "sd-turbo"}), tmp_path / "a.mp4")
        assert hub.requests == []
    finally:
        hub.stop()


def test_pipeline_cache_is_a_bounded_lru_and_drops_the_evicted_pipelines_embeddings(models, monkeypatch):
    from generators.diffusers_local import loading

    settings = {"max_pipelines": 1}
    sd, _ = loading.load_pipeline("image", str(models["sd"]), settings)
    sd_key = loading.pipeline_key(sd)
    adapter_module._EMBEDS[(sd_key, "x", False)] = object()
    loading.load_pipeline("video", str(models["animatediff"]), settings)
    assert [k[0] for k in _PIPELINES] == ["video"] and sd_key not in _PIPELINES
    assert not adapter_module._EMBEDS  # the evicted pipeline's embeddings went with it
    # on a GPU short of free memory, everything else is dropped before the next load
    monkeypatch.setattr(loading, "free_gpu_bytes", lambda device: 0)
    loading.load_pipeline("image", str(models["sd"]), {"max_pipelines": 5})
    assert [k[0] for k in _PIPELINES] == ["image"]
    assert loading.pipeline_key(loading._PIPELINES[next(iter(_PIPELINES))]) == sd_key  # stable key, new object


def test_torch_compile_result_is_what_the_pipeline_runs(models, tmp_path, monkeypatch):
    import torch

    used = []

    def fake_compile(fn, **kwargs):  # noqa: ANN001, ANN202
        def compiled(*a, **k):  # noqa: ANN002, ANN003, ANN202
            used.append(1)
            return fn(*a, **k)
        return compiled

    monkeypatch.setattr(torch, "compile", fake_compile)
    run(request(still_settings(models, compile=True, steps=2), frames=2), tmp_path / "a.mp4")
    assert len(used) == 2  # one compiled UNet call per step


def test_all_characters_reference_images_reach_the_ip_adapter(models, tmp_path, monkeypatch):
    from PIL import Image

    refs = []
    for name, colour in (("ada", (240, 20, 20)), ("ben", (20, 20, 240))):
        refs.append(tmp_path / f"{name}.png")
        Image.new("RGB", (32, 32), colour).save(refs[-1])
    adapter = {"path": str(models["ip"]), "weight_name": "ip_adapter.bin", "scale": 1.0}
    base = request(still_settings(models, ip_adapter=adapter), frames=2, refs=(str(refs[0]),))
    both = dataclasses.replace(base, reference_images=(str(refs[0]), str(refs[1])), characters=(
        CharacterSpec("c", "Ada", "red coat", 7, (str(refs[0]),)), CharacterSpec("d", "Ben", "blue coat", 8, (str(refs[1]),))))
    calls = spy_calls(monkeypatch)
    run(base, tmp_path / "one.mp4")
    run(both, tmp_path / "two.mp4")
    shapes = [tuple(c["ip_adapter_image_embeds"][0].shape) for _n, c in calls]
    assert shapes[0][1] == 1 and shapes[1][1] == 2  # one embedding per reference image
    assert not np.array_equal(frames_of(tmp_path / "one.mp4"), frames_of(tmp_path / "two.mp4"))
