"""Soak test: a long scripted editing session in the real main window (issue 12.1).

Short tests cannot see faults that need thousands of operations in one process: a Qt binding
that loses a reference per call (PySide6 6.12.0 aborted after a few thousand paints), or views
that build widgets on every refresh and never free them (the inspector grew from 517 to 8307
live widgets over 2000 edits). This test runs >= 20,000 seeded-random operations on a copy of
the example project (typing in the inspector, combo and cast edits, dialogue lines, timeline
clicks, drags and resizes with mouse events, paints and grabs, undo/redo, playhead moves,
thumbnails arriving) and then checks:

* no crash, and no operation raised;
* the model equals a replay of the recorded commands (with the same undo/redo and merge
  clock) on a fresh Document: every edit did exactly what its command says;
* the live widget count returns to where it was after the warm-up (+- a small constant);
* resident memory grew by less than 20% from the end of the warm-up.

``SOAK_OPS`` in the environment changes the length (e.g. 2000 for a quick local run).
"""

from __future__ import annotations

import copy
import os
import random
import resource
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from storyboard_app.model import Document, project_json
from storyboard_app.model.bundle import BundlePaths
from storyboard_app.ui.timeline import CARD_TOP, RULER_H

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"
OPS = int(os.environ.get("SOAK_OPS", "20000"))
WARMUP = min(2000, OPS // 5)
SEED = 20261125
WIDGET_SLACK = 12  # tooltips, a completer popup shown once, ...


def rss_bytes() -> int:
    """Resident set size now (Linux /proc; else the peak from getrusage)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def settle() -> None:
    """Run posted events, including deleteLater (which processEvents alone does not)."""
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()


class Recorder:
    """Records every command the document applies (deep-copied before it runs), every undo and
    redo, and the history clock at each, so the session can be replayed on a fresh Document."""

    def __init__(self, document: Document):
        self.document = document
        self.now = 0.0
        self.log: list[tuple] = []
        document.history.clock = lambda: self.now
        apply, undo, redo = document.apply, document.undo, document.redo

        def recorded_apply(command, merge_key=None, window=None):  # noqa: ANN001, ANN202
            snapshot = copy.deepcopy(command)
            apply(command, merge_key, window)  # raises (changing nothing) on a refused command
            self.log.append(("apply", snapshot, (merge_key, window), self.now))

        def recorded_undo():  # noqa: ANN202
            label = undo()
            self.log.append(("undo", None, None, self.now))
            return label

        def recorded_redo():  # noqa: ANN202
            label = redo()
            self.log.append(("redo", None, None, self.now))
            return label

        document.apply, document.undo, document.redo = recorded_apply, recorded_undo, recorded_redo

    def replay(self, bundle: Path) -> Document:
        fresh = Document.open(bundle)
        clock = [0.0]
        fresh.history.clock = lambda: clock[0]
        for kind, command, merge, now in self.log:
            clock[0] = now
            if kind == "apply":
                fresh.apply(copy.deepcopy(command), *merge)
            elif kind == "undo":
                fresh.undo()
            else:
                fresh.redo()
        return fresh


class Session:
    """The scripted user: each method is one operation driven through the real widgets."""

    def __init__(self, window, qtbot, rng: random.Random, images: list[Path]):  # noqa: ANN001
        self.window = window
        self.qtbot = qtbot
        self.rng = rng
        self.images = images
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # per operation kind, printed at the end (pytest -s)

    @property
    def inspector(self):  # noqa: ANN201
        return self.window.inspector

    @property
    def canvas(self):  # noqa: ANN201
        return self.window.timeline.canvas

    def shots(self) -> list:
        return self.window.session.project.all_shots()

    def ensure_selection(self) -> None:
        if not self.window.session.current_shot():
            self.click_card()

    def card_point(self, card, where: str = "middle") -> QPoint:  # noqa: ANN001
        x = card.x + card.w // 2 if where == "middle" else card.x + card.w - 2
        return QPoint(int(x), CARD_TOP + 60)

    # --- operations ---
    def click_card(self) -> None:
        card = self.rng.choice(self.canvas.cards)
        self.qtbot.mouseClick(self.canvas, Qt.LeftButton, pos=self.card_point(card))

    def type_title(self) -> None:
        self.ensure_selection()
        self.qtbot.keyClicks(self.inspector.title, self.rng.choice(["a", "b", "x ", "7"]))

    def type_prompt(self) -> None:
        self.ensure_selection()
        prompt = self.inspector.prompt
        if len(prompt.toPlainText()) > 300:
            prompt.setFocus()
            self.qtbot.keyClick(prompt, Qt.Key_A, Qt.ControlModifier)
            self.qtbot.keyClick(prompt, Qt.Key_Backspace)
        self.qtbot.keyClick(prompt, Qt.Key_End, Qt.ControlModifier)
        self.qtbot.keyClicks(prompt, self.rng.choice(["r", "n ", "st", "a,"]))

    def backspace_prompt(self) -> None:
        self.ensure_selection()
        self.qtbot.keyClick(self.inspector.prompt, Qt.Key_Backspace)

    def at_completion(self) -> None:
        self.ensure_selection()
        prompt = self.inspector.prompt
        prompt.setFocus()
        self.qtbot.keyClick(prompt, Qt.Key_End, Qt.ControlModifier)
        self.qtbot.keyClicks(prompt, " @" + self.rng.choice(["m", "t", "s"]))
        popup = prompt.completer.popup()
        if popup.isVisible():
            self.qtbot.keyClick(popup, Qt.Key_Return)

    def duration(self) -> None:
        self.ensure_selection()
        box = self.inspector.duration
        frames = self.rng.randint(12, 200)
        text = self.rng.choice([f"{frames}", f"{frames}f", f"{frames // 24}:{frames % 24}",
                                f"{frames // 24}s {frames % 24}f", "nonsense"])
        box.setFocus()
        self.qtbot.keyClick(box, Qt.Key_A, Qt.ControlModifier)
        self.qtbot.keyClicks(box, text)
        self.qtbot.keyClick(box, Qt.Key_Return)

    def combo(self) -> None:
        self.ensure_selection()
        combo = self.rng.choice([self.inspector.size_combo, self.inspector.move_combo, self.inspector.transition])
        combo.activated.emit(self.rng.randrange(combo.count()))

    def cast(self) -> None:
        self.ensure_selection()
        items = self.inspector.characters
        if items.count():
            item = items.item(self.rng.randrange(items.count()))
            item.setCheckState(Qt.Unchecked if item.checkState() == Qt.Checked else Qt.Checked)

    def add_line(self) -> None:
        self.ensure_selection()
        if len(self.inspector.dialogue.rows) < 4:
            self.qtbot.mouseClick(self.inspector.dialogue.add_button, Qt.LeftButton)

    def remove_line(self) -> None:
        rows = self.inspector.dialogue.rows
        if rows:
            self.qtbot.mouseClick(self.rng.choice(rows).remove, Qt.LeftButton)

    def type_line(self) -> None:
        rows = self.inspector.dialogue.rows
        if not rows:
            return self.add_line()
        text = self.rng.choice(rows).text
        if len(text.toPlainText()) > 200:
            text.setFocus()
            self.qtbot.keyClick(text, Qt.Key_A, Qt.ControlModifier)
        self.qtbot.keyClicks(text, self.rng.choice(["so", "w ", "g,", "."]))
        return None

    def speaker(self) -> None:
        rows = self.inspector.dialogue.rows
        if rows:
            combo = self.rng.choice(rows).speaker
            combo.activated.emit(self.rng.randrange(combo.count()))

    def fit(self) -> None:
        if self.inspector.fit_button.isVisibleTo(self.inspector):
            self.qtbot.mouseClick(self.inspector.fit_button, Qt.LeftButton)

    def drag_reorder(self) -> None:
        cards = self.canvas.cards
        source, target = self.rng.choice(cards), self.rng.choice(cards)
        start, end = self.card_point(source), self.card_point(target) + QPoint(self.rng.randint(-30, 30), 0)
        self.qtbot.mousePress(self.canvas, Qt.LeftButton, pos=start)
        for i in range(1, 4):
            self.qtbot.mouseMove(self.canvas, start + (end - start) * i / 3)
        self.qtbot.mouseRelease(self.canvas, Qt.LeftButton, pos=end)

    def drag_resize(self) -> None:
        card = self.rng.choice(self.canvas.cards)
        start = self.card_point(card, "edge")
        end = start + QPoint(self.rng.randint(-40, 40), 0)
        if card.frames + (end.x() - start.x()) / self.canvas.px_per_frame < 12:
            end = start + QPoint(20, 0)
        self.qtbot.mousePress(self.canvas, Qt.LeftButton, pos=start)
        self.qtbot.mouseMove(self.canvas, end)
        self.qtbot.mouseRelease(self.canvas, Qt.LeftButton, pos=end)

    def playhead(self) -> None:
        if self.rng.random() < 0.5:
            x = self.rng.randint(8, max(self.canvas.width() - 40, 9))
            self.qtbot.mouseClick(self.canvas, Qt.LeftButton, pos=QPoint(x, RULER_H // 2))
        else:
            self.window.session.set_playhead(self.rng.randrange(max(self.window.session.project.total_frames, 1)))

    def keys(self) -> None:
        self.canvas.setFocus()
        self.qtbot.keyClick(self.canvas, self.rng.choice([Qt.Key_Left, Qt.Key_Right, Qt.Key_Home, Qt.Key_End]))

    def paint(self) -> None:
        target = self.rng.choice([self.canvas, self.inspector.viewport(), self.window.viewer,
                                  self.window.history_view.viewport()])
        target.repaint()

    def undo(self) -> None:
        self.window.act_undo.trigger()

    def redo(self) -> None:
        self.window.act_redo.trigger()

    def delete_and_maybe_undo(self) -> None:
        if len(self.shots()) > 6 and self.window.session.selection:
            self.canvas.setFocus()
            self.qtbot.keyClick(self.canvas, Qt.Key_Delete)
            if self.rng.random() < 0.7:
                self.window.act_undo.trigger()

    def thumbnail(self) -> None:
        """A thumbnail arrives from the decoder (a new picture for a take's file)."""
        bundle = BundlePaths(self.window.session.document.bundle)
        takes = [t for s in self.shots() for t in s.takes if t.media_path]
        if not takes:
            return
        path = str(bundle.media_path(self.rng.choice(takes).media_path))
        image = QImage(160, 90, QImage.Format_RGB32)
        image.fill(QColor.fromHsv(self.rng.randrange(360), 160, 200))
        self.window.thumbnails._done((path, image))

    def time_format(self) -> None:
        self.window.act_time_frames.toggle()

    OPERATIONS = (
        ("type_title", 8), ("type_prompt", 10), ("backspace_prompt", 3), ("at_completion", 1),
        ("duration", 4), ("combo", 4), ("cast", 2), ("add_line", 2), ("remove_line", 1),
        ("type_line", 7), ("speaker", 2), ("fit", 1), ("click_card", 8), ("drag_reorder", 3),
        ("drag_resize", 2), ("playhead", 6), ("keys", 3), ("paint", 8), ("undo", 6), ("redo", 4),
        ("delete_and_maybe_undo", 1), ("thumbnail", 4), ("time_format", 0.2),
    )

    def run(self, count: int, recorder: Recorder) -> None:
        names = [name for name, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        for i in range(count):
            name = self.rng.choices(names, weights)[0]
            # typing within a field merges into one undo step; a pause now and then ends it
            recorder.now += 0.3 if self.rng.random() < 0.8 else 2.0
            started = time.perf_counter()
            getattr(self, name)()
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.counts[name] = self.counts.get(name, 0) + 1
            if i % 25 == 0:
                QApplication.processEvents()
            if i % 1000 == 999:
                self.window.grab()  # the whole window painted, docks and all
                settle()


def test_long_editing_session_is_stable_exact_and_bounded(make_window, qtbot, tmp_path):
    bundle = tmp_path / "work" / EXAMPLE.name
    pristine = tmp_path / "pristine" / EXAMPLE.name
    shutil.copytree(EXAMPLE, bundle)
    shutil.copytree(EXAMPLE, pristine)
    document = Document.open(bundle)
    recorder = Recorder(document)
    window = make_window(document)
    errors: list[str] = []
    window.session.message.connect(lambda text: errors.append(text) if "Traceback" in text else None)
    rng = random.Random(SEED)

    images = []
    for i, colour in enumerate([(200, 40, 40), (40, 160, 60), (40, 80, 200), (220, 180, 40)]):
        path = tmp_path / f"panel{i}.png"
        Image.new("RGB", (160, 90), colour).save(path)
        images.append(path)
    for shot, image in zip(window.session.project.all_shots()[:4], images, strict=False):
        assert window.import_image_take(image, shot.id)
    assert window.thumbnails.wait(10000)
    session = Session(window, qtbot, rng, images)

    session.run(WARMUP, recorder)
    window.session.select([])
    assert window.thumbnails.wait(10000)
    settle()
    widgets_start = len(QApplication.allWidgets())
    rss_start = rss_bytes()

    session.run(OPS - WARMUP, recorder)
    window.session.select([])
    assert window.thumbnails.wait(10000)
    settle()
    widgets_end = len(QApplication.allWidgets())
    rss_end = rss_bytes()

    for name, seconds in sorted(session.seconds.items(), key=lambda kv: -kv[1]):
        print(f"{name:24s} {session.counts[name]:6d} ops {seconds:7.2f} s")
    edits = sum(1 for kind, *_ in recorder.log if kind == "apply")
    print(f"{OPS} operations, {edits} commands applied; widgets {widgets_start} -> {widgets_end}; "
          f"RSS {rss_start / 2**20:.0f} -> {rss_end / 2**20:.0f} MiB")
    assert edits > OPS // 10, session.counts  # the session really edited
    assert sum(session.counts.values()) == OPS
    assert not errors
    # every edit did exactly what its command says: replaying them gives the same project
    replayed = recorder.replay(pristine)
    assert project_json(replayed.project) == project_json(window.session.project)
    assert abs(widgets_end - widgets_start) <= WIDGET_SLACK, (widgets_start, widgets_end)
    assert rss_end < rss_start * 1.2, f"RSS grew from {rss_start >> 20} to {rss_end >> 20} MiB"
