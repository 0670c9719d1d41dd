"""Burn-ins: zones that never overlap, text that wraps instead of being cut, glyphs not boxes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import CameraMove, ShotSize
from storyboard_app.render import text as tx
from storyboard_app.render.burnins import (
    BurnIns,
    layout_burnins,
    shot_caption,
    shot_label,
    shot_overlay,
    subtitle_text,
    subtitles_at,
)
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic

LONG_PROMPT = ("a tall woman in a red coat walks through the crowded night market in the rain, lanterns "
               "swinging overhead, steam rising from the noodle stalls while a vendor shouts prices")
LONG_LINE = ("We have until the tide turns, and then the whole market will be under water, so listen "
             "to me carefully this time and do exactly what I say.")
MIXED = "Mara 마라 真理 😀"


def assert_disjoint_and_inside(blocks, width, height):
    for a, b in itertools.combinations(blocks, 2):
        assert not a.rect.intersects(b.rect), (a.zone, a.rect, b.zone, b.rect)
    for block in blocks:
        r = block.rect
        assert r.x >= 0 and r.y >= 0 and r.right <= width and r.bottom <= height, (block.zone, r)


@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (320, 180), (160, 90)])
def test_zones_never_overlap_with_long_caption_subtitles_and_label(size):
    width, height = size
    blocks = layout_burnins(width, height, BurnIns(), label="SHOT 12A  ·  EXT. NIGHT MARKET - NIGHT " + MIXED,
                            caption="MCU  ·  push in  ·  " + LONG_PROMPT,
                            subtitles=[subtitle_text("Mara", LONG_LINE), subtitle_text("Teo", MIXED)])
    zones = [b.zone for b in blocks]
    assert sorted(zones) == sorted(["timecode", "previz", "label", "caption", "subtitle", "subtitle"])
    assert_disjoint_and_inside(blocks, width, height)
    top = max(b.rect.bottom for b in blocks if b.zone in ("label", "timecode", "previz"))
    bottom = min(b.rect.y for b in blocks if b.zone in ("caption", "subtitle"))
    assert top <= bottom  # slate/label zone above, caption and subtitles below


def test_long_text_wraps_and_nothing_is_cut():
    caption = "MCU  ·  push in  ·  " + LONG_PROMPT
    subtitle = subtitle_text("Mara", LONG_LINE)
    blocks = {b.zone: b for b in layout_burnins(1280, 720, BurnIns(), label="SHOT 1", caption=caption,
                                                 subtitles=[subtitle])}
    assert len(blocks["caption"].lines) > 1 and len(blocks["subtitle"].lines) > 1
    assert " ".join(blocks["caption"].lines).split() == caption.split()
    assert " ".join(blocks["subtitle"].lines).split() == subtitle.split()
    for block in blocks.values():  # the wrapped boxes stay inside the frame's margins
        assert block.rect.x >= 18 and block.rect.right <= 1280 - 18


def test_cjk_text_without_spaces_wraps_between_characters():
    text = "真理は市場の灯りの下で潮が変わるまで待っていると言ったがそれはずっと前のことだった" * 2
    lines = tx.wrap(text, 30, 300)
    assert len(lines) > 2 and "".join(lines) == text
    assert all(tx.text_width(line, 30) <= 300 for line in lines)


def _tofu() -> np.ndarray:
    return np.asarray(tx.text_image(["\U0010FFFD"], 40, bg=(0, 0, 0, 255)).convert("L"))


@pytest.mark.parametrize("char", ["마", "라", "真", "理", "😀"])
def test_cjk_and_emoji_render_as_glyphs_not_boxes(char):
    assert tx.missing_glyphs(char) == []
    glyph = np.asarray(tx.text_image([char], 40, bg=(0, 0, 0, 255)).convert("L"))
    tofu = _tofu()
    assert glyph.max() > 200  # something was drawn
    h, w = min(glyph.shape[0], tofu.shape[0]), min(glyph.shape[1], tofu.shape[1])
    assert np.abs(glyph[:h, :w].astype(int) - tofu[:h, :w]).mean() > 5  # and it is not the box
    # what DejaVu alone (the old burn-in font) draws for it: the box
    old = Image.new("L", (60, 60))
    ImageDraw.Draw(old).text((5, 5), char, font=tx.face("DejaVuSans.ttf", 40), fill=255)
    new = Image.new("L", (60, 60))
    tx.draw_text(ImageDraw.Draw(new), (5, 5), char, 40, fill=255)
    assert np.abs(np.asarray(old, int) - np.asarray(new, int)).mean() > 5


def test_subtitles_at_follows_the_voice_plan():
    from types import SimpleNamespace as Line

    plan = [Line(offset_frames=2, duration_frames=6, speaker_name="Mara", text="one"),
            Line(offset_frames=6, duration_frames=4, speaker_name="", text="two")]
    assert subtitles_at(plan, 1) == []
    assert subtitles_at(plan, 2) == ["MARA: one"]
    assert subtitles_at(plan, 7) == ["MARA: one", "two"]
    assert subtitles_at(plan, 10) == []


def test_shot_overlay_for_the_preview_is_the_exports_layout(document):
    project = document.project
    shot = project.all_shots()[0]
    image = shot_overlay(project, shot.id, 5, 640, 360, subtitles=[subtitle_text("Mara", MIXED)])
    assert image.size == (640, 360) and image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    blocks = layout_burnins(640, 360, BurnIns(), label=shot_label(shot, 0, "Scene"), caption=shot_caption(shot),
                            subtitles=[subtitle_text("Mara", MIXED)])
    covered = np.zeros_like(alpha, bool)
    for b in blocks:
        covered[b.rect.y : b.rect.bottom, b.rect.x : b.rect.right] = True
        assert alpha[b.rect.y : b.rect.bottom, b.rect.x : b.rect.right].mean() > 100, b.zone
    assert not alpha[~covered].any()  # nothing drawn outside the layout's boxes
    with pytest.raises(KeyError):
        shot_overlay(project, "nope", 0, 64, 36)


def test_exported_frame_draws_text_only_inside_disjoint_boxes(document, tmp_path):
    """Pixel check on a real export: a long prompt, a long dialogue line, the label and timecode."""
    width, height = 640, 360
    shot = document.project.all_shots()[0]
    shot.prompt, shot.size, shot.camera_move = LONG_PROMPT, ShotSize.MCU, CameraMove.PUSH_IN
    shot.dialogue[0].text = LONG_LINE + " " + MIXED
    frames = {}
    for name, burnins in (("plain", BurnIns.none()), ("burnt", BurnIns(slate=False))):
        out = tmp_path / f"{name}.mp4"
        render_animatic(document, out, options=ExportOptions(width=width, height=height, burnins=burnins),
                        generate=False)
        raw = run_ffmpeg(["-i", str(out), "-vf", "select=eq(n\\,5)", "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"])
        frames[name] = np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(int)
    changed = np.abs(frames["plain"] - frames["burnt"]).sum(axis=2) > 60
    blocks = layout_burnins(width, height, BurnIns(slate=False), label=shot_label(shot, 0, "Scene"),
                            caption=shot_caption(shot), subtitles=[subtitle_text("Narrator", shot.dialogue[0].text)])
    assert {b.zone for b in blocks} == {"timecode", "previz", "label", "caption", "subtitle"}
    assert_disjoint_and_inside(blocks, width, height)
    inside = np.zeros_like(changed)
    for b in blocks:
        inside[max(b.rect.y - 2, 0) : b.rect.bottom + 2, max(b.rect.x - 2, 0) : b.rect.right + 2] = True
        assert changed[b.rect.y : b.rect.bottom, b.rect.x : b.rect.right].mean() > 0.3, b.zone
    assert not changed[~inside].any()
    Image.fromarray(frames["burnt"].astype(np.uint8)).save(tmp_path / "burnt.png")  # for a person to look at


def test_burnins_are_built_per_shot_not_up_front(tmp_path):
    """Issue 12.9: every shot's label and subtitle overlay was built before the first frame
    (831 MiB at 2000 shots). Now only the current shot's are alive."""
    import tracemalloc

    from storyboard_app.model import Project, Sequence, Shot
    from storyboard_app.render.export import DialogueCue, FrameComposer
    from storyboard_app.render.timeline import build_timeline

    shots = [Shot(id=f"s{i}", number=str(i + 1), prompt=LONG_PROMPT, duration=2) for i in range(2000)]
    project = Project(title="Long", fps=24, width=1280, height=720, sequences=[Sequence("q", "Scene", shots)])
    timeline = build_timeline(project, tmp_path / "long.sbproj")
    cues = [DialogueCue(2 * i, 2, "Mara", LONG_LINE, None) for i in range(0, 2000, 2)]
    tracemalloc.start()
    composer = FrameComposer(project, timeline, 1280, 720, ExportOptions(burnins=BurnIns(slate=False)), cues, {})
    for n in range(0, 40):  # twenty shots, with their subtitles
        composer._overlays_for(timeline.segments[n // 2], n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    composer.close()
    assert peak < 60 * 2**20, f"{peak / 2**20:.0f} MiB"
    assert len(composer._static) <= 4 and len(composer._subtitle_cache) <= 2


def test_timecode_glyphs_are_centred_in_their_cells():
    """A colon drawn at its cell's left edge read "00: 00: 06: 10"; every glyph sits centred."""
    import numpy as np

    from storyboard_app.render.burnins import timecode_glyphs

    for size in (14, 24):
        for char, image in timecode_glyphs(size).items():
            ink = np.asarray(image)[:, :, 0] > 128  # white text on a dark box
            columns = np.nonzero(ink.any(axis=0))[0]
            left, right = columns[0], image.width - 1 - columns[-1]
            assert abs(left - right) <= 2, (size, char, left, right)
