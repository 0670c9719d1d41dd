"""Screenshots of the real main window, for the README and for people reviewing the UI.

    python -m storyboard_app.ui.screenshots docs/screenshots

Opens a temporary copy of the example project (its takes generated with the sketch generator),
shows the real window on an X display — starting its own Xvfb when there is none — and saves
what the X server shows, so the PNG is the window a person would see.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..assets import resource_path

EXAMPLE = resource_path("examples", "night_market.sbproj")  # importlib.resources: also found in a wheel
SIZE = (1600, 960)


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    """Use $DISPLAY when set, else run a private Xvfb for the duration."""
    if os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb":
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb); it is needed for real-window screenshots")
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    proc = subprocess.Popen([xvfb, display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.1)
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepare_example(directory: Path, generate: bool = True) -> Path:
    """A copy of the example, with every shot generated (so the timeline shows thumbnails)."""
    from ..generation.service import generate_shots
    from ..model import Document

    bundle = directory / EXAMPLE.name
    shutil.copytree(EXAMPLE, bundle)
    if generate:
        document = Document.open(bundle)
        generate_shots(document)
        document.save()
    return bundle


def capture(out_dir: Path) -> list[Path]:
    """Write main-window.png and generating.png into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="storyboard-shots-") as tmp, x_display() as display:
        bundle = prepare_example(Path(tmp))
        fresh = prepare_example(Path(tmp) / "fresh", generate=False)
        env_backup = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
        os.environ["DISPLAY"], os.environ["QT_QPA_PLATFORM"] = display, "xcb"
        try:
            return _grab(bundle, fresh, out_dir, Path(tmp))
        finally:
            for key, value in env_backup.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _settle(app, seconds: float) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _grab(bundle: Path, fresh: Path, out_dir: Path, tmp: Path) -> list[Path]:
    from PySide6.QtCore import QSettings

    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.IniFormat)
    written = []

    def snap(window, name: str) -> Path:  # noqa: ANN001
        geometry = window.frameGeometry()
        image = app.primaryScreen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
        path = out_dir / name
        image.save(str(path))
        written.append(path)
        return path

    # 1. the example, generated, shot 4 selected
    window = MainWindow(settings=settings)
    window.open_project(bundle)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    shots = window.session.project.all_shots()
    window.session.select([shots[3].id])
    window.session.set_playhead(sum(s.duration for s in shots[:3]) + 30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        app.processEvents()
        window.thumbnails.wait(100)
        if all(window.thumbnails.get(str(window.session.document.paths.media_path(s.selected_take.media_path)))
               for s in shots[:6] if s.selected_take):
            break
    _settle(app, 0.4)
    snap(window, "main-window.png")
    window.session.document.history.mark_saved()  # nothing to ask on close
    window.close()
    window.deleteLater()

    # 2. a fresh copy generating: the queue dock and the viewer mid-batch
    window = MainWindow(settings=settings)
    window.open_project(fresh)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    window.docks["queue"].raise_()
    window.generation.jobs = 1
    window.generate("all")
    shots = window.session.project.all_shots()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(1 for s in shots if s.selected_take) < 5:
        app.processEvents()
        time.sleep(0.02)
    window.session.select([next(s.id for s in reversed(shots) if s.selected_take)])
    _settle(app, 0.6)
    snap(window, "generating.png")
    window.generation.shutdown()
    window.session.document.history.mark_saved()
    window.close()
    window.deleteLater()
    app.processEvents()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/screenshots")
    for path in capture(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
