"""How responsive the window stays while work runs (issue 8): a 10 ms QTimer probe measures the
gaps between its ticks while the app generates the example project (13 sketch shots, 1280x720)
and then exports it. Target: p99 gap < 50 ms. Reference: the same probe with the app idle.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_latency.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "night_market.sbproj"


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)] if ordered else 0.0


def main() -> None:
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from storyboard_app.model import Document
    from storyboard_app.ui.app import make_app
    from storyboard_app.ui.main_window import MainWindow

    app = make_app()
    gaps: list[int] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: gaps.append(clock.restart()))

    def measure(until, limit: float) -> list[int]:  # noqa: ANN001
        gaps.clear()
        clock.start()
        timer.start()
        deadline = time.monotonic() + limit
        while not until() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        return gaps[1:]

    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / EXAMPLE.name
        shutil.copytree(EXAMPLE, bundle)
        window = MainWindow(Document.open(bundle), settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat))
        window.resize(1600, 960)
        window.show()
        idle_end = time.monotonic() + 2
        idle = measure(lambda: time.monotonic() > idle_end, 5)
        window.generate("all")
        generating = measure(lambda: not window.generation.running, 300)
        dialog = window.export_dialog(open_folder=False)
        dialog.output.setText(str(Path(tmp) / "out.mp4"))
        done = []
        dialog.finished_export.connect(done.append)
        dialog.start()
        exporting = measure(lambda: bool(done), 300)
        for label, values in (("idle (reference)", idle), ("generating 13 shots", generating),
                              ("exporting the animatic", exporting)):
            print(f"{label:24s}: {len(values)} ticks, p50 {percentile(values, 0.5):.0f} ms, "
                  f"p99 {percentile(values, 0.99):.0f} ms, max {max(values, default=0)} ms")
        busy = generating + exporting
        print(f"p99 gap while working: {percentile(busy, 0.99):.0f} ms (target < 50 ms); "
              f"ratio to idle p99: {percentile(busy, 0.99) / max(percentile(idle, 0.99), 1):.1f}")
        window.session.document.history.mark_saved()
        window.close()
        QApplication.processEvents()
    # see bench/ui_open.py: avoid PySide6's shutdown-time GC abort in a harness
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
