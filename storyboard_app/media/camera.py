"""Animate a still with a camera move, in ffmpeg, once.

Per-frame Python at 720p is the thing to avoid (DESIGN.md: 1.4x real time with PIL per frame).
Here the still is decoded once, converted to yuv420p once, looped inside the filter graph and
moved by per-frame filter expressions, so every frame is built in C:

* pan/tilt/truck/crane: a fixed-size crop window whose x/y follow an eased path (the window
  travels the way the camera turns or moves, so the content moves the other way: see
  ``_PANS`` for the convention, and tests/media/test_camera.py for a marker tracked per move);
* push in/pull out: ``scale`` with ``eval=frame`` (a per-frame size), then a centred crop;
* handheld: small smooth offsets (sums of sines with seed-derived phases) of the crop window.

Measured on this class of machine (one core, x264 ultrafast): a 720p24 push-in runs at ~15x real
time, a truck at ~27x; ``-loop 1 -i still.png`` re-decodes the PNG every frame and is 3x slower.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from .ffmpeg import BT709_OUTPUT, BT709_TAG, TO_BT709, CancelCheck, run_ffmpeg

#: how much bigger than the output a still should be so every move has room
OVERSCAN = 1.3

#: Camera-move convention (what the director means, seen from the camera):
#:
#: * ``pan_right`` / ``pan_left``: the camera turns right / left, so the content moves LEFT /
#:   RIGHT in frame (the crop window travels right / left over the still).
#: * ``truck_right`` / ``truck_left``: the camera slides right / left; on a flat still this is
#:   the same image motion as the pan: content moves left / right in frame.
#: * ``tilt_up`` / ``tilt_down``: the camera looks up / down, so the content moves DOWN / UP in
#:   frame (the window travels up / down; image y grows downwards).
#: * ``crane_up`` / ``crane_down``: the camera rises / sinks: content moves down / up in frame.
#: * ``push_in`` (zoom in) / ``pull_out`` (zoom out): content grows / shrinks about the centre.
#:
#: The values are the direction the crop WINDOW travels over the still, in image coordinates
#: (+x right, +y down); the picture content moves the opposite way.
_PANS = {
    "pan_left": (-1, 0),
    "pan_right": (1, 0),
    "truck_left": (-1, 0),
    "truck_right": (1, 0),
    "tilt_up": (0, -1),
    "tilt_down": (0, 1),
    "crane_up": (0, -1),
    "crane_down": (0, 1),
}


def still_size(width: int, height: int) -> tuple[int, int]:
    """The size to render a still at so that ``animate_still`` has room for any move."""
    return _even(width * OVERSCAN), _even(height * OVERSCAN)


def _even(value: float) -> int:
    return int(math.ceil(value / 2.0)) * 2


def _ease(duration: float) -> str:
    """Smoothstep of t over the clip, 0 → 1, as an ffmpeg expression."""
    d = max(duration, 1e-3)
    u = f"min(max(t/{d:.6f},0),1)"
    return f"({u}*{u}*(3-2*{u}))"


def move_filter(
    move: str, strength: float, *, src_w: int, src_h: int, width: int, height: int,
    frames: int, fps: int, seed: int,
) -> str:
    """The filter chain (after the looped still) that produces ``width``x``height`` frames."""
    strength = min(max(strength, 0.0), 1.0)
    duration = max(frames - 1, 1) / fps
    ease = _ease(duration)
    # Scale the still so the output frame fits with the overscan margin, whatever its size.
    cover = max(width * OVERSCAN / src_w, height * OVERSCAN / src_h)
    base_w, base_h = _even(src_w * cover), _even(src_h * cover)
    spare_x, spare_y = base_w - width, base_h - height
    # resample only when the still is not already the overscan size (a painted still is)
    chain = [] if (src_w, src_h) == (base_w, base_h) else [f"scale={base_w}:{base_h}:flags=bicubic"]
    if move in _PANS:
        dx, dy = _PANS[move]
        travel_x, travel_y = spare_x * strength, spare_y * strength
        # centred on the still's middle; the axis that does not move stays centred
        x0 = (spare_x - dx * travel_x) / 2
        y0 = (spare_y - dy * travel_y) / 2
        x = f"{x0:.3f}+{dx * travel_x:.3f}*{ease}"
        y = f"{y0:.3f}+{dy * travel_y:.3f}*{ease}"
        chain.append(f"crop={width}:{height}:x='{x}':y='{y}'")
    elif move in ("push_in", "pull_out"):
        # zoom 1.0 = the still just covers the output; the overscan is the room to push into
        max_zoom = 1.0 + (OVERSCAN - 1.0) * strength
        start, end = (1.0, max_zoom) if move == "push_in" else (max_zoom, 1.0)
        zoom = f"({start:.5f}+({end - start:.5f})*{ease})"
        fit = max(width / src_w, height / src_h)
        # the size grows from the output size in steps of 4 px, so the centred crop offset
        # (size - output) / 2 is always even: yuv420p crops round odd offsets down, which made
        # the picture jitter by a pixel from frame to frame
        sw = f"({width}+max(trunc(({src_w * fit:.3f}*{zoom}-{width})/4),0)*4)"
        sh = f"({height}+max(trunc(({src_h * fit:.3f}*{zoom}-{height})/4),0)*4)"
        # crop's in_w/in_h keep the size of the FIRST frame (the link's size), so a centred
        # crop of a growing frame must compute the centre from the same per-frame size itself
        chain = [
            f"scale=w='{sw}':h='{sh}':eval=frame:flags=fast_bilinear",
            f"crop={width}:{height}:x='({sw}-{width})/2':y='({sh}-{height})/2'",
        ]
    elif move == "handheld":
        rng = random.Random(seed)
        amp_x = max(spare_x / 2 - 1, 0) * (0.25 + 0.5 * strength)
        amp_y = max(spare_y / 2 - 1, 0) * (0.25 + 0.5 * strength)

        def wobble(amp: float) -> str:
            terms = []
            for freq, weight in ((0.31, 0.6), (0.73, 0.3), (1.7, 0.1)):
                phase = rng.uniform(0, 2 * math.pi)
                terms.append(f"{amp * weight:.3f}*sin({2 * math.pi * freq * (0.8 + 0.4 * rng.random()):.4f}*t+{phase:.4f})")
            return "+".join(terms)

        chain.append(
            f"crop={width}:{height}:x='{spare_x / 2:.3f}+{wobble(amp_x)}':y='{spare_y / 2:.3f}+{wobble(amp_y)}'"
        )
    else:  # static
        chain.append(f"crop={width}:{height}:x={spare_x // 2}:y={spare_y // 2}")
    return ",".join(chain) or "null"


def animate_still(
    image: Path | str,
    output: Path | str,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    move: str,
    strength: float,
    seed: int = 0,
    src_size: tuple[int, int] | None = None,
    crf: int = 23,
    qp: int | None = None,
    cancelled: CancelCheck | None = None,
    timeout: float | None = 600,
    post_filter: str = "",
) -> Path:
    """Write an H.264 yuv420p MP4 of exactly ``frames`` frames: ``image`` with the camera move.

    ``post_filter`` is an ffmpeg filter applied to every moved frame (a style's film grain).
    ``qp``, when given, encodes at that constant quantiser instead of ``crf`` (x264 then skips
    the per-frame complexity analysis CRF needs: a third less CPU at ultrafast).
    """
    image, output = Path(image), Path(output)
    if src_size is None:
        from PIL import Image

        with Image.open(image) as im:
            src_size = im.size
    chain = move_filter(
        move, strength, src_w=src_size[0], src_h=src_size[1], width=width, height=height,
        frames=frames, fps=fps, seed=seed,
    )
    # BT.709 values and tags, like the exported MP4 (the RGB still is converted once, before the loop);
    # ``post_filter`` (a style's grain) runs after the move, on the moving picture
    post = f",{post_filter}" if post_filter else ""
    graph = (f"{TO_BT709},format=yuv420p,loop=loop={max(frames - 1, 0)}:size=1:start=0,setpts=N/{fps}/TB,"
             f"{chain}{post},setsar=1,format=yuv420p,{BT709_TAG}")
    run_ffmpeg(
        [
            "-y", "-threads", "1", "-filter_threads", "1",
            "-i", str(image),
            "-vf", graph,
            "-frames:v", str(frames), "-r", str(fps),
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage",
            *(("-qp", str(qp)) if qp is not None else ("-crf", str(crf))),
            "-pix_fmt", "yuv420p", *BT709_OUTPUT, "-threads", "1", "-movflags", "+faststart", "-an",
            str(output),
        ],
        cancelled=cancelled,
        timeout=timeout,
        what="camera move",
    )
    return output
