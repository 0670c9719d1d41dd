"""What a finished prompt made, and turning it into the shot's clip.

A history entry's ``outputs`` maps output node ids to their UI records: ``images`` (SaveImage,
and video from core SaveVideo / SaveAnimatedWEBP, flagged ``animated``), ``gifs`` (VideoHelperSuite's
Video Combine, whatever the format) or ``videos``. Each record names a file by ``filename``,
``subfolder`` and ``type`` (``output``; ``temp`` for previews) for ``GET /view``.

A downloaded file is checked before use (content type, then a decode), and the clip is conformed
to the shot in one ffmpeg pass: cover-scaled and cropped to the shot's size, resampled to its
rate, its last frame held when the model's clip is shorter, H.264 yuv420p BT.709.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyboard_app.generation.protocol import CancelToken, GenerationError
from storyboard_app.generation.request import ShotRequest
from storyboard_app.media.camera import animate_still
from storyboard_app.media.ffmpeg import BT709_OUTPUT, BT709_TAG, TO_BT709, FFmpegError, run_ffmpeg
from storyboard_app.media.integrity import decode_video, measure, quick_problem

VIDEO_SUFFIXES = {".mp4", ".webm", ".mov", ".mkv", ".gif", ".avi", ".m4v"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
#: animations PIL decodes with per-frame durations (ffmpeg reads a WebP whose identical frames
#: the encoder merged as one frame without a usable timestamp, and encodes nothing)
ANIMATED_IMAGE_SUFFIXES = {".webp", ".png", ".apng"}


@dataclass(frozen=True)
class OutputFile:
    node: str
    filename: str
    subfolder: str
    type: str
    kind: str  # "video" | "image"

    def view_params(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix.lower()


def list_outputs(entry: dict[str, Any], only_node: str | None = None) -> list[OutputFile]:
    """Every file a history entry lists, in node order, videos and images classified."""
    files: list[OutputFile] = []
    outputs = entry.get("outputs") or {}
    for node, ui in outputs.items():
        if only_node is not None and str(node) != only_node:
            continue
        if not isinstance(ui, dict):
            continue
        animated = any(bool(a) for a in (ui.get("animated") or []) if not isinstance(a, dict))
        for key in ("gifs", "videos", "images"):
            for record in ui.get(key) or []:
                if not isinstance(record, dict) or not isinstance(record.get("filename"), str):
                    continue
                name = record["filename"]
                suffix = Path(name).suffix.lower()
                is_video = key in ("gifs", "videos") or suffix in VIDEO_SUFFIXES or (animated and suffix in (".webp", ".png"))
                if not is_video and suffix not in IMAGE_SUFFIXES:
                    continue  # latents, audio, text...
                files.append(OutputFile(str(node), name, str(record.get("subfolder") or ""),
                                        str(record.get("type") or "output"), "video" if is_video else "image"))
    return files


def pick_output(entry: dict[str, Any], want: str, only_node: str | None, prompt_id: str) -> list[OutputFile]:
    """The file(s) to download: one video, or one still, or (a clip workflow saving frames with
    SaveImage) the sequence of still frames of one node. Saved outputs beat temp previews."""
    files = list_outputs(entry, only_node)
    saved = [f for f in files if f.type != "temp"] or files
    videos = [f for f in saved if f.kind == "video"]
    images = [f for f in saved if f.kind == "image"]
    if not videos and not images:
        where = f" from node {only_node}" if only_node else ""
        raise GenerationError(f"ComfyUI job {prompt_id} finished without an image or video output{where} "
                              "(does the workflow end in SaveImage / SaveVideo / Video Combine?)")
    if want == "still":
        return [images[0]] if images else [videos[0]]
    if videos:
        return [videos[0]]
    first_node = images[0].node
    return [f for f in images if f.node == first_node]


def check_content_type(content_type: str, name: str) -> None:
    """A proxy's login page or an error document is not a picture: refuse it before decoding."""
    main = content_type.split(";")[0].strip().lower()
    if main.startswith("text/") or main in ("application/json", "application/xhtml+xml"):
        raise GenerationError(f"ComfyUI output {name} came back as {main}, not an image or video "
                              "(a proxy error page?); discarded")


def check_image(path: Path, name: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            return im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise GenerationError(f"ComfyUI output {name} is not a readable image ({exc}); discarded") from None


def check_video(path: Path, name: str) -> int:
    try:
        decoded = decode_video(path, timeout=300)
    except FFmpegError as exc:
        raise GenerationError(f"ComfyUI output {name} does not decode ({exc}); discarded") from None
    if decoded.frames == 0:
        raise GenerationError(f"ComfyUI output {name} has no video frame that decodes; discarded")
    return decoded.frames


def conform_clip(source: Path, output: Path, request: ShotRequest, cancel: CancelToken,
                 sequence_fps: int | None = None, raw: tuple[int, int, bytes] | None = None) -> None:
    """``source`` (any video ffmpeg reads, an image sequence pattern at ``sequence_fps``, or
    ``raw`` RGB frames (width, height, bytes) at the shot's rate) → the shot's exact size, rate
    and frame count, H.264 yuv420p BT.709 at ``output``."""
    w, h, fps = request.width, request.height, request.fps
    hold = request.frames / fps + 1
    graph = (f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic,crop={w}:{h},fps={fps},"
             f"tpad=stop_mode=clone:stop_duration={hold:.3f},{TO_BT709},format=yuv420p,setsar=1,{BT709_TAG}")
    if raw is not None:
        inputs = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{raw[0]}x{raw[1]}", "-r", str(fps), "-i", "-"]
    elif sequence_fps:
        inputs = ["-framerate", str(sequence_fps), "-i", str(source)]
    else:
        inputs = ["-i", str(source)]
    try:
        run_ffmpeg(
            ["-y", "-threads", "2", *inputs, "-map", "0:v:0", "-vf", graph, "-frames:v", str(request.frames),
             "-r", str(fps), "-c:v", "libx264", "-preset", "veryfast", "-crf", str(int(request.settings.get("crf", 18))),
             "-pix_fmt", "yuv420p", *BT709_OUTPUT, "-movflags", "+faststart", "-an", str(output)],
            cancelled=cancel.is_cancelled, timeout=600, what="conforming the ComfyUI clip",
            input_bytes=raw[2] if raw is not None else None,
        )
    except FFmpegError as exc:
        raise GenerationError(str(exc)) from None


def check_result(output: Path, request: ShotRequest) -> None:
    """Success must be earned: the written clip has exactly the shot's frames (read from the MP4
    header), else it is removed and the shot fails."""
    problem = quick_problem(output)
    frames = measure(output).frames if problem is None else None
    if problem is not None or frames != request.frames:
        output.unlink(missing_ok=True)
        why = problem or f"{frames or 0} of {request.frames} frames"
        raise GenerationError(f"the clip made from the ComfyUI output is unusable ({why}); discarded")


def conform_animated_image(source: Path, output: Path, request: ShotRequest, cancel: CancelToken,
                           default_fps: int) -> None:
    """An animated WebP/PNG → the shot's clip: frames decoded by PIL with their own durations
    (``default_fps`` where a frame has none), retimed to the shot's rate, then conformed."""
    from bisect import bisect_right

    from PIL import Image, ImageSequence

    frames: list[bytes] = []
    ends: list[float] = []
    clock = 0.0
    try:
        with Image.open(source) as image:
            size = image.size
            for frame in ImageSequence.Iterator(image):
                frames.append(frame.convert("RGB").resize(size).tobytes())
                clock += float(frame.info.get("duration") or 1000.0 / default_fps)
                ends.append(clock)
    except (OSError, SyntaxError, ValueError) as exc:
        raise GenerationError(f"ComfyUI output {source.name} does not decode ({exc}); discarded") from None
    if not frames:
        raise GenerationError(f"ComfyUI output {source.name} has no frames; discarded")
    step = 1000.0 / request.fps
    count = max(1, min(int(round(clock / step)), request.frames))
    picked = [frames[min(bisect_right(ends, (k + 0.5) * step), len(frames) - 1)] for k in range(count)]
    w, h = size
    conform_clip(Path("-"), output, request, cancel, raw=(w, h, b"".join(picked)))


def animate(still: Path, output: Path, request: ShotRequest, cancel: CancelToken, size: tuple[int, int]) -> None:
    """A still from an image workflow → the shot's clip with its camera move (like diffusers' still mode)."""
    animate_still(still, output, width=request.width, height=request.height, fps=request.fps,
                  frames=request.frames, move=request.camera_move, strength=request.camera_strength,
                  seed=request.seed, src_size=size, crf=int(request.settings.get("crf", 20)),
                  cancelled=cancel.is_cancelled)
