"""A still with one marker, and where that marker is in a decoded frame.

Shared by the camera-move tests of media.camera, the sketch generator and the diffusers
generator: each renders the marker still through its own code path and compares the marker's
position and size between the first and the last frame with ``EXPECTED_MOTION``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

MARKER = (255, 0, 255)  # magenta: far from the grey ground, survives yuv420p

#: per move: (sign of the marker's x motion, sign of its y motion, sign of its size change),
#: in frame coordinates (+x right, +y down). The camera turns/moves one way, content the other.
EXPECTED_MOTION: dict[str, tuple[int, int, int]] = {
    "static": (0, 0, 0),
    "pan_right": (-1, 0, 0),
    "pan_left": (1, 0, 0),
    "truck_right": (-1, 0, 0),
    "truck_left": (1, 0, 0),
    "tilt_up": (0, 1, 0),
    "tilt_down": (0, -1, 0),
    "crane_up": (0, 1, 0),
    "crane_down": (0, -1, 0),
    "push_in": (0, 0, 1),
    "pull_out": (0, 0, -1),
}


def marker_still(size: tuple[int, int], into: Image.Image | None = None) -> Image.Image:
    """A grey still (or ``into``, copied) with a magenta square marker at its centre."""
    w, h = size
    image = into.convert("RGB").resize(size) if into is not None else Image.new("RGB", size, (110, 110, 110))
    r = max(min(w, h) // 12, 3)
    ImageDraw.Draw(image).rectangle([w // 2 - r, h // 2 - r, w // 2 + r, h // 2 + r], fill=MARKER)
    return image


def marker(frame: np.ndarray) -> tuple[float, float, int]:
    """(centre x, centre y, area in pixels) of the magenta marker in an RGB frame."""
    f = frame.astype(int)
    mask = (f[..., 0] > 180) & (f[..., 2] > 180) & (f[..., 1] < 90)
    ys, xs = np.nonzero(mask)
    assert len(xs) > 4, "marker not found in frame"
    return float(xs.mean()), float(ys.mean()), int(mask.sum())


def assert_motion(move: str, first: np.ndarray, last: np.ndarray, min_shift: float = 3.0) -> None:
    """The marker moved the way ``move`` says, by at least ``min_shift`` pixels (or 20 % in area)."""
    x0, y0, a0 = marker(first)
    x1, y1, a1 = marker(last)
    sx, sy, sa = EXPECTED_MOTION[move]
    for sign, delta, axis in ((sx, x1 - x0, "x"), (sy, y1 - y0, "y")):
        if sign == 0:
            assert abs(delta) < 1.5, f"{move}: marker drifted {delta:+.1f} px in {axis}"
        else:
            assert sign * delta >= min_shift, f"{move}: marker moved {delta:+.1f} px in {axis}, expected sign {sign:+d}"
    if sa == 0:
        assert abs(a1 - a0) <= 0.15 * a0, f"{move}: marker area {a0} -> {a1}"
    else:
        assert sa * (a1 - a0) >= 0.2 * a0, f"{move}: marker area {a0} -> {a1}, expected sign {sa:+d}"
