"""The animatic is BT.709 throughout: tagged so, and its pixels decode to the colours they were.

A BT.709 tag over BT.601 values (or the reverse) shifts every colour; these tests decode the
exported MP4 with ffmpeg, which honours the tag, the way a player does.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from render_fixtures import FPS, H, W

from storyboard_app.media.camera import animate_still
from storyboard_app.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from storyboard_app.model import Document, Project, Sequence, Shot, Take, TakeStatus
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions, Yuv420Writer
from storyboard_app.render.service import render_animatic
from storyboard_app.render.yuv import rgb_to_yuv420

#: not fully saturated, so that a matrix mismatch is not hidden by clipping at 0 and 255
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 120, 40), (60, 150, 210), (230, 230, 230)]
TOLERANCE = 6


def colour_description(path: Path) -> dict[str, str]:
    """Matrix, primaries and transfer as ``ffmpeg -i`` prints them (there is no bundled ffprobe):
    ``yuv420p(tv, bt709, progressive)`` when all three are bt709, else ``yuv420p(tv, A/B/C, ...)``."""
    import subprocess

    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    m = re.search(r"Video: .*?yuv420p\(([^)]*)\)", text)
    assert m, text
    parts = [p.strip() for p in m.group(1).split(",")]
    described = next((p for p in parts if p.startswith("bt") or "/" in p or p == "unknown"), "")
    if "/" in described:
        matrix, primaries, transfer = described.split("/")
    else:
        matrix = primaries = transfer = described or "unknown"
    return {"range": parts[0], "matrix": matrix, "primaries": primaries, "transfer": transfer}


def colr_atom(path: Path) -> tuple[int, int, int, int]:
    """The MP4's ``colr``/``nclx`` box: (primaries, transfer, matrix, full-range flag); what
    QuickTime and browsers read. BT.709 is 1, 1, 1 and limited range is 0."""
    data = path.read_bytes()
    at = data.find(b"colrnclx")
    assert at >= 0, "no colr nclx box"
    primaries, transfer, matrix = struct.unpack(">HHH", data[at + 8 : at + 14])
    return primaries, transfer, matrix, data[at + 14] >> 7


def decode_rgb(path: Path, width: int, height: int) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def centre_mean(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return frame[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].reshape(-1, 3).mean(axis=0)


def test_the_exported_mp4_is_tagged_bt709(document, tmp_path) -> None:
    out = tmp_path / "tagged.mp4"
    render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False)
    assert colour_description(out) == {"range": "tv", "matrix": "bt709", "primaries": "bt709",
                                       "transfer": "bt709"}
    assert colr_atom(out) == (1, 1, 1, 0)


def test_frames_written_from_rgb_decode_back_to_the_same_colours(tmp_path) -> None:
    """Our RGB → YUV conversion (burn-ins, slate, placeholders) uses the matrix the file is tagged with."""
    out = tmp_path / "rgb.mp4"
    with Yuv420Writer(out, 64, 48, 12, preset="ultrafast", crf=12, audio=None, audio_bitrate="128k",
                      threads=1) as writer:
        for colour in COLOURS:
            frame = np.empty((48, 64, 3), np.uint8)
            frame[:] = colour
            for _ in range(3):
                writer.write_frame(rgb_to_yuv420(frame))
    frames = decode_rgb(out, 64, 48)
    for i, colour in enumerate(COLOURS):
        got = centre_mean(frames[3 * i + 1])
        assert np.abs(got - colour).max() <= TOLERANCE, (colour, got)


def _bt709_clip(path: Path, colour: tuple[int, int, int], frames: int) -> None:
    """A take as a camera or a video API writes it: BT.709 values, tagged."""
    hexcolour = "0x{:02x}{:02x}{:02x}".format(*colour)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={hexcolour}:s={W}x{H}:r={FPS}", "-frames:v", str(frames),
                "-vf", "scale=out_color_matrix=bt709,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", str(path)])


def _untagged_clip(path: Path, colour: tuple[int, int, int], frames: int) -> None:
    """A take as ffmpeg writes RGB by default: BT.601 values, no tag (older generated clips)."""
    hexcolour = "0x{:02x}{:02x}{:02x}".format(*colour)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={hexcolour}:s={W}x{H}:r={FPS}", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", str(path)])


@pytest.mark.parametrize("kind", ["bt709", "untagged"])
def test_takes_keep_their_colours_through_the_export(tmp_path, kind) -> None:
    """Tagged BT.709 takes and untagged (BT.601) takes both come out as the colours they showed."""
    bundle = tmp_path / "c.sbproj"
    shots = []
    for i, colour in enumerate(COLOURS):
        clip = bundle / "media" / "takes" / f"c{i}.mp4"
        clip.parent.mkdir(parents=True, exist_ok=True)
        (_bt709_clip if kind == "bt709" else _untagged_clip)(clip, colour, 6)
        shot = Shot(id=f"c{i}", number=str(i + 1), prompt="flat", duration=6)
        shot.takes = [Take(id=f"t{i}", generator_id="test", media_path=f"media/takes/c{i}.mp4",
                           status=TakeStatus.DONE)]
        shot.selected_take_id = f"t{i}"
        shots.append(shot)
    project = Project(title="Colours", fps=FPS, width=W, height=H, sequences=[Sequence("q", "Scene", shots)])
    doc = Document(project, bundle)
    doc.save()
    out = tmp_path / "colours.mp4"
    render_animatic(doc, out, options=ExportOptions(preset="delivery", burnins=BurnIns.none()), generate=False)
    frames = decode_rgb(out, W, H)
    for i, colour in enumerate(COLOURS):
        got = centre_mean(frames[6 * i + 3])
        assert np.abs(got - colour).max() <= TOLERANCE, (kind, colour, got)


def test_animated_stills_are_bt709_values_and_tags(tmp_path) -> None:
    """Generated clips (sketch, stills with a camera move) carry the export's colour space."""
    from PIL import Image

    still = tmp_path / "still.png"
    Image.new("RGB", (96, 64), (200, 120, 40)).save(still)
    clip = animate_still(still, tmp_path / "moved.mp4", width=64, height=48, fps=12, frames=6, move="static",
                         strength=0.5, crf=12)
    assert colour_description(clip) == {"range": "tv", "matrix": "bt709", "primaries": "bt709",
                                        "transfer": "bt709"}
    assert np.abs(centre_mean(decode_rgb(clip, 64, 48)[3]) - (200, 120, 40)).max() <= TOLERANCE


def test_the_writer_tags_without_touching_pixel_values(tmp_path) -> None:
    """Tagging must not convert: with ffmpeg 9, ``-colorspace bt709`` output options alone make
    ffmpeg convert the (untagged) piped frames; our frames are BT.709 already. A lossless encode
    decodes back to the very bytes that were written."""
    rng = np.random.default_rng(7)
    frames = [rng.integers(16, 236, 64 * 48 * 3 // 2, dtype=np.uint8) for _ in range(3)]
    out = tmp_path / "lossless.mp4"
    with Yuv420Writer(out, 64, 48, 12, preset="ultrafast", crf=0, audio=None, audio_bitrate="128k",
                      threads=1) as writer:
        for frame in frames:
            writer.write_frame(frame)
    assert colour_description(out)["primaries"] == "bt709"
    back = run_ffmpeg(["-i", str(out), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
    assert back == b"".join(f.tobytes() for f in frames)
