"""Issue 13.5 (the viewer shows the picture that is current) and 13.6 (opening one project after
another leaves nothing of the first connected: no Qt warning, no exception)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui13_fixtures import (
    card_point,
    centre_colour,
    coloured_project,
    flush_deletes,
    strict_qt,
    take_for,
)

from storyboard_app.model import Document
from storyboard_app.model.commands import record_take


def viewer_colour(window) -> str | None:  # noqa: ANN001
    return centre_colour(window.viewer.current_image())


def test_a_new_take_of_the_selected_shot_shows_without_reselecting(make_window, qtbot, tmp_path):
    bundle = coloured_project(tmp_path, ["#ff0000", "#00ff00"], kind="clip")
    window = make_window(Document.open(bundle))
    canvas = window.timeline.canvas
    first = window.session.project.all_shots()[0]
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, first.id))
    qtbot.waitUntil(lambda: viewer_colour(window) == "#ff0000", timeout=10000)
    # scrub inside the shot: the viewer now holds a decoded frame of the red take
    ruler = card_point(canvas, first.id)
    ruler.setY(5)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=ruler)
    qtbot.waitUntil(lambda: window.viewer.frame_image is not None, timeout=10000)
    # a generation finishes: a blue take of the selected shot
    take = take_for(bundle, first, "#0000ff", kind="clip")
    window.session.apply(record_take(window.session.project, first.id, take))
    qtbot.waitUntil(lambda: viewer_colour(window) == "#0000ff", timeout=10000)


def test_after_playback_ends_the_viewer_shows_the_selected_shot(make_window, qtbot, tmp_path):
    bundle = coloured_project(tmp_path, ["#ff0000", "#00ff00"], kind="clip")
    window = make_window(Document.open(bundle))
    if window.player.media is None:
        import pytest

        pytest.skip("QtMultimedia is not available")
    canvas = window.timeline.canvas
    first, second = window.session.project.all_shots()
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, first.id))
    window.docks["takes"].raise_()
    takes = window.takes
    takes.list.setCurrentRow(0)
    qtbot.mouseClick(takes.play_button, Qt.LeftButton)  # plays the red take to its end
    qtbot.waitUntil(lambda: window.player.state == "playing", timeout=10000)
    qtbot.waitUntil(lambda: window.player.state == "stopped", timeout=20000)
    assert viewer_colour(window) == "#ff0000"
    # a new shot is selected without the playhead moving (Ctrl+I on the timeline): the viewer
    # must show that shot (no take yet), not the last frame that was played
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_I, Qt.ControlModifier)
    new = window.session.current_shot()
    assert new.id not in (first.id, second.id)
    qtbot.wait(300)  # no late frame of the red take may come back
    assert window.viewer.current_image() is None
    # and clicking the green shot shows green
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, second.id))
    qtbot.waitUntil(lambda: viewer_colour(window) == "#00ff00", timeout=10000)


def test_opening_projects_one_after_another_is_clean(make_window, qtbot, tmp_path):
    a = coloured_project(tmp_path, ["#ff0000", "#00ff00", "#0000ff"], title="A")
    b = coloured_project(tmp_path, ["#ffff00", "#00ffff", "#ff00ff"], title="B")
    window = make_window()
    thumbnails = window.thumbnails
    with strict_qt() as (messages, errors):
        for i in range(4):
            assert window.open_project(a if i % 2 == 0 else b)
            canvas = window.timeline.canvas
            qtbot.mouseClick(canvas, Qt.LeftButton,
                             pos=card_point(canvas, window.session.project.all_shots()[1].id))
            qtbot.waitUntil(lambda: viewer_colour(window) is not None, timeout=10000)
            thumbnails.wait(5000)
            qtbot.wait(50)
            flush_deletes()
        window.new_project()
        flush_deletes()
        qtbot.wait(50)
    assert errors == [], errors
    assert messages == [], messages
    # only the current document's three views listen to the cache
    assert thumbnails.receivers("2ready(QString)") == 3


def test_typing_does_not_decode_a_frame_per_keystroke(make_window, qtbot, tmp_path, monkeypatch):
    import storyboard_app.ui.player as player_module

    bundle = coloured_project(tmp_path, ["#ff0000", "#00ff00"], kind="clip")
    window = make_window(Document.open(bundle))
    canvas = window.timeline.canvas
    first = window.session.project.all_shots()[0]
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=card_point(canvas, first.id))
    ruler = card_point(canvas, first.id)
    ruler.setY(5)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=ruler)
    qtbot.waitUntil(lambda: window.viewer.frame_image is not None, timeout=10000)
    grabs = []
    real = player_module._grab_frame
    monkeypatch.setattr(player_module, "_grab_frame", lambda *a: grabs.append(a) or real(*a))
    window.inspector.prompt.setFocus()
    qtbot.keyClicks(window.inspector.prompt, "lanterns")
    assert grabs == []
    take = take_for(bundle, first, "#0000ff", kind="clip")  # a new picture there: one grab
    window.session.apply(record_take(window.session.project, first.id, take))
    assert len(grabs) == 1
    window.player.shutdown()
