"""Frames as planar YUV 4:2:0 buffers, the format H.264 decodes to and encodes from.

The exporter never converts a picture to RGB and back: takes are decoded straight to yuv420p,
composed here (dissolves, fades, burn-ins), and handed to the encoder as yuv420p. That halves
the bytes per frame through every pipe and skips two colour conversions per frame.

Overlays (text, labels) are drawn once in RGBA with PIL and converted to YUV + alpha here with
the BT.709 matrix, limited range: the exported MP4 is tagged BT.709 (export.py), takes are
decoded to BT.709 (sources.py) and generated clips are encoded as BT.709 (media/camera.py), so
every picture in a frame uses the matrix its tag names. (ffmpeg's own default for rgb24 →
yuv420p is BT.601; using it here would shift every burn-in's colour under a BT.709 tag.)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

BLACK_Y, BLACK_UV = 16, 128


def frame_bytes(width: int, height: int) -> int:
    return width * height * 3 // 2


def planes(buffer: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views (no copies) of the Y, U and V planes of a flat yuv420p buffer."""
    ysize = width * height
    csize = ysize // 4
    y = buffer[:ysize].reshape(height, width)
    u = buffer[ysize : ysize + csize].reshape(height // 2, width // 2)
    v = buffer[ysize + csize :].reshape(height // 2, width // 2)
    return y, u, v


def black_frame(width: int, height: int) -> np.ndarray:
    frame = np.empty(frame_bytes(width, height), np.uint8)
    frame[: width * height] = BLACK_Y
    frame[width * height :] = BLACK_UV
    return frame


def rgb_to_yuv420(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB (even sizes) → flat yuv420p buffer."""
    height, width = rgb.shape[:2]
    y, u, v = _rgb_to_yuv_planes(rgb.astype(np.float32))
    out = np.empty(frame_bytes(width, height), np.uint8)
    py, pu, pv = planes(out, width, height)
    py[:] = np.clip(y + 0.5, 0, 255)
    pu[:] = np.clip(_down2(u) + 0.5, 0, 255)
    pv[:] = np.clip(_down2(v) + 0.5, 0, 255)
    return out


def image_to_yuv420(image: Image.Image) -> np.ndarray:
    return rgb_to_yuv420(np.asarray(image.convert("RGB")))


#: BT.709 (Kr = 0.2126, Kb = 0.0722) limited range: Y = 16 + 219·Y', Cb/Cr = 128 + 224·(B'-Y')/(2(1-Kb))
#: and 128 + 224·(R'-Y')/(2(1-Kr)), per unit of R', G', B' in 0..1
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
Y_COEFFS = (219 * _KR, 219 * _KG, 219 * _KB)
U_COEFFS = (-112 * _KR / (1 - _KB), -112 * _KG / (1 - _KB), 112.0)
V_COEFFS = (112.0, -112 * _KG / (1 - _KR), -112 * _KB / (1 - _KR))


def _rgb_to_yuv_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, g, b = rgb[..., 0] / 255.0, rgb[..., 1] / 255.0, rgb[..., 2] / 255.0
    y = 16 + Y_COEFFS[0] * r + Y_COEFFS[1] * g + Y_COEFFS[2] * b
    u = 128 + U_COEFFS[0] * r + U_COEFFS[1] * g + U_COEFFS[2] * b
    v = 128 + V_COEFFS[0] * r + V_COEFFS[1] * g + V_COEFFS[2] * b
    return y, u, v


def _down2(plane: np.ndarray) -> np.ndarray:
    return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) * 0.25


@dataclass(frozen=True)
class Overlay:
    """A pre-converted RGBA patch: planes and alphas at full (Y) and half (UV) resolution."""

    x: int
    y: int
    luma: np.ndarray  # float32 h x w
    alpha: np.ndarray  # float32 h x w, 0..1
    u: np.ndarray  # float32 h/2 x w/2
    v: np.ndarray
    alpha_c: np.ndarray  # float32 h/2 x w/2

    @classmethod
    def from_image(cls, image: Image.Image, x: int, y: int) -> Overlay:
        """``image`` RGBA; x, y, width and height are rounded to even numbers for chroma."""
        x, y = x - x % 2, y - y % 2
        w, h = image.width - image.width % 2, image.height - image.height % 2
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)[:h, :w]
        luma, u, v = _rgb_to_yuv_planes(rgba[..., :3])
        alpha = rgba[..., 3] / 255.0
        return cls(x, y, luma.astype(np.float32), alpha.astype(np.float32),
                   _down2(u).astype(np.float32), _down2(v).astype(np.float32), _down2(alpha).astype(np.float32))

    def visible(self, width: int, height: int) -> VisiblePatch | None:
        """The part of the patch inside a ``width`` x ``height`` frame (None: none of it), as
        views: what ``draw`` blends, and what the fused encoder sends for ffmpeg to blend."""
        h, w = self.luma.shape
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.x + w, width), min(self.y + h, height)
        if x1 <= x0 or y1 <= y0:
            return None
        sx, sy = x0 - self.x, y0 - self.y
        csx, csy, cw, ch = sx // 2, sy // 2, x1 // 2 - x0 // 2, y1 // 2 - y0 // 2
        chroma = (slice(csy, csy + ch), slice(csx, csx + cw))
        return VisiblePatch(x0, y0, x1, y1, self.luma[sy : sy + y1 - y0, sx : sx + x1 - x0],
                            self.alpha[sy : sy + y1 - y0, sx : sx + x1 - x0],
                            self.u[chroma], self.v[chroma], self.alpha_c[chroma])

    def draw(self, frame: np.ndarray, width: int, height: int) -> None:
        """Alpha-blend onto a writable yuv420p frame, in place, touching only the patch region."""
        part = self.visible(width, height)
        if part is None:
            return
        py, pu, pv = planes(frame, width, height)
        x0, y0, x1, y1 = part.rect
        _blend(py[y0:y1, x0:x1], part.luma, part.alpha)
        cx0, cy0, cx1, cy1 = x0 // 2, y0 // 2, x1 // 2, y1 // 2
        _blend(pu[cy0:cy1, cx0:cx1], part.u, part.alpha_c)
        _blend(pv[cy0:cy1, cx0:cx1], part.v, part.alpha_c)


@dataclass(frozen=True)
class VisiblePatch:
    """An ``Overlay`` cut to the frame: its rectangle (x0, y0, x1, y1) and the planes inside it."""

    x0: int
    y0: int
    x1: int
    y1: int
    luma: np.ndarray
    alpha: np.ndarray
    u: np.ndarray
    v: np.ndarray
    alpha_c: np.ndarray

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1


def _blend(target: np.ndarray, source: np.ndarray, alpha: np.ndarray) -> None:
    target[:] = (target * (1.0 - alpha) + source * alpha + 0.5).astype(np.uint8)


def mix(a: np.ndarray, b: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
    """``out = a * (1 - t) + b * t`` for two yuv420p frames (a dissolve or a fade)."""
    weight = int(round(t * 256))
    np.add(a.astype(np.uint16) * (256 - weight), b.astype(np.uint16) * weight, out=_scratch(a.size), casting="unsafe")
    np.right_shift(_scratch(a.size), 8, out=out, casting="unsafe")
    return out


#: per thread: segments are drawn by several encoder threads at once (render/segments.py), and
#: a scratch buffer shared between them mixed one dissolve's frames into another's
_SCRATCH = threading.local()


def _scratch(size: int) -> np.ndarray:
    buffers = getattr(_SCRATCH, "buffers", None)
    if buffers is None:
        buffers = _SCRATCH.buffers = {}
    buf = buffers.get(size)
    if buf is None:
        buf = buffers[size] = np.empty(size, np.uint32)
    return buf
