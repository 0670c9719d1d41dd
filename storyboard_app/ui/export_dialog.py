"""Export dialog: the MP4 animatic (preset, size, burn-ins, music), exported in the background
with progress and cancel; opens the containing folder when done.

The export runs on a snapshot of the project (a deep copy taken when Export is pressed), so the
director can keep editing while it encodes; shots without a take export as placeholder cards
(generate them first from the queue for real pictures).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..model import Document
from ..model.timecode import plural
from ..voice.estimate import estimate_shot_timing
from .session import ProjectSession
from .timefmt import time_display
from .workers import Worker, run_in_background

SIZES = ["project", "1920x1080", "1280x720", "960x540", "640x360"]
#: the export's dialogue overflow policies (render.service.DIALOGUE_OVERFLOW), default first
OVERFLOW_CHOICES = [
    ("fit", "Fit: lengthen the shot in the export"),
    ("trim", "Trim: cut the line at the cut"),
    ("run-over", "Run over: let it play over the next shot"),
]


def result_text(report, project_fps: int) -> str:  # noqa: ANN001 - render.service.ExportReport
    """"Wrote x.mp4 — animatic 1m 02s 05f (… frames), exported in 12.3 s": the animatic's length
    and how long the export took are different numbers, and both are wanted (issue 13.15)."""
    fps = report.frames / report.seconds if report.seconds else project_fps
    length = time_display().duration(report.frames, int(round(fps)))
    text = (f"Wrote {report.output}\nAnimatic length {length} ({report.frames} frames) · "
            f"exported in {report.elapsed:.1f} s")
    if report.overflowing:
        text += f"\n{report.overflow_note()}"
    for missing in report.missing_voices:  # issue 15: spoken with the bundled voice instead
        text += f"\n⚠ {missing.message()}"
    return text


class ExportDialog(QDialog):
    finished_export = Signal(str)  # output path ("" when cancelled or failed)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None, open_folder: bool = True):
        super().__init__(parent)
        self.session = session
        self.open_folder = open_folder
        self.worker: Worker | None = None
        self.setWindowTitle("Export animatic")
        bundle = session.document.bundle
        from ..render.export import default_export_name

        default = (Path(bundle).parent if bundle else Path.home()) / default_export_name(session.project.title)
        self.output = QLineEdit(str(default))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.preset = QComboBox()
        self.preset.addItems(["preview", "delivery"])
        self.size = QComboBox()
        self.size.addItems(SIZES)
        self.burnins = {name: QCheckBox(label) for name, label in (
            ("shot_label", "shot number and scene"), ("timecode", "timecode"), ("subtitles", "dialogue subtitles"),
            ("previz_label", "PREVIZ / TEMP VO label"), ("slate", "title slate"))}
        for box in self.burnins.values():
            box.setChecked(True)
        self.overflow = QComboBox()
        for policy, label in OVERFLOW_CHOICES:
            self.overflow.addItem(label, policy)
        self.overflow.setToolTip("What the export does with dialogue that runs past the end of its shot")
        self.music = QLineEdit()
        self.music.setPlaceholderText("optional music bed (looped, ducked under dialogue)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        notes = []
        missing = sum(1 for s in session.project.all_shots() if s.selected_take is None)
        if missing:
            notes.append(f"{plural(missing, 'shot')} {'has' if missing == 1 else 'have'} no take yet "
                         "and will export as placeholder cards")
        long_shots = [s.number for s in session.project.all_shots()
                      if estimate_shot_timing(session.project, s).overlong]
        if long_shots:
            notes.append(f"dialogue runs past the end of shot{'s' if len(long_shots) > 1 else ''} "
                         f"{', '.join(long_shots)} (see \"Dialogue too long\")")
        self.status.setText("\n".join(notes))
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.cancel_button = QPushButton("Close")
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)

        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", out_row)
        form.addRow("Preset", self.preset)
        form.addRow("Size", self.size)
        for box in self.burnins.values():
            form.addRow("" if box is not self.burnins["shot_label"] else "Burn-ins", box)
        form.addRow("Dialogue too long", self.overflow)
        form.addRow("Music", self.music)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export animatic", self.output.text(), "MP4 video (*.mp4)")
        if path:
            self.output.setText(path if path.endswith(".mp4") else path + ".mp4")

    def options(self):  # noqa: ANN201
        from ..render.burnins import BurnIns
        from ..render.export import ExportOptions

        width = height = None
        if self.size.currentText() != "project":
            width, height = (int(v) for v in self.size.currentText().split("x"))
        music = Path(self.music.text()) if self.music.text().strip() else None
        burnins = BurnIns(**{name: box.isChecked() for name, box in self.burnins.items()})
        return ExportOptions(preset=self.preset.currentText(), width=width, height=height, burnins=burnins, music=music)

    def start(self) -> Worker | None:
        from ..render.service import render_animatic

        document = self.session.document
        if document.bundle is None:
            self.status.setText("Save the project first")
            return None
        output = Path(self.output.text())
        options = self.options()
        if options.music is not None and not options.music.is_file():
            self.status.setText(f"{options.music}: music file not found")
            return None
        snapshot = Document(copy.deepcopy(document.project), document.bundle)
        overflow = self.overflow.currentData()

        def job(progress, cancelled):  # noqa: ANN001, ANN202 - runs on a worker thread
            stage_weight = {"generate": (0.0, 0.0), "voice": (0.0, 0.15), "export": (0.15, 0.85)}

            def on_progress(stage: str, fraction: float, message: str) -> None:
                start, span = stage_weight.get(stage, (0.0, 1.0))
                progress(start + span * fraction, f"{stage}: {message}")

            return render_animatic(snapshot, output, options=options, progress=on_progress,
                                   cancelled=cancelled, generate=False, dialogue_overflow=overflow)

        self.worker = Worker(job, with_progress=True)
        self.worker.signals.progress.connect(self._progress)
        self.worker.signals.finished.connect(self._done)
        self.worker.signals.failed.connect(self._failed)
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.status.setText("Exporting…")
        self._started = time.monotonic()
        run_in_background(self.worker)
        return self.worker

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(message)

    def _done(self, report) -> None:  # noqa: ANN001
        self.worker = None
        self.progress.setValue(1000)
        self.status.setText(result_text(report, self.session.project.fps))
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.session.message.emit(f"Exported {report.output}")
        if self.open_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(report.output).parent)))
        self.finished_export.emit(str(report.output))

    def _failed(self, message: str) -> None:
        self.worker = None
        self.status.setText("Export cancelled" if "cancel" in message.lower() else f"Export failed: {message}")
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.finished_export.emit("")

    def _cancel_or_close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")
        else:
            self.close()
