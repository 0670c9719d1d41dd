"""Issue 13.12 (the preview shows the export's burn-ins as an overlay, switchable) and 13.15 /
13.3 (the export dialog offers the dialogue overflow policy and reports the animatic's length
and how long the export took)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from ui13_fixtures import coloured_project

from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import DialogueLine, Document, new_id
from storyboard_app.ui.overlay import overlay_items


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
    items = overlay_items(window.session.project, 10)
    assert [i.zone for i in items] == ["top-left", "top-right", "bottom-right", "bottom"]
    assert items[-1].text == "Where were you?" and items[0].text.startswith("SHOT 1")
    qtbot.waitUntil(lambda: window.viewer.current_image() is not None, timeout=10000)
    with_overlay = window.viewer.grab().toImage()
    assert bright_pixels(with_overlay, 0.55, 0.95) > 5  # subtitle text at the bottom
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggle = next(a for a in view_menu.actions() if a.text() == "&Burn-ins over the picture")
    toggle.trigger()  # off
    assert window.viewer.overlay_provider is None
    assert bright_pixels(window.viewer.grab().toImage(), 0.55, 0.95) == 0


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
    items = overlay_items(window.session.project, window.viewer.overlay_frame())
    assert items[0].text.startswith("SHOT 2")
    window.session.select([first.id])
    assert window.viewer.overlay_frame() == 3  # the playhead is inside the shown shot: it is used
