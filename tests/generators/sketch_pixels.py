"""Pixel measurements for the sketch tests: which colour family a region of a frame shows."""

from __future__ import annotations

import numpy as np

#: hue ranges (0..1) of the colour families the tests name
HUES = {"red": ((0.95, 1.0), (0.0, 0.04)), "yellow": ((0.11, 0.18),), "green": ((0.25, 0.45),),
        "blue": ((0.55, 0.7),)}


def hsv(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rgb = image.astype(float) / 255.0
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    delta = np.where(mx - mn == 0, 1e-9, mx - mn)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(mx == r, ((g - b) / delta) % 6, np.where(mx == g, (b - r) / delta + 2, (r - g) / delta + 4)) / 6
    sat = np.where(mx == 0, 0, (mx - mn) / np.where(mx == 0, 1, mx))
    return hue, sat, mx


def colour_pixels(image: np.ndarray, family: str, min_sat: float = 0.45, min_val: float = 0.2) -> int:
    """How many pixels of ``image`` (H x W x 3, RGB) are saturated colours of ``family``."""
    hue, sat, val = hsv(image)
    in_family = np.zeros(hue.shape, bool)
    for lo, hi in HUES[family]:
        in_family |= (hue >= lo) & (hue <= hi)
    return int((in_family & (sat >= min_sat) & (val >= min_val)).sum())
