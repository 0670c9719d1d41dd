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

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"
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


def prepare_example(directory: Path) -> Path:
    """A copy of the example with every shot generated (so the timeline shows thumbnails)."""
    from ..generation.service import generate_shots
    from ..model import Document

    bundle = directory / EXAMPLE.name
    shutil.copytree(EXAMPLE, bundle)
    document = Document.open(bundle)
    generate_shots(document)
    document.save()
    return bundle


def capture(out_dir: Path) -> list[Path]:
    """Write main-window.png into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="storyboard-shots-") as tmp, x_display() as display:
        bundle = prepare_example(Path(tmp))
        env_backup = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
        os.environ["DISPLAY"], os.environ["QT_QPA_PLATFORM"] = display, "xcb"
        try:
            return _grab(bundle, out_dir, Path(tmp))
        finally:
            for key, value in env_backup.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _grab(bundle: Path, out_dir: Path, tmp: Path) -> list[Path]:
    from PySide6.QtCore import QSettings

    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.IniFormat)
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
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    screen = app.primaryScreen()
    geometry = window.frameGeometry()
    image = screen.grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    path = out_dir / "main-window.png"
    image.save(str(path))
    window.session.document.history.mark_saved()  # nothing to ask on close
    window.close()
    window.deleteLater()
    app.processEvents()
    return [path]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/screenshots")
    for path in capture(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
