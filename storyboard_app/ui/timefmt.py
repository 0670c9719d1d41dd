"""The app-wide choice of how times are shown (readable timecode or frames), with a signal.

One small QObject instead of a setting per view, so the inspector, the timeline ruler and cards,
and the status bar switch together when the View menu toggles it. The formatting itself is the
pure ``model.timecode``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..model.timecode import TimeFormat, format_duration, format_position


class TimeDisplay(QObject):
    changed = Signal(str)  # the new mode's value

    def __init__(self) -> None:
        super().__init__()
        self.mode = TimeFormat.TIMECODE

    def set_mode(self, mode: TimeFormat | str) -> None:
        mode = TimeFormat(mode)
        if mode is not self.mode:
            self.mode = mode
            self.changed.emit(mode.value)

    def duration(self, frames: int, fps: int) -> str:
        return format_duration(frames, fps, self.mode)

    def position(self, frame: int, fps: int) -> str:
        return format_position(frame, fps, self.mode)


_display: TimeDisplay | None = None


def time_display() -> TimeDisplay:
    """The process-wide instance (created on first use, on the UI thread)."""
    global _display
    if _display is None:
        _display = TimeDisplay()
    return _display
