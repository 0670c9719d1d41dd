"""Deliverables other than the MP4: the PDF deck (with a live preview of its first pages), the
edit for an editor's tool (OTIO/EDL/FCP 7 XML/FCPX XML), subtitles, stills and a contact sheet;
and File > Import edited cut, which brings an editor's cut back as one undo step.

The same services as ``storyboard-app export`` / ``import-cut`` run here, on a worker thread,
on a snapshot of the project, so the boards stay editable while a deck renders. The preview is
a real deck of the first pages (title page + first page of panels) rasterised by pypdfium2 on
the worker; only the finished image crosses to the UI thread.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..model import Project
from .session import ProjectSession
from .workers import Worker, run_in_background

#: (key, label, suffix or "" for a folder)
KINDS = [
    ("pdf", "Storyboard PDF (pitch deck)", ".pdf"),
    ("otio", "OpenTimelineIO (.otio)", ".otio"),
    ("edl", "CMX 3600 EDL (.edl)", ".edl"),
    ("fcp7xml", "Final Cut Pro 7 XML — Premiere, Resolve (.xml)", ".xml"),
    ("fcpxml", "Final Cut Pro X XML (.fcpxml)", ".fcpxml"),
    ("srt", "Subtitles SRT (.srt)", ".srt"),
    ("vtt", "Subtitles WebVTT (.vtt)", ".vtt"),
    ("stills", "Stills: a PNG per shot (folder)", ""),
    ("contact-sheet", "Contact sheet (.png)", ".png"),
]
SUFFIX = {key: suffix for key, _, suffix in KINDS}
RATES = ["project", "23.976", "24", "25", "29.97", "30"]


def deliver(kind: str, project: Project, bundle: Path, output: Path, settings: dict, progress=None,  # noqa: ANN001
            cancelled=None) -> str:  # noqa: ANN001
    """Run one export (on a worker thread); returns a one-line summary. Cancel is checked at
    each progress step (per shot), and an export that stops leaves no partial PDF or edit."""
    progress = _fraction(progress, cancelled)
    if kind == "pdf":
        from ..render.deck import DeckOptions, build_deck

        report = build_deck(project, bundle, output, DeckOptions(**settings["pdf"]),
                            progress=progress)
        return f"Wrote {output} ({report.pages} pages)"
    if kind in {"otio", "edl", "fcp7xml", "fcpxml"}:
        from ..render.interchange import InterchangeOptions, export_interchange

        report = export_interchange(project, bundle, output, kind, InterchangeOptions(**settings["edit"]),
                                    progress=progress)
        notes = f" — {'; '.join(report.notes)}" if report.notes else ""
        return f"Wrote {output} ({report.clips} clips){notes}"
    if kind in {"srt", "vtt"}:
        from ..render.subtitles import export_subtitles

        _, count = export_subtitles(project, bundle, output, kind, slate_frames=settings["slate_frames"])
        return f"Wrote {output} ({count} subtitles)"
    if kind == "stills":
        from ..render.stills import export_stills

        report = export_stills(project, bundle, output, progress=progress)
        return f"Wrote {len(report.files)} PNGs to {output}"
    from ..render.stills import contact_sheet

    contact_sheet(project, bundle, output, progress=progress)
    return f"Wrote {output}"


def _fraction(progress, cancelled=None):  # noqa: ANN001, ANN202 - (done, total, what) → (fraction, what)
    from ..media.ffmpeg import Cancelled

    def report(done: int, total: int, what: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("export cancelled")
        if progress is not None:
            progress(done / max(total, 1), what)

    return report


def render_preview(project: Project, bundle: Path, pdf_settings: dict, width: int = 360) -> list[QImage]:
    """The deck's title page and first page of panels as images (runs on a worker thread).

    Only the shots of that first page are given frames, so the preview costs one page of
    frame grabs whatever the length of the sequence.
    """
    import pypdfium2 as pdfium

    from ..render.deck import DeckOptions, build_deck

    options = DeckOptions(**pdf_settings)
    cols, rows = options.grid()
    sample = copy.deepcopy(project)
    keep = {s.id for s in sample.all_shots()[: cols * rows]}
    for seq in sample.sequences:
        seq.shots = [s for s in seq.shots if s.id in keep]
    options.character_pages = False
    images: list[QImage] = []
    with tempfile.TemporaryDirectory(prefix="storyboard-preview-") as tmp:
        pdf_path = Path(tmp) / "preview.pdf"
        build_deck(sample, bundle, pdf_path, options)
        document = pdfium.PdfDocument(str(pdf_path))
        try:
            for index in range(min(2, len(document))):
                page = document[index]
                pil = page.render(scale=width / page.get_width()).to_pil().convert("RGB")
                data = pil.tobytes()
                image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888)
                images.append(image.copy())  # own the pixels: ``data`` dies with this frame
        finally:
            document.close()
    return images


class DeliverablesDialog(QDialog):
    finished_export = Signal(str)  # summary ("" when failed or cancelled)
    preview_ready = Signal()

    def __init__(self, session: ProjectSession, parent: QWidget | None = None, kind: str = "pdf"):
        super().__init__(parent)
        self.session = session
        self.worker: Worker | None = None
        self.preview_worker: Worker | None = None
        self._preview_serial = 0
        self.setWindowTitle("Export deliverables")
        self.kind = QComboBox()
        for key, label, _ in KINDS:
            self.kind.addItem(label, key)
        self.output = QLineEdit()
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        # PDF
        self.layout_box = QComboBox()
        self.layout_box.addItems(["1", "2", "2x2", "3x2", "4x3"])
        self.layout_box.setCurrentText("3x2")
        self.paper = QComboBox()
        self.paper.addItems(["a4", "letter"])
        self.orientation = QComboBox()
        self.orientation.addItems(["landscape", "portrait"])
        self.logline = QLineEdit(session.project.notes.split("\n")[0])
        self.logline.setPlaceholderText("one sentence under the title (Project settings > Notes)")
        self.version = QLineEdit()
        self.characters = QCheckBox("character sheet pages")
        self.quality = QSpinBox()
        self.quality.setRange(30, 100)
        self.quality.setValue(85)
        # edit
        self.rate = QComboBox()
        self.rate.addItems(RATES)
        self.media = QCheckBox("write the conformed media beside the edit")
        self.media.setChecked(True)
        self.voice = QCheckBox("voiceover audio track")
        self.voice.setChecked(True)
        # subtitles
        self.slate = QCheckBox("times for an MP4 with the 2 s title slate")
        self.slate.setChecked(True)
        self.preview = QLabel("preview…")
        self.preview.setFixedSize(380, 520)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.close_button = QPushButton("Close")
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._cancel_or_close)

        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.kind)
        form.addRow("Output", out_row)
        self.pdf_rows = [("Layout", self.layout_box), ("Paper", self.paper), ("Orientation", self.orientation),
                         ("Logline", self.logline), ("Version", self.version), ("", self.characters),
                         ("JPEG quality", self.quality)]
        self.edit_rows = [("Rate", self.rate), ("", self.media), ("", self.voice)]
        self.sub_rows = [("", self.slate)]
        for label, widget in self.pdf_rows + self.edit_rows + self.sub_rows:
            form.addRow(label, widget)
        self.form = form
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addLayout(buttons)
        main = QHBoxLayout(self)
        main.addLayout(left, 1)
        main.addWidget(self.preview)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(300)
        self._preview_timer.timeout.connect(self.refresh_preview)
        for combo in (self.layout_box, self.paper, self.orientation):
            combo.currentTextChanged.connect(self._preview_timer.start)
        self.logline.textChanged.connect(self._preview_timer.start)
        self.version.textChanged.connect(self._preview_timer.start)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.kind.setCurrentIndex(max(0, [k for k, _, _ in KINDS].index(kind) if kind in SUFFIX else 0))
        self._kind_changed()

    # ------------------------------------------------------------------ options
    @property
    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def _default_output(self) -> Path:
        bundle = self.session.document.bundle
        folder = Path(bundle).parent if bundle else Path.home()
        stem = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in self.session.project.title) or "boards"
        if self.current_kind == "stills":
            return folder / f"{stem}_stills"
        if self.current_kind == "contact-sheet":
            return folder / f"{stem}_contact_sheet.png"
        return folder / f"{stem}{SUFFIX[self.current_kind]}"

    def _kind_changed(self) -> None:
        kind = self.current_kind
        self.output.setText(str(self._default_output()))
        for rows, visible in ((self.pdf_rows, kind == "pdf"),
                              (self.edit_rows, kind in {"otio", "edl", "fcp7xml", "fcpxml"}),
                              (self.sub_rows, kind in {"srt", "vtt"})):
            for _, widget in rows:
                self.form.setRowVisible(widget, visible)
        self.preview.setVisible(kind == "pdf")
        if kind == "pdf":
            self._preview_timer.start()

    def settings(self) -> dict:
        project = self.session.project
        rate = None if self.rate.currentText() == "project" else self.rate.currentText()
        from ..render.interchange import parse_rate

        return {
            "pdf": {"layout": self.layout_box.currentText(), "paper": self.paper.currentText(),
                    "orientation": self.orientation.currentText(), "logline": self.logline.text().strip(),
                    "version": self.version.text().strip(), "character_pages": self.characters.isChecked(),
                    "jpeg_quality": self.quality.value()},
            "edit": {"rate": parse_rate(rate, project.frame_rate) if rate else project.frame_rate,
                     "media": self.media.isChecked(), "voice": self.voice.isChecked()},
            "slate_frames": int(round(2.0 * project.frame_rate)) if self.slate.isChecked() else 0,
        }

    def _browse(self) -> None:
        kind = self.current_kind
        if kind == "stills":
            path = QFileDialog.getExistingDirectory(self, "Stills folder", self.output.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export", self.output.text(), f"*{SUFFIX[kind]}")
            if path and not path.endswith(SUFFIX[kind]):
                path += SUFFIX[kind]
        if path:
            self.output.setText(path)

    # ------------------------------------------------------------------ preview
    def refresh_preview(self) -> Worker | None:
        """Render the first pages on a worker; a newer request makes older results stale."""
        bundle = self.session.document.bundle
        if self.current_kind != "pdf" or bundle is None:
            return None
        self._preview_serial += 1
        serial = self._preview_serial
        snapshot = copy.deepcopy(self.session.project)
        worker = Worker(render_preview, snapshot, Path(bundle), self.settings()["pdf"])
        worker.signals.finished.connect(lambda images: self._show_preview(serial, images))
        worker.signals.failed.connect(lambda message: self._preview_failed(serial, message))
        self.preview_worker = worker
        run_in_background(worker)
        return worker

    def _show_preview(self, serial: int, images: list[QImage]) -> None:
        if serial != self._preview_serial or not images:
            return
        gap = 8
        height = sum(image.height() for image in images) + gap * (len(images) - 1)
        canvas = QPixmap(max(image.width() for image in images), height)
        canvas.fill(Qt.GlobalColor.darkGray)
        from PySide6.QtGui import QPainter

        painter = QPainter(canvas)
        y = 0
        for image in images:
            painter.drawImage(0, y, image)
            y += image.height() + gap
        painter.end()
        self.preview.setPixmap(canvas.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))
        self.preview_worker = None
        self.preview_ready.emit()

    def _preview_failed(self, serial: int, message: str) -> None:
        if serial == self._preview_serial:
            self.preview.setText(f"no preview: {message}")
            self.preview_worker = None

    # ------------------------------------------------------------------ export
    def start(self) -> Worker | None:
        document = self.session.document
        if document.bundle is None:
            self.status.setText("Save the project first")
            return None
        kind = self.current_kind
        output = Path(self.output.text().strip())
        if SUFFIX[kind] and output.suffix.lower() != SUFFIX[kind]:
            self.status.setText(f"{output}: a {kind} export must end in {SUFFIX[kind]}")
            return None
        try:
            settings = self.settings()
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        snapshot = copy.deepcopy(document.project)
        self.worker = Worker(deliver, kind, snapshot, Path(document.bundle), output, settings, with_progress=True)
        self.worker.signals.progress.connect(lambda f, m: (self.progress.setValue(int(f * 1000)),
                                                           self.status.setText(m)))
        self.worker.signals.finished.connect(self._done)
        self.worker.signals.failed.connect(self._failed)
        self.export_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.status.setText("Exporting…")
        run_in_background(self.worker)
        return self.worker

    def _done(self, summary: str) -> None:
        self.worker = None
        self.progress.setValue(1000)
        self.status.setText(summary)
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")
        self.session.message.emit(summary)
        self.finished_export.emit(summary)

    def _failed(self, message: str) -> None:
        self.worker = None
        self.status.setText("Export cancelled" if "cancel" in message.lower() else f"Export failed: {message}")
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")
        self.finished_export.emit("")

    def _cancel_or_close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling after the current step…")
        else:
            self.close()


# ---------------------------------------------------------------------------------- import a cut


def prepare_cut(project: Project, path: Path):  # noqa: ANN201 - (command | None, CutReport); worker thread
    from ..model.commands import apply_edited_cut
    from ..render.interchange import read_cut
    from ..render.stills import stable_shot_names

    clips = read_cut(path, project)
    return apply_edited_cut(copy.deepcopy(project), clips, stable_shot_names(project))


class _CutImport(QObject):
    """One import in flight: parented to the session (UI thread), it keeps the worker alive and
    receives its result as a slot, so the result is handled on the UI thread."""

    def __init__(self, session: ProjectSession, parent: QWidget | None, path: Path, confirm: bool):
        super().__init__(session)
        self.session, self.parent_widget, self.confirm = session, parent, confirm
        self.labels = session.document.history.labels()  # to notice edits made while reading
        self.worker = Worker(prepare_cut, copy.deepcopy(session.project), path)
        self.worker.signals.finished.connect(self._done)
        self.worker.signals.failed.connect(self._failed)

    @Slot(object)
    def _done(self, result) -> None:  # noqa: ANN001
        command, report = result
        session = self.session
        lines = "\n".join(report.lines())
        self.deleteLater()
        if command is None:
            session.message.emit(f"Import edited cut: nothing to change. {lines}")
            return
        if session.document.history.labels() != self.labels:
            session.message.emit("Import edited cut: the boards changed meanwhile; import again")
            return
        if self.confirm:
            answer = QMessageBox.question(self.parent_widget, "Import edited cut", f"{lines}\n\nApply these changes?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        session.apply(command)
        session.message.emit("Imported edited cut: " + "; ".join(report.lines()))

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.deleteLater()
        self.session.message.emit(f"Import edited cut failed: {message}")


def import_edited_cut(session: ProjectSession, parent: QWidget | None, path: str | Path | None = None,
                      confirm: bool = True) -> Worker | None:
    """Ask for an edit, read and match it on a worker, show what changes, apply as one undo step."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import edited cut", "",
                                              "Edits (*.otio *.edl *.xml *.fcpxml)")
        if not path:
            return None
    job = _CutImport(session, parent, Path(path), confirm)
    run_in_background(job.worker)
    return job.worker


def install_menu_actions(window, export_menu: QMenu, file_menu: QMenu) -> list[QAction]:  # noqa: ANN001
    """File > Export > PDF / edit / subtitles / stills, and File > Import edited cut (issue 17)."""
    actions: list[QAction] = []
    for kind, text in (("pdf", "Storyboard &PDF…"), ("fcp7xml", "Edit for &editors (OTIO, EDL, XML)…"),
                       ("srt", "&Subtitles (SRT, WebVTT)…"), ("stills", "S&tills and contact sheet…")):
        act = QAction(text, window)
        act.triggered.connect(lambda _=False, k=kind: open_deliverables(window, k))
        export_menu.addAction(act)
        actions.append(act)
    act = QAction("&Import edited cut…", window)
    act.triggered.connect(lambda: import_edited_cut(window.session, window))
    file_menu.addAction(act)
    actions.append(act)
    window.deliverables_actions = actions
    return actions


def open_deliverables(window, kind: str = "pdf") -> DeliverablesDialog:  # noqa: ANN001
    dialog = DeliverablesDialog(window.session, window, kind)
    dialog.show()
    window.deliverables_dialog = dialog
    return dialog
