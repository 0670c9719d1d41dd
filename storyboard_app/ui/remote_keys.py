"""Remote services in the GUI: their keys (OS keyring), the generator picker's status labels and
the paid-generation preferences (cost cap, consent to re-run expired jobs).

The key is typed into a password field and handed straight to the keyring; the dialog never
shows it, and nothing here writes it anywhere else (see ``generation/remote/secrets.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..generation.remote import secrets

#: QSettings keys of the paid-generation preferences
MAX_COST_KEY = "generate/max_cost"  # 0: no cap
RERUN_EXPIRED_KEY = "generate/rerun_expired"

AskKey = Callable[[QWidget, str], str | None]


def generator_label(generator_id: str) -> str:
    """The picker's text: a remote generator says whether its key is set ("fal — key set")."""
    if generator_id not in secrets.SERVICES:
        return generator_id
    return f"{generator_id} — {'key set' if secrets.get_key(generator_id) else 'no key'}"


def ask_key(parent: QWidget, label: str) -> str | None:
    """A password prompt; None when cancelled."""
    text, ok = QInputDialog.getText(parent, f"{label} API key", f"{label} API key (stored in the OS keyring):",
                                    QLineEdit.Password)
    return text if ok else None


def paid_preferences(settings: QSettings) -> tuple[float | None, bool]:
    """``(max cost or None, re-run expired)`` from the app's settings."""
    try:
        cap = float(settings.value(MAX_COST_KEY, 0) or 0)
    except (TypeError, ValueError):
        cap = 0.0
    rerun = str(settings.value(RERUN_EXPIRED_KEY, "false")).lower() in ("true", "1")
    return (cap if cap > 0 else None), rerun


class RemoteKeysDialog(QDialog):
    """Generate > Remote services…: set or clear each service's key, the cost cap per batch and
    whether an expired paid result may be re-run."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None, ask: AskKey = ask_key):
        super().__init__(parent)
        self.setWindowTitle("Remote services")
        self.settings = settings
        self.ask = ask
        self.status: dict[str, QLabel] = {}
        self.set_buttons: dict[str, QPushButton] = {}
        self.clear_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for row, info in enumerate(secrets.SERVICES.values()):
            grid.addWidget(QLabel(info.label), row, 0)
            self.status[info.id] = QLabel()
            grid.addWidget(self.status[info.id], row, 1)
            set_button, clear_button = QPushButton("Set key…"), QPushButton("Clear")
            set_button.clicked.connect(lambda _c=False, s=info.id: self.set_key(s))
            clear_button.clicked.connect(lambda _c=False, s=info.id: self.clear_key(s))
            self.set_buttons[info.id], self.clear_buttons[info.id] = set_button, clear_button
            grid.addWidget(set_button, row, 2)
            grid.addWidget(clear_button, row, 3)
        cap, rerun = paid_preferences(settings)
        self.max_cost = QDoubleSpinBox()
        self.max_cost.setRange(0, 100000)
        self.max_cost.setDecimals(2)
        self.max_cost.setPrefix("$")
        self.max_cost.setSpecialValueText("no cap")
        self.max_cost.setValue(cap or 0)
        self.max_cost.setToolTip("Refuse a batch whose estimated cost is over this (or unknown)")
        self.rerun = QCheckBox("Re-run a paid job whose result expired before it was downloaded (pays again)")
        self.rerun.setChecked(rerun)
        self.note = QLabel()
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        cost_row = QGridLayout()
        cost_row.addWidget(QLabel("Cost cap per batch:"), 0, 0)
        cost_row.addWidget(self.max_cost, 0, 1)
        layout.addLayout(cost_row)
        layout.addWidget(self.rerun)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        for service, label in self.status.items():
            label.setText(secrets.key_status(service))

    def set_key(self, service: str) -> None:
        key = self.ask(self, secrets.service_info(service).label)
        if not key or not key.strip():
            return
        try:
            secrets.set_key(service, key)
            self.note.setText(f"{secrets.service_info(service).label}: key stored in the OS keyring")
        except (secrets.KeyringUnavailable, ValueError) as exc:
            self.note.setText(str(exc))
        self.refresh()

    def clear_key(self, service: str) -> None:
        try:
            secrets.clear_key(service)
        except secrets.KeyringUnavailable as exc:
            self.note.setText(str(exc))
        self.refresh()

    def accept(self) -> None:
        self.settings.setValue(MAX_COST_KEY, float(self.max_cost.value()))
        self.settings.setValue(RERUN_EXPIRED_KEY, "true" if self.rerun.isChecked() else "false")
        super().accept()
