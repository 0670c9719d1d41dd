"""The fused body encoder: a shot's take decoded, burnt in and encoded by one ffmpeg, with only
the burn-in boxes sent from Python. It must draw what the composed path draws, make segments
that join with the composed ones, and fail clearly on a damaged take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from render_fixtures import FPS, H, W, build_document, make_clip
from test_segments import rich_document

from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import Document, Shot, Take, TakeStatus
from storyboard_app.render import export as export_module
from storyboard_app.render import fused
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.fused import Box, BoxStream, layout_boxes
from storyboard_app.render.service import render_animatic
from storyboard_app.render.yuv import Overlay, frame_bytes, planes


# ------------------------------------------------------------------ box layout
def test_boxes_cover_every_rectangle_and_never_overlap():
    rects = [(18, 18, 300, 60), (990, 18, 1262, 60), (990, 64, 1262, 110),  # label; timecode + previz
             (18, 600, 700, 640), (18, 650, 900, 700)]  # subtitle above caption
    boxes = layout_boxes(rects)
    for x0, y0, x1, y1 in rects:
        assert any(b.x <= x0 and x1 <= b.x + b.width and b.y <= y0 and y1 <= b.y + b.height for b in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height)
    # top-left and top-right stay apart (the middle of the frame is not sent), the two bottom
    # lines (10 px apart) are one box
    assert len(boxes) == 3
    assert sum(b.width * b.height for b in boxes) < 0.5 * 1280 * 720
    # in the stream: no two boxes share a pixel, and the two short top boxes share a shelf
    # beside each other instead of each taking a full-width strip
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a.column < b.column + b.width and b.column < a.column + a.width
                        and a.row < b.row + b.height and b.row < a.row + a.height)
    stream = BoxStream(boxes, 1280, 720)
    assert stream.width == max(b.width for b in boxes)
    assert stream.height == boxes[0].height + max(b.height for b in boxes[1:])
    assert {b.row for b in boxes if b.y < 200} == {boxes[0].height}


def _overlay(x: int, y: int, w: int, h: int, rgb: tuple[int, int, int], alpha: float) -> Overlay:
    from PIL import Image

    return Overlay.from_image(Image.new("RGBA", (w, h), (*rgb, int(round(alpha * 255)))), x, y)


def _blend_into_stream(stream: BoxStream, overlays: list[Overlay], base: np.ndarray) -> np.ndarray:
    """What ffmpeg's overlay does with the stream (straight alpha), in float, on a frame copy."""
    out = base.astype(np.float64).copy()
    y, u, v = planes(out.reshape(-1), W, H)
    buf = stream.frame(overlays)
    for box in stream.boxes:
        rows, cols = slice(box.row, box.row + box.height), slice(box.column, box.column + box.width)
        sy, sa = stream.y[rows, cols], stream.a[rows, cols]
        a = sa / 255.0
        region = y[box.y : box.y + box.height, box.x : box.x + box.width]
        region[:] = region * (1 - a) + sy * a
        ac = (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / 4
        cs = (slice(box.row // 2, (box.row + box.height) // 2), slice(box.column // 2, (box.column + box.width) // 2))
        for plane, src in ((u, stream.u[cs]), (v, stream.v[cs])):
            reg = plane[box.y // 2 : (box.y + box.height) // 2, box.x // 2 : (box.x + box.width) // 2]
            reg[:] = reg * (1 - ac) + src * ac
    assert buf is stream.buffer
    return out


def test_overlapping_overlays_in_the_stream_equal_drawing_them_one_after_the_other():
    base = np.full(frame_bytes(W, H), 90, np.uint8)
    first = _overlay(10, 10, 60, 30, (220, 40, 40), 0.6)
    second = _overlay(40, 20, 60, 30, (40, 40, 220), 0.5)  # overlaps the first
    stream = BoxStream(layout_boxes([(10, 10, 70, 40), (40, 20, 100, 50)]), W, H)
    blended = _blend_into_stream(stream, [first, second], base)
    expected = base.copy()
    first.draw(expected, W, H)
    second.draw(expected, W, H)
    assert np.abs(blended - expected.astype(np.float64)).max() <= 2.0


def test_a_running_timecode_repaints_only_what_changed_and_equals_a_full_rebuild():
    base = np.full(frame_bytes(W, H), 60, np.uint8)
    label = _overlay(4, 4, 40, 12, (255, 255, 255), 0.7)
    digits = [_overlay(120, 4, 10, 12, (255, 255, 255 - 20 * d), 0.8) for d in range(10)]
    boxes = layout_boxes([(4, 4, 44, 16), (120, 4, 130, 16)])
    running = BoxStream(boxes, W, H)
    for d in range(10):
        incremental = _blend_into_stream(running, [label, digits[d]], base)
        fresh = _blend_into_stream(BoxStream(boxes, W, H), [label, digits[d]], base)
        assert np.array_equal(incremental, fresh)
    # an overlay that leaves (a subtitle ending) is cleared
    after = _blend_into_stream(running, [label], base)
    assert np.array_equal(after, _blend_into_stream(BoxStream(boxes, W, H), [label], base))


# ------------------------------------------------------------------ against the composed path
def decode_yuv(path: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, frame_bytes(W, H))


def test_fused_bodies_draw_what_the_composed_path_draws(tmp_path, monkeypatch):
    """Lossless (crf 0) so that the encoder adds nothing: the picture is the same bytes, the
    burn-ins differ by rounding only (ffmpeg's integer blend against numpy's float one)."""
    monkeypatch.setitem(export_module.PRESETS, "lossless", ("ultrafast", 0, "128k"))
    doc = rich_document(tmp_path)
    calls: list[fused.Body] = []
    real = fused.encode_body

    def counting(body, *args, **kwargs):
        calls.append(body)
        return real(body, *args, **kwargs)

    monkeypatch.setattr(export_module, "encode_body", counting)
    options = ExportOptions(preset="lossless")
    fused_out = decode_yuv(render(doc, tmp_path / "fused.mp4", options))
    # the bodies of s1 and s2; s3 has no take (a placeholder card), s4 fades in (one composed segment)
    assert [body.media.name for body in calls] == ["s1.mp4", "s2.mp4"]
    monkeypatch.setattr(export_module, "body_of", lambda *a, **k: None)
    composed_out = decode_yuv(render(doc, tmp_path / "composed.mp4", options))
    assert fused_out.shape == composed_out.shape
    difference = np.abs(fused_out.astype(int) - composed_out.astype(int))
    assert difference.max() <= 3
    assert (difference > 0).mean() < 0.05  # only burn-in edges round differently


def render(doc: Document, out: Path, options: ExportOptions) -> Path:
    render_animatic(doc, out, options=options, generate=False)
    return out


def _parameter_sets(segment: Path) -> bytes:
    """The SPS and PPS NAL units of a segment (Annex B), which the stream-copy join needs equal."""
    data = run_ffmpeg(["-i", str(segment), "-map", "0:v", "-c", "copy", "-bsf:v", "h264_mp4toannexb",
                       "-frames:v", "1", "-f", "h264", "-"])
    units = [u for u in data.split(b"\x00\x00\x01") if u]
    return b"|".join(u.rstrip(b"\x00") for u in units if u[0] & 0x1F in (7, 8))


def test_fused_and_composed_segments_carry_the_same_parameter_sets(tmp_path):
    doc = rich_document(tmp_path)  # slate, dissolve and fade (composed) beside fused bodies
    cache = tmp_path / "segments"
    render(doc, tmp_path / "out.mp4", ExportOptions(segment_cache=cache))
    segments = sorted(cache.glob("*.mp4"))
    assert len(segments) >= 5
    sets = {_parameter_sets(s) for s in segments}
    assert len(sets) == 1 and next(iter(sets))


def test_a_damaged_take_is_an_error_naming_it_and_leaves_no_output(tmp_path):
    doc = build_document(tmp_path)
    bad = doc.paths.root / "media" / "takes" / "s1.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    out = tmp_path / "out.mp4"
    with pytest.raises(Exception) as info:
        render(doc, out, ExportOptions())
    assert "s1.mp4" in str(info.value)
    assert not out.exists()


def test_a_take_shorter_than_its_shot_holds_its_last_frame(tmp_path):
    """The clip has 6 frames of red then ends; the shot is 20 frames: frames 6-19 repeat the
    last one (the "hold" conform), as ``ClipSource`` does."""
    bundle = tmp_path / "hold.sbproj"
    make_clip(bundle / "media" / "takes" / "a.mp4", (200, 30, 30), 6)
    shot = Shot(id="a", number="1", prompt="red", duration=20,
                takes=[Take(id="t", generator_id="test", media_path="media/takes/a.mp4", status=TakeStatus.DONE)],
                selected_take_id="t")
    from storyboard_app.model import Project, Sequence

    doc = Document(Project(title="Hold", fps=FPS, width=W, height=H, sequences=[Sequence("q", "S", [shot])]), bundle)
    doc.save()
    from storyboard_app.render.burnins import BurnIns

    frames = decode_yuv(render(doc, tmp_path / "out.mp4", ExportOptions(burnins=BurnIns.none())))
    assert len(frames) == 20
    luma = frames[:, : W * H].reshape(20, H, W).mean(axis=(1, 2))
    assert np.allclose(luma[6:], luma[5], atol=1.0)


def test_the_stream_is_as_large_as_the_packed_boxes():
    boxes = [Box(0, 0, 10, 4, 0), Box(20, 30, 6, 2, 4), Box(40, 30, 4, 2, 4, 6)]
    stream = BoxStream(boxes, W, H)
    assert (stream.width, stream.height) == (10, 6)
    assert stream.buffer.size == 10 * 6 * 5 // 2
