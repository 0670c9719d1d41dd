"""Desktop app part 2: generate from the GUI, cancel, pin a take, export, responsiveness."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from storyboard_app.media.ffmpeg import decode_audio, probe
from storyboard_app.model import Document, TakeStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"


def small_example(tmp_path: Path, shots: int | None = None) -> Path:
    """The example at 320x180 (and optionally fewer shots) so GUI generation stays quick."""
    bundle = tmp_path / "nm.sbproj"
    shutil.copytree(EXAMPLE, bundle)
    doc = Document.open(bundle)
    doc.project.width, doc.project.height = 320, 180
    if shots is not None:
        for seq in doc.project.sequences:
            del seq.shots[shots:]
    doc.save()
    return bundle


class GapProbe:
    """A 10 ms QTimer: records the longest gap between ticks (the UI thread's worst stall)."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.gaps: list[int] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.gaps.append(self.clock.restart())

    def __enter__(self) -> GapProbe:
        self.clock.start()
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.timer.stop()

    @property
    def worst(self) -> int:
        return max(self.gaps[1:], default=0)


def badges(window) -> list[str]:  # noqa: ANN001
    canvas = window.timeline.canvas
    return [canvas.badge_state(s) for s in window.session.project.all_shots()]


def test_generate_the_example_from_the_gui_until_every_badge_reads_done(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path)))
    assert badges(window) == ["none"] * 13
    with GapProbe() as probe_:
        window.act_generate_all.trigger()
        assert set(badges(window)) == {"queued"}
        qtbot.waitUntil(lambda: badges(window) == ["done"] * 13, timeout=90000)
    assert probe_.worst < 200, f"UI thread stalled {probe_.worst} ms"
    queue = window.queue_panel.table
    assert queue.rowCount() == 13 and {queue.item(r, 2).text() for r in range(13)} == {"done"}
    for shot in window.session.project.all_shots():
        assert shot.selected_take.status == TakeStatus.DONE
    assert window.session.dirty  # takes were recorded as undoable edits


def test_cancel_a_batch_midway(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path)))
    window.generation.jobs = 1
    window.act_generate_all.trigger()
    qtbot.waitUntil(lambda: "done" in badges(window), timeout=60000)
    window.generation.cancel_all()
    qtbot.waitUntil(lambda: not window.generation.running, timeout=60000)
    states = {e.state for e in window.generation.entries.values()}
    assert "cancelled" in states and "done" in states
    shots = window.session.project.all_shots()
    cancelled = [s for s in shots if window.generation.entries[s.id].state == "cancelled"]
    assert cancelled and all(not s.takes for s in cancelled)
    bundle = Path(window.session.document.bundle)
    assert not [p for p in bundle.rglob("*") if ".part" in p.name]
    assert set(badges(window)) <= {"done", "none"}


def test_pin_a_different_take_and_undo(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path, shots=1)))
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    window.generation.generate([shot.id])
    qtbot.waitUntil(lambda: not window.generation.running and len(shot.takes) == 1, timeout=60000)
    window.generation.generate([shot.id], reroll=True)
    qtbot.waitUntil(lambda: not window.generation.running and len(shot.takes) == 2, timeout=60000)
    assert shot.selected_take_id == shot.takes[1].id
    takes = window.takes.list
    older = next(takes.item(i) for i in range(takes.count()) if takes.item(i).data(0x0100) == shot.takes[0].id)
    takes.setCurrentItem(older)
    window.takes.pin_current()
    assert shot.selected_take_id == shot.takes[0].id and shot.take_pinned
    window.act_undo.trigger()
    assert shot.selected_take_id == shot.takes[1].id and not shot.take_pinned

    # delete the newer take: its file goes when the project is saved
    newer = shot.takes[1]
    path = Path(window.session.document.bundle) / newer.media_path
    takes.clearSelection()
    next(takes.item(i) for i in range(takes.count()) if takes.item(i).data(0x0100) == newer.id).setSelected(True)
    window.takes.delete_selected()
    assert len(shot.takes) == 1 and path.exists()
    window.save()
    assert not path.exists() and (Path(window.session.document.bundle) / shot.takes[0].media_path).exists()


def test_export_from_the_dialog(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path, shots=2)))
    window.generation.generate()
    qtbot.waitUntil(lambda: not window.generation.running and badges(window) == ["done"] * 4, timeout=60000)
    dialog = window.export_dialog(open_folder=False)
    out = tmp_path / "export" / "animatic.mp4"
    out.parent.mkdir()
    dialog.output.setText(str(out))
    with qtbot.waitSignal(dialog.finished_export, timeout=120000) as blocker, GapProbe() as probe_:
        dialog.start()
    assert probe_.worst < 200, f"UI thread stalled {probe_.worst} ms during export"
    assert blocker.args == [str(out)]
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and (info.width, info.height) == (320, 180)
    # both the animatic's length (with its slate) and the export's time, each named
    assert re.search(r"Animatic length \d+s \d\df \(\d+ frames\) · exported in \d+\.\d s$", dialog.status.text()), dialog.status.text()
    dialog.close()


def test_cancelled_export_leaves_nothing(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path)))
    dialog = window.export_dialog(open_folder=False)
    out = tmp_path / "cancelled.mp4"
    dialog.output.setText(str(out))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() > 200, timeout=60000)
    with qtbot.waitSignal(dialog.finished_export, timeout=60000) as blocker:
        dialog._cancel_or_close()
    assert blocker.args == [""] and "cancel" in dialog.status.text().lower()
    assert not out.exists() and not list(tmp_path.glob(".cancelled*"))
    dialog.close()


def test_the_whole_story_in_the_app(make_window, qtbot, tmp_path):
    """From an empty project: write three shots, generate, play with voiceover, swap a take, export."""
    window = make_window()
    window.session.project.width, window.session.project.height = 320, 180
    window.save_as(tmp_path / "Story")
    window.characters.add_character()
    window.characters.name.textEdited.emit("Ada")
    ada = window.session.project.characters[0].id
    for prompt in ("night market in rain", "Ada at the counter, night", "a brass key on a table"):
        window.act_insert.trigger()
        window.inspector.prompt.setPlainText(prompt)
    shots = window.session.project.all_shots()
    assert [s.prompt for s in shots] == ["night market in rain", "Ada at the counter, night", "a brass key on a table"]
    window.session.select([shots[1].id])
    window.inspector.characters.item(0).setCheckState(window.inspector.characters.item(0).checkState().Checked)
    assert shots[1].characters == [ada]
    window.inspector.add_line()
    window.inspector.dialogue.rows[0].text.setPlainText("I know what it opens.")
    assert shots[1].dialogue[0].text == "I know what it opens."

    with GapProbe() as probe_:
        window.act_generate_all.trigger()
        qtbot.waitUntil(lambda: badges(window) == ["done"] * 3, timeout=90000)

        # play the animatic with voiceover (segments and soundtrack built in the background)
        window.session.set_playhead(0)
        window.player.play()
        qtbot.waitUntil(lambda: window.player.state == "playing", timeout=90000)
        qtbot.waitUntil(lambda: window.viewer.frame_image is not None and window.session.playhead > 5, timeout=30000)
        window.player.stop()
    assert probe_.worst < 200, f"UI thread stalled {probe_.worst} ms"
    # the soundtrack is mixed in the background while playback runs (issue 16.6)
    qtbot.waitUntil(lambda: window.player._preview is not None, timeout=60000)
    preview = window.player._preview
    audio = decode_audio(preview, 48000)
    start = int(shots[0].duration / window.session.project.fps * 48000)
    assert abs(audio[start : start + 48000]).max() > 0.05  # the line is heard in shot 2

    # swap a take: reroll shot 2, then pin the first take again
    window.session.select([shots[1].id])
    window.generation.generate([shots[1].id], reroll=True)
    qtbot.waitUntil(lambda: len(shots[1].takes) == 2 and not window.generation.running, timeout=60000)
    first = shots[1].takes[0].id
    from storyboard_app.model.commands import select_take

    window.session.apply(select_take(window.session.project, shots[1].id, first))
    assert shots[1].selected_take_id == first

    dialog = window.export_dialog(open_folder=False)
    out = tmp_path / "story.mp4"
    dialog.output.setText(str(out))
    with qtbot.waitSignal(dialog.finished_export, timeout=120000):
        dialog.start()
    assert probe(out).duration == pytest.approx((sum(s.duration for s in shots) + 48) / 24, abs=0.1)
    dialog.close()
    window.save()


def test_takes_record_their_prompt_play_and_the_toolbar_sets_the_style(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path, shots=1)))
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    window.generation.generate([shot.id])
    qtbot.waitUntil(lambda: not window.generation.running and bool(shot.takes), timeout=60000)
    assert shot.prompt in shot.takes[0].prompt  # composed: framing, cast, the shot's prompt, style
    item = window.takes.list.item(0)
    assert shot.prompt in item.toolTip()
    item.setSelected(True)
    window.takes.play_current()
    qtbot.waitUntil(lambda: window.viewer.frame_image is not None, timeout=30000)
    window.player.stop()

    combo = window.style_combo
    assert combo.currentData() == "st_graphite"
    combo.activated.emit(combo.findData(None))
    assert window.session.project.style_id is None
    window.act_undo.trigger()
    assert window.session.project.style_id == "st_graphite" and combo.currentData() == "st_graphite"
