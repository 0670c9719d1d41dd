"""One icon set for every action: Material Design Icons through qtawesome (a font, so icons are
crisp at any size and need no files), with Qt's standard icons as the fallback where qtawesome
is not installed. Each action names what it does, not what it looks like."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

#: action name → (Material Design Icons 6 name, QStyle fallback)
ICONS: dict[str, tuple[str, QStyle.StandardPixmap]] = {
    "new": ("mdi6.file-plus-outline", QStyle.SP_FileIcon),
    "open": ("mdi6.folder-open-outline", QStyle.SP_DialogOpenButton),
    "save": ("mdi6.content-save-outline", QStyle.SP_DialogSaveButton),
    "undo": ("mdi6.undo", QStyle.SP_ArrowBack),
    "redo": ("mdi6.redo", QStyle.SP_ArrowForward),
    "insert_shot": ("mdi6.card-plus-outline", QStyle.SP_FileIcon),
    "delete_shot": ("mdi6.delete-outline", QStyle.SP_TrashIcon),
    "duplicate": ("mdi6.content-copy", QStyle.SP_FileIcon),
    "split": ("mdi6.content-cut", QStyle.SP_FileIcon),
    "play": ("mdi6.play", QStyle.SP_MediaPlay),
    "generate": ("mdi6.creation", QStyle.SP_BrowserReload),
    "generate_all": ("mdi6.auto-fix", QStyle.SP_BrowserReload),
    "new_take": ("mdi6.dice-multiple-outline", QStyle.SP_BrowserReload),
    "export": ("mdi6.movie-open-play-outline", QStyle.SP_DialogSaveButton),
    "fit": ("mdi6.arrow-expand-horizontal", QStyle.SP_ArrowRight),
    "renumber": ("mdi6.order-numeric-ascending", QStyle.SP_ArrowDown),
    "scene": ("mdi6.filmstrip-box", QStyle.SP_DirIcon),
    "import_image": ("mdi6.image-plus", QStyle.SP_FileIcon),
    "settings": ("mdi6.cog-outline", QStyle.SP_FileDialogDetailedView),
    "shortcuts": ("mdi6.keyboard-outline", QStyle.SP_DialogHelpButton),
    "queue": ("mdi6.tray-full", QStyle.SP_FileDialogListView),
}


def icon(name: str) -> QIcon:
    """The icon for action ``name`` (a QApplication must exist)."""
    mdi, fallback = ICONS[name]
    try:
        import qtawesome

        return qtawesome.icon(mdi, color="#c9cedc", color_disabled="#5b6070")
    except Exception:  # noqa: BLE001 - not installed, or its font failed to load: standard icons
        return QApplication.style().standardIcon(fallback)
