"""The Voices page (File > Voices…): browse the Piper catalogue, pull, cancel, remove.

The catalogue is the shipped snapshot or the last refresh (``voice.catalogue``); filters narrow
it by language, gender, text and "installed only". A pull runs in a background worker with a
progress bar and a Cancel button (the part file stays, so the next pull resumes); a removal and
a catalogue refresh are quick and run in the background too. When the installed voices change the
page emits ``installed_changed`` so the character panel's voice lists follow.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .workers import Worker, run_in_background

COLUMNS = ("Voice", "Here", "Language", "Quality", "Gender", "Speakers", "Size", "Licence")


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


class VoicesPage(QWidget):
    installed_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from ..voice.catalogue import load_catalogue

        self.catalogue = load_catalogue()
        self.language = QComboBox()
        self.gender = QComboBox()
        for text, data in (("any gender", ""), ("female", "female"), ("male", "male"), ("several speakers", "mixed")):
            self.gender.addItem(text, data)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search voices…")
        self.installed_only = QCheckBox("installed only")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.pull_button = QPushButton("Pull")
        self.cancel_button = QPushButton("Cancel")
        self.remove_button = QPushButton("Remove")
        self.refresh_button = QPushButton("Refresh catalogue")
        self.refresh_button.setToolTip("Download the current voice list from the hub (HF_ENDPOINT honoured)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.source = QLabel()
        self.source.setStyleSheet("color: #8a90a2")
        self.worker: Worker | None = None
        filters = QHBoxLayout()
        for w in (self.language, self.gender, self.search, self.installed_only):
            filters.addWidget(w)
        buttons = QHBoxLayout()
        for w in (self.pull_button, self.cancel_button, self.remove_button, self.refresh_button):
            buttons.addWidget(w)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.source)
        self.language.currentIndexChanged.connect(lambda _i: self.populate())
        self.gender.currentIndexChanged.connect(lambda _i: self.populate())
        self.search.textChanged.connect(lambda _t: self.populate())
        self.installed_only.toggled.connect(lambda _b: self.populate())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.pull_button.clicked.connect(lambda: self.pull())
        self.cancel_button.clicked.connect(self.cancel)
        self.remove_button.clicked.connect(lambda: self.remove())
        self.refresh_button.clicked.connect(lambda: self.refresh_catalogue())
        self._fill_languages()
        self.populate()

    # ------------------------------------------------------------------ the table
    def _fill_languages(self) -> None:
        current = self.language.currentData()
        self.language.blockSignals(True)
        self.language.clear()
        self.language.addItem("all languages", "")
        for code in self.catalogue.languages:
            self.language.addItem(code, code)
        self.language.setCurrentIndex(max(self.language.findData(current), 0) if current else 0)
        self.language.blockSignals(False)

    def populate(self) -> None:
        from ..voice.manager import installed_voices, partial_pulls

        installed, partial = installed_voices(), partial_pulls()
        voices = self.catalogue.select(language=self.language.currentData() or "",
                                       gender=self.gender.currentData() or "", text=self.search.text())
        if self.installed_only.isChecked():
            voices = [v for v in voices if v.key in installed]
        selected = self.selected_key()
        self.table.setRowCount(len(voices))
        for row, v in enumerate(voices):
            info = installed.get(v.key)
            here = ("bundled" if info.bundled else "installed") if info is not None else (
                f"partial ({_size(partial[v.key])})" if v.key in partial else "")
            speakers = str(v.num_speakers) if v.num_speakers > 1 else "1"
            for col, text in enumerate((v.key, here, v.language_name, v.quality, v.gender or "?", speakers,
                                        _size(v.download_size), v.licence or "see MODEL_CARD")):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, v.key)
                if COLUMNS[col] == "Speakers" and v.speakers:
                    item.setToolTip(", ".join(v.speaker_label(s) for s in v.speakers[:40]))
                self.table.setItem(row, col, item)
            if v.key == selected:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        self.source.setText(f"{len(voices)} of {len(self.catalogue.voices)} voices · catalogue: {self.catalogue.source}")
        self._update_buttons()

    def selected_key(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.UserRole) if items else None

    def select(self, key: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == key:
                self.table.selectRow(row)
                return True
        return False

    def row_text(self, key: str) -> dict[str, str]:
        """The row of voice ``key`` by column name ({} when it is not shown)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == key:
                return {name: self.table.item(row, c).text() for c, name in enumerate(COLUMNS)}
        return {}

    def _update_buttons(self) -> None:
        from ..voice.manager import installed_voices

        busy = self.worker is not None
        key = self.selected_key()
        info = installed_voices().get(key) if key else None
        self.pull_button.setEnabled(not busy and key is not None and info is None)
        self.remove_button.setEnabled(not busy and info is not None and not info.bundled)
        self.cancel_button.setEnabled(busy)
        self.refresh_button.setEnabled(not busy)

    # ------------------------------------------------------------------ actions
    def pull(self, key: str | None = None) -> Worker | None:
        """Pull the selected (or named) voice in the background."""
        from ..voice.manager import pull_voice

        key = key or self.selected_key()
        if key is None or self.worker is not None:
            return None
        catalogue = self.catalogue

        def job(progress, cancelled):  # noqa: ANN001, ANN202 - worker thread
            return pull_voice(key, catalogue=catalogue, cancelled=cancelled,
                              progress=lambda done, total, what: progress(done / max(total, 1), what))

        self.status.setText(f"Pulling {key}…")
        return self._start(Worker(job, with_progress=True), lambda result: (
            f"Pulled {key}: pick it for a character in the Characters panel" if result.downloaded
            else f"{key} is already installed"))

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling… (what was downloaded is kept: Pull resumes)")

    def remove(self, key: str | None = None) -> Worker | None:
        from ..voice.manager import remove_voice

        key = key or self.selected_key()
        if key is None or self.worker is not None:
            return None
        return self._start(Worker(remove_voice, key), lambda _r: f"Removed {key}")

    def refresh_catalogue(self) -> Worker | None:
        from ..voice.catalogue import refresh_catalogue

        if self.worker is not None:
            return None
        self.status.setText("Downloading the voice catalogue…")

        def done(catalogue) -> str:  # noqa: ANN001
            self.catalogue = catalogue
            self._fill_languages()
            return f"Catalogue refreshed: {len(catalogue.voices)} voices"

        return self._start(Worker(refresh_catalogue), done)

    def _start(self, worker: Worker, describe) -> Worker:  # noqa: ANN001 - Callable[[object], str]
        self.worker = worker
        self.progress.setValue(0)
        self._update_buttons()

        def finished(result) -> None:  # noqa: ANN001
            self.worker = None
            self.progress.setValue(1000)
            self.status.setText(describe(result))
            self.populate()
            self.installed_changed.emit()

        def failed(message: str) -> None:
            self.worker = None
            self.status.setText(f"⚠ {message}")
            self.populate()

        worker.signals.progress.connect(lambda f, m: (self.progress.setValue(int(f * 1000)),
                                                      self.progress.setFormat(f"%p%  {m}")))
        worker.signals.finished.connect(finished)
        worker.signals.failed.connect(failed)
        run_in_background(worker)
        return worker


class VoicesDialog(QDialog):
    """The page in a non-modal window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Voices")
        self.page = VoicesPage(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        self.resize(960, 560)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.page.cancel()
        super().closeEvent(event)


def install_menu_action(window, menu) -> None:  # noqa: ANN001 - MainWindow, QMenu
    """File > Voices…: the one hook the main window calls (issue 15)."""

    def open_page() -> VoicesDialog:
        dialog = getattr(window, "voices_dialog", None)
        if dialog is None:
            dialog = window.voices_dialog = VoicesDialog(window)

            def follow() -> None:
                characters = getattr(window, "characters", None)
                if characters is not None:
                    characters.voice_picker.invalidate()
                    characters.refresh()

            dialog.page.installed_changed.connect(follow)
        dialog.show()
        dialog.raise_()
        return dialog

    window.act_voices = menu.addAction("&Voices…", open_page)
    window.act_voices.setToolTip("Browse the Piper voice catalogue; pull and remove voices")
    window.open_voices = open_page
