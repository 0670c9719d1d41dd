"""Take thumbnails, decoded off the UI thread and cached by file.

The first frame of a take is decoded by the bundled ffmpeg in a worker thread; the image is
handed to the UI thread as a QImage (QPixmap is only made on the UI thread).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage

from ..media.ffmpeg import FFmpegError, run_ffmpeg
from .workers import Worker

STILLS = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def decode_thumbnail(path: str, width: int = 320) -> tuple[str, QImage | None]:
    """Runs in a worker thread; returns (path, image or None)."""
    file = Path(path)
    if file.suffix.lower() in STILLS:
        image = QImage(str(file))
        return path, (None if image.isNull() else image.scaledToWidth(width))
    try:
        data = run_ffmpeg(["-i", str(file), "-frames:v", "1", "-vf", f"scale={width}:-2",
                           "-f", "image2pipe", "-vcodec", "png", "-"], timeout=20, what="thumbnail")
    except FFmpegError:
        return path, None
    image = QImage()
    image.loadFromData(data, "PNG")
    return path, (None if image.isNull() else image)


class ThumbnailCache(QObject):
    ready = Signal(str)  # media path

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._images: dict[str, QImage] = {}
        self._pending: set[str] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)

    def get(self, path: str) -> QImage | None:
        image = self._images.get(path)
        if image is None and path not in self._pending and Path(path).is_file():
            self._pending.add(path)
            worker = Worker(decode_thumbnail, path)
            # bound methods of this QObject: delivered queued, on the UI thread
            worker.signals.finished.connect(self._done)
            self.pool.start(worker)
        return image

    @Slot(object)
    def _done(self, result: tuple[str, QImage | None]) -> None:
        path, image = result
        self._pending.discard(path)
        if image is not None:
            self._images[path] = image
            self.ready.emit(path)

    def wait(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
