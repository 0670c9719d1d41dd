"""Issue 13.12 (the preview shows the export's burn-ins as an overlay, switchable, equal to the
exporter's own overlay) and 13.15 / 13.3 (the export dialog offers the dialogue overflow policy
and reports the animatic's length and how long the export took)."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from ui13_fixtures import coloured_project

from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import DialogueLine, Document, new_id
from storyboard_app.render.burnins import shot_overlay, subtitles_at
from storyboard_app.ui.overlay import estimated_lines
from storyboard_app.ui.viewer import Viewer

GREY = (90, 100, 110)


def bright_pixels(image, top: float, bottom: float) -> int:  # noqa: ANN001
    count = 0
    for y in range(int(image.height() * top), int(image.height() * bottom), 2):
        for x in range(0, image.width(), 2):
            c = QColor(image.pixel(x, y))
            count += c.red() > 200 and c.green() > 200 and c.blue() > 200
    return count


def test_viewer_overlay_shows_label_timecode_and_subtitle(make_window, qtbot, tmp_path):
    bundle = coloured_project(tmp_path, ["#202020", "#202020"])
    document = Document.open(bundle)
    shot = document.project.all_shots()[0]
    shot.dialogue.append(DialogueLine(new_id("line"), "", "Where were you?"))
    window = make_window(document)
    window.session.select([shot.id])
    window.session.set_playhead(10)  # inside the line (lead 6 frames)
    where, label, _caption, subtitles = window.viewer.overlay.texts(window.session.project, 10)
    assert where.shot.id == shot.id and label.startswith("SHOT 1")
    assert subtitles == ("NARRATOR: Where were you?",)
    qtbot.waitUntil(lambda: window.viewer.current_image() is not None, timeout=10000)
    with_overlay = window.viewer.grab().toImage()
    assert bright_pixels(with_overlay, 0.55, 0.95) > 5  # subtitle text at the bottom
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggle = next(a for a in view_menu.actions() if a.text() == "&Burn-ins over the picture")
    toggle.trigger()  # off
    assert not window.viewer.show_burnins
    assert bright_pixels(window.viewer.grab().toImage(), 0.55, 0.95) == 0
    toggle.trigger()  # on again
    assert bright_pixels(window.viewer.grab().toImage(), 0.55, 0.95) > 5


def solid(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(QColor(*GREY))
    return image


def viewer_picture(window, qtbot, width: int, height: int) -> np.ndarray:  # noqa: ANN001
    """A viewer whose picture is exactly ``width`` x ``height`` (12 px border), showing a flat
    grey frame, grabbed: the picture area as an RGB array."""
    viewer = Viewer(window.session, window.thumbnails)
    qtbot.addWidget(viewer)
    viewer.resize(width + 24, height + 24)
    viewer.frame_image = solid(width, height)
    grabbed = viewer.grab().toImage().convertToFormat(QImage.Format_RGB888)
    viewer.detach()
    array = np.frombuffer(grabbed.constBits(), np.uint8).reshape(grabbed.height(), grabbed.bytesPerLine())
    array = array[:, : grabbed.width() * 3].reshape(grabbed.height(), grabbed.width(), 3)
    return array[12:12 + height, 12:12 + width].astype(int)


def exported(project, shot, local: int, width: int, height: int) -> np.ndarray:  # noqa: ANN001
    """The exporter's overlay for the shot at ``local`` over the same flat grey frame."""
    subtitles = subtitles_at(estimated_lines(project, shot), local)
    overlay = shot_overlay(project, shot.id, local, width, height, subtitles=subtitles)
    base = Image.new("RGBA", (width, height), (*GREY, 255))
    base.alpha_composite(overlay)
    return np.asarray(base.convert("RGB")).astype(int)


def test_the_viewer_draws_the_exporters_overlay_pixel_for_pixel(make_window, qtbot, tmp_path):
    """The picture at the project's size: the viewer's burn-ins are ``shot_overlay``'s pixels
    (label, timecode, PREVIZ label, a wrapped caption and the subtitle playing), to rounding."""
    bundle = coloured_project(tmp_path, ["#202020", "#202020"])
    document = Document.open(bundle)
    first, second = document.project.all_shots()
    second.prompt = "a long prompt that the caption has to wrap over two lines at this small size, not cut"
    second.duration = 96
    second.dialogue += [DialogueLine(new_id("line"), "", "Where were you?"),
                        DialogueLine(new_id("line"), "", "Out.")]
    project = document.project
    window = make_window(document)
    window.session.select([second.id])
    local = estimated_lines(project, second)[1].offset_frames + 2  # the second line is playing
    assert subtitles_at(estimated_lines(project, second), local) == ["NARRATOR: Out."]
    window.session.set_playhead(first.duration + local)
    got = viewer_picture(window, qtbot, 320, 180)
    want = exported(project, second, local, 320, 180)
    assert (want != np.array(GREY)).any(axis=2).sum() > 2000  # the overlay is really there
    diff = np.abs(got - want)
    assert diff.max() <= 3, f"viewer and export differ by up to {diff.max()} at {np.argwhere(diff > 3)[:5].tolist()}"
    # a region check that names what is compared: the caption's box at the bottom left
    assert np.abs(got[150:178, 4:200] - want[150:178, 4:200]).max() <= 3
    # and the comparison can fail: another frame's timecode is not the same picture
    assert np.abs(got - exported(project, second, local + 1, 320, 180)).max() > 50


def test_a_smaller_picture_shows_the_export_layout_scaled(make_window, qtbot, tmp_path):
    """A 640x360 project in a 320x180 picture: the layer is laid out at the project's size (the
    export's wrap points) and scaled, so it matches the export's overlay scaled down."""
    bundle = coloured_project(tmp_path, ["#202020"])
    document = Document.open(bundle)
    document.project.width, document.project.height = 640, 360
    shot = document.project.all_shots()[0]
    shot.prompt = "a caption long enough to wrap in the export, at the same words in the preview"
    window = make_window(document)
    window.session.select([shot.id])
    window.session.set_playhead(3)
    got = viewer_picture(window, qtbot, 320, 180)
    big = Image.fromarray(exported(document.project, shot, 3, 640, 360).astype(np.uint8))
    want = np.asarray(big.reduce(2)).astype(int)
    diff = np.abs(got - want)
    assert diff.mean() < 0.3 and diff.max() <= 12, (diff.mean(), diff.max())  # resampling rounding only


def test_painting_the_overlay_is_cheap_and_cached(make_window, qtbot, tmp_path):
    """Playing a shot rebuilds the burn-in layer only when the playing lines change; each paint
    is then a cached image and 11 glyphs."""
    bundle = coloured_project(tmp_path, ["#202020"])
    document = Document.open(bundle)
    shot = document.project.all_shots()[0]
    shot.duration = 72
    shot.dialogue.append(DialogueLine(new_id("line"), "", "Where were you?"))
    window = make_window(document)
    viewer = window.viewer
    viewer.frame_image = solid(320, 180)
    viewer.overlay.clear()
    builds = viewer.overlay.builds
    target = QImage(viewer.size(), QImage.Format_ARGB32_Premultiplied)
    started = time.perf_counter()
    for frame in range(shot.duration):
        window.session.set_playhead(frame)
        viewer.render(target)  # the paint event, synchronously
    per_paint = (time.perf_counter() - started) / shot.duration
    # two layers for the whole shot: without the subtitle (before and after the line) and with it
    assert viewer.overlay.builds - builds == 2
    window.session.set_playhead(10)
    viewer.render(target)  # playing it again builds nothing
    assert viewer.overlay.builds - builds == 2
    print(f"viewer paint with burn-ins: {per_paint * 1000:.2f} ms at {viewer.width()}x{viewer.height()}")
    viewer.frame_image = None


def test_export_dialog_offers_the_overflow_policy_and_reports_length_and_time(make_window, qtbot, tmp_path):
    bundle = coloured_project(tmp_path, ["#ff0000", "#0000ff"])
    document = Document.open(bundle)
    first = document.project.all_shots()[0]
    first.dialogue.append(DialogueLine(new_id("line"), "", "This line is far too long for a one second shot, "
                                                           "so it would spill into the next one."))
    document.save()
    window = make_window(document)
    dialog = window.export_dialog(open_folder=False)
    assert "dialogue runs past the end of shot 1" in dialog.status.text()
    assert dialog.overflow.currentData() == "fit"  # the default never crosses a cut
    dialog.overflow.setFocus()
    qtbot.keyClick(dialog.overflow, Qt.Key_Down)  # → trim
    assert dialog.overflow.currentData() == "trim"
    qtbot.waitExposed(dialog)
    slate = dialog.burnins["slate"]
    qtbot.mouseClick(slate, Qt.LeftButton, pos=QPoint(8, slate.height() // 2))
    assert not dialog.burnins["slate"].isChecked()
    dialog.output.setText(str(tmp_path / "out.mp4"))
    with qtbot.waitSignal(dialog.finished_export, timeout=120000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    assert blocker.args == [str(tmp_path / "out.mp4")]
    text = dialog.status.text()
    assert "Animatic length" in text and "(48 frames)" in text and "exported in" in text
    assert "trimmed" in text
    assert abs(probe(tmp_path / "out.mp4").duration - 2.0) < 0.1  # trimmed: the shots keep their length
    dialog.close()


def test_overlay_names_the_shot_the_viewer_shows(make_window, qtbot, tmp_path):
    bundle = coloured_project(tmp_path, ["#ff0000", "#0000ff"])
    window = make_window(Document.open(bundle))
    first, second = window.session.project.all_shots()
    window.session.set_playhead(3)  # inside shot 1
    window.session.select([second.id])  # shot 2 selected without moving the playhead (Ctrl+click, insert…)
    _where, label, _caption, _subtitles = window.viewer.overlay.texts(window.session.project,
                                                                      window.viewer.overlay_frame())
    assert label.startswith("SHOT 2")
    window.session.select([first.id])
    assert window.viewer.overlay_frame() == 3  # the playhead is inside the shown shot: it is used
