"""Projects for the issue-13 window tests: shots whose takes are solid-colour stills or clips,
so what the viewer shows can be checked by its colour."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, qInstallMessageHandler
from PySide6.QtGui import QColor, QImage

from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import Document, Project, Sequence, Shot, Take, TakeStatus, new_id
from storyboard_app.ui.timeline import CARD_TOP


def still(path: Path, colour: str, size: tuple[int, int] = (160, 90)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = QImage(size[0], size[1], QImage.Format_RGB32)
    image.fill(QColor(colour))
    assert image.save(str(path))
    return path


def clip(path: Path, colour: str, frames: int, fps: int = 24) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r={fps}", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])
    return path


def take_for(bundle: Path, shot: Shot, colour: str, kind: str = "still", frames: int = 24) -> Take:
    take = Take(id=new_id("take"), generator_id="import", status=TakeStatus.DONE,
                media_path=f"media/takes/{shot.id}/{colour}.{'png' if kind == 'still' else 'mp4'}")
    if kind == "still":
        still(bundle / take.media_path, colour)
    else:
        clip(bundle / take.media_path, colour, frames)
    return take


def coloured_project(root: Path, colours: list[str], kind: str = "still", title: str = "Colours") -> Path:
    """A saved bundle: one shot per colour (1 s each at 24 fps), each with that colour's take."""
    bundle = root / f"{title}.sbproj"
    project = Project(title=title, width=320, height=180)
    seq = Sequence(new_id("seq"), "Scene 1")
    project.sequences.append(seq)
    for i, colour in enumerate(colours, start=1):
        shot = Shot(id=new_id("shot"), number=str(i), duration=24)
        take = take_for(bundle, shot, colour, kind)
        shot.takes.append(take)
        shot.selected_take_id = take.id
        seq.shots.append(shot)
    Document(project).save(bundle)
    return bundle


def card_point(canvas, shot_id: str) -> QPoint:  # noqa: ANN001
    card = canvas.card(shot_id)
    return QPoint(int(card.x + card.w // 2), CARD_TOP + 60)


def centre_colour(image: QImage | None) -> str | None:
    """The centre pixel as "#rrggbb", each channel rounded to 0 or 255 (video is never exact)."""
    if image is None:
        return None
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return "#" + "".join("ff" if v > 127 else "00" for v in (c.red(), c.green(), c.blue()))


def flush_deletes() -> None:
    """Run deleteLater now (a test's event loop otherwise postpones it past the assertion)."""
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()


IGNORED_QT_MESSAGES = ("pipewire", "va library", "va symbols", "va-x11", "va-drm", "va(in plugin)",
                       "Qt multimedia with FFmpeg", "PulseAudio", "propagateSizeHints", "QSocketNotifier",
                       "This plugin does not support")


@contextmanager
def strict_qt():
    """Collect every Qt warning and every exception raised in a slot (sys.excepthook) while the
    block runs; the caller asserts both lists are empty. Messages about the machine's missing
    audio/video acceleration libraries are not the app's and are ignored."""
    messages: list[str] = []
    errors: list[BaseException] = []

    def handler(_mode, _context, message: str) -> None:  # noqa: ANN001
        if not any(part in message for part in IGNORED_QT_MESSAGES):
            messages.append(message)

    previous_hook = sys.excepthook
    sys.excepthook = lambda _t, value, _tb: errors.append(value)
    previous = qInstallMessageHandler(handler)
    try:
        yield messages, errors
    finally:
        qInstallMessageHandler(previous)
        sys.excepthook = previous_hook


def activate(qtbot, window) -> None:  # noqa: ANN001
    """Make the window active: QAction shortcuts only fire in the active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
