"""Void Qt calls must not drop references to None (issue 12.1).

PySide6 6.12.0 on CPython 3.11 decrements ``None``'s refcount once per call of a Qt method that
returns nothing; after some thousands of paints the count reaches zero and the interpreter aborts
with "Fatal Python error: none_dealloc". pyproject.toml keeps that build out on Python < 3.12;
this test catches any build that leaks again. On an immortal-None Python (3.12+) the count is
constant anyway, so the test passes there by construction and guards 3.11 where it matters.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel, QWidget

BATCHES = 30
PER_BATCH = 100  # iterations of 4 void calls: 12000 calls in all
NOISE = 50  # None's count moves a little with unrelated allocations; a leak moves it by the call count


def _void_calls(painter: QPainter, widget: QWidget, label: QLabel, iterations: int) -> None:
    colour = QColor("#336699")
    rect = QRect(0, 0, 8, 8)
    for i in range(iterations):
        painter.fillRect(rect, colour)  # void
        painter.setPen(colour)  # void
        widget.update()  # void
        label.setText("x" if i % 2 else "y")  # void


def test_void_qt_calls_keep_none_alive(qtbot) -> None:
    widget = QWidget()
    label = QLabel()
    qtbot.addWidget(widget)
    qtbot.addWidget(label)
    image = QImage(16, 16, QImage.Format_RGB32)
    painter = QPainter(image)
    try:
        _void_calls(painter, widget, label, 10)  # warm up caches and interned objects
        before = sys.getrefcount(None)
        for batch in range(BATCHES):
            _void_calls(painter, widget, label, PER_BATCH)
            # checked per batch, so a leaking build fails here before None's count reaches zero
            # and the interpreter aborts (none_dealloc)
            lost = before - sys.getrefcount(None)
            assert lost <= NOISE, (
                f"None lost {lost} references after {(batch + 1) * PER_BATCH * 4} void Qt calls "
                "(a PySide6 build that leaks None, e.g. 6.12.0 on CPython 3.11)")
    finally:
        painter.end()
