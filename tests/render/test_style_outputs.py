"""Issue 18.3: the style test's grid (PNG/PDF) and the side-by-side comparison video.

The pictures are checked against the takes they should show: each grid cell against its take's
middle frame, each tile of the comparison video against its style's take at the same moment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "generation"))
from generation_fixtures import make_project  # noqa: E402

from storyboard_app.generation.service import GenerationService  # noqa: E402
from storyboard_app.generation.style_test import cell_takes, resolve_styles, run_style_test  # noqa: E402
from storyboard_app.media.ffmpeg import probe, run_ffmpeg  # noqa: E402
from storyboard_app.model import Compound, DialogueLine, Document, StyleTest  # noqa: E402
from storyboard_app.model.style_tests import put_style_test  # noqa: E402
from storyboard_app.render.stills import shot_frame  # noqa: E402
from storyboard_app.render.style_compare import write_comparison  # noqa: E402
from storyboard_app.render.style_grid import (  # noqa: E402
    LABEL,
    grid_frames,
    grid_image,
    write_grid_pdf,
    write_grid_png,
)

STYLES = ["noir", "teal_orange", "pencil_storyboard"]


@pytest.fixture(scope="module")
def tested(tmp_path_factory):
    """3 styles x 2 shots generated once for the module (320x180 so tiles are measurable)."""
    project = make_project(["night market in rain, lanterns", "a brass key on a table"], frames=12)
    project.width, project.height = 320, 180
    project.all_shots()[0].dialogue.append(DialogueLine("l1", "ch_a", "The broth is getting cold."))
    doc = Document(project, tmp_path_factory.mktemp("style") / "p.sbproj")
    doc.save()
    ids, add = resolve_styles(doc.project, STYLES)
    doc.apply(Compound(add, "Add styles"))
    doc.apply(put_style_test(doc.project, StyleTest("looks", [s.id for s in doc.project.all_shots()], ids)))
    test = doc.project.style_test("looks")
    with GenerationService(doc.paths.root) as service:
        report = run_style_test(doc, test, service=service)
    assert report.ok and report.generated == 6
    cells = cell_takes(doc.project, doc.paths.root, test)
    return doc, test, cells


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_grid_has_a_row_per_shot_a_column_per_style_labels_and_the_right_takes(tested, tmp_path):
    doc, test, cells = tested
    project = doc.project
    grid = grid_frames(project, doc.paths.root, test, cells, tile=(160, 90))
    image, layout = grid_image(grid, "looks")
    assert image.size == layout.size(2, 3)
    pixels = np.asarray(image)
    for col in range(3):  # a label above every column
        x0, _, x1, _ = layout.cell_box(0, col)
        header = pixels[: layout.header_h, x0:x1]
        assert (np.abs(header.astype(int) - LABEL).sum(axis=2) < 60).sum() > 20, f"column {col} has no label"
    for row, shot in enumerate(project.all_shots()):  # a label left of every row
        _, y0, _, y1 = layout.cell_box(row, 0)
        assert (np.abs(pixels[y0:y1, : layout.label_w].astype(int) - LABEL).sum(axis=2) < 60).sum() > 20
        for col, style_id in enumerate(test.style_ids):
            take = cells[(shot.id, style_id)]
            expected = shot_frame(project, doc.paths.root, _with_take(shot, take.id)).resize((160, 90))
            x0, y0, x1, y1 = layout.cell_box(row, col)
            own = _mean_abs(pixels[y0:y1, x0:x1], np.asarray(expected))
            others = [_mean_abs(pixels[y0:y1, x0:x1], np.asarray(grid.frames[(shot.id, other)]))
                      for other in test.style_ids if other != style_id]
            assert own < 3 and all(own + 10 < o for o in others), (row, col, own, others)
    png = write_grid_png(grid, tmp_path / "g.png", "looks")
    pdf = write_grid_pdf(grid, tmp_path / "g.pdf", "looks")
    assert Image.open(png).size == image.size
    assert pdf.read_bytes().startswith(b"%PDF") and b"/Type /Page" in pdf.read_bytes()


def _with_take(shot, take_id):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(shot, selected_take_id=take_id)


def test_comparison_video_tiles_hold_each_styles_take_in_sync_with_voice(tested, tmp_path):
    doc, test, cells = tested
    project = doc.project
    out = tmp_path / "compare.mp4"
    layout = write_comparison(doc, test, test.style_ids, cells, out)
    info = probe(out)
    assert (info.width, info.height) == layout.size == (320, 180)
    assert info.has_audio, "the temp voiceover is missing"
    shots = project.all_shots()
    # the middle of each shot (the first shot may be fitted longer to its line: find its length)
    raw = run_ffmpeg(["-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 180, 320, 3)
    total = len(frames)
    second_start = total - shots[1].duration * round(info.fps / project.fps)
    assert round(info.fps) == project.fps
    for shot, at, take_frame in ((shots[0], second_start // 2, second_start // 2),  # held past its end
                                 (shots[1], second_start + shots[1].duration // 2, shots[1].duration // 2)):
        frame = frames[at]
        for i, style_id in enumerate(test.style_ids):
            x0, y0, x1, y1 = layout.tile_box(i)
            # the centre of the tile: clear of the shot label, style label and subtitles
            cx0, cy0 = x0 + (x1 - x0) // 4, y0 + (y1 - y0) // 4
            cx1, cy1 = x1 - (x1 - x0) // 4, y1 - (y1 - y0) // 3
            region = frame[cy0:cy1, cx0:cx1]

            def reference(sid: str, shot=shot, x0=x0, y0=y0, x1=x1, y1=y1, cx0=cx0, cy0=cy0, cx1=cx1, cy1=cy1,
                          take_frame=take_frame) -> np.ndarray:
                picture = shot_frame(project, doc.paths.root, _with_take(shot, cells[(shot.id, sid)].id), take_frame)
                tile = np.asarray(picture.resize((x1 - x0, y1 - y0)))
                return tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]

            own = _mean_abs(region, reference(style_id))
            others = [_mean_abs(region, reference(o)) for o in test.style_ids if o != style_id]
            assert own < 30 and all(own + 12 < o for o in others), (shot.number, style_id, own, others)
