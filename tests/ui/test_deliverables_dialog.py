"""File > Export > Storyboard PDF / edits, with the first-page preview; File > Import edited cut."""

from __future__ import annotations

import sys
from pathlib import Path

import opentimelineio as otio
from pypdf import PdfReader
from PySide6.QtWidgets import QMessageBox

from storyboard_app.model import Document

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from editorial_fixtures import build_editorial_document  # noqa: E402


def _action(window, text: str):  # noqa: ANN001, ANN202
    return next(a for a in window.deliverables_actions if a.text().replace("&", "").startswith(text))


def test_pdf_export_with_preview_from_the_menu(make_window, qtbot, tmp_path) -> None:
    doc = build_editorial_document(tmp_path)
    window = make_window(Document.open(doc.paths.root))
    _action(window, "Storyboard PDF").trigger()
    dialog = window.deliverables_dialog
    assert dialog.current_kind == "pdf" and dialog.output.text().endswith("Editorial Test.pdf")
    with qtbot.waitSignal(dialog.preview_ready, timeout=60000):
        dialog.layout_box.setCurrentText("2x2")
    pixmap = dialog.preview.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    image = pixmap.toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 5  # a page, not a blank
    out = tmp_path / "deck.pdf"
    dialog.output.setText(str(out))
    with qtbot.waitSignal(dialog.finished_export, timeout=60000) as blocker:
        dialog.start()
    assert blocker.args[0].startswith(f"Wrote {out} (3 pages)")
    assert len(PdfReader(str(out)).pages) == 3
    dialog.close()


def test_edit_export_and_import_edited_cut(make_window, qtbot, tmp_path, monkeypatch) -> None:
    doc = build_editorial_document(tmp_path)
    window = make_window(Document.open(doc.paths.root))
    _action(window, "Edit for editors").trigger()
    dialog = window.deliverables_dialog
    assert dialog.current_kind == "fcp7xml"
    out = tmp_path / "cut.xml"
    dialog.output.setText(str(out))
    dialog.media.setChecked(False)
    with qtbot.waitSignal(dialog.finished_export, timeout=60000) as blocker:
        dialog.start()
    assert blocker.args[0].startswith(f"Wrote {out} (5 clips)")
    dialog.close()

    timeline = otio.adapters.read_from_file(str(out))
    if isinstance(timeline, otio.schema.SerializableCollection):
        timeline = next(iter(timeline.find_children(descended_from_type=otio.schema.Timeline)))
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    clips = {c.name: c for c in video.find_clips()}
    video.remove(clips["5"])
    edited = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(edited))

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    from storyboard_app.ui.deliverables_dialog import import_edited_cut

    with qtbot.waitSignal(window.session.changed, timeout=30000):
        import_edited_cut(window.session, window, edited)
    layout = [(seq.name, [s.number for s in seq.shots]) for seq in window.session.project.sequences]
    assert layout[-1] == ("Cut from edit", ["5"])
    assert window.session.document.history.undo_label == "Import edited cut"
    window.session.undo()
    assert [s.number for s in window.session.project.all_shots()] == ["1", "2", "3", "4", "5"]
    assert len(window.session.project.sequences) == 2


def test_cancelled_deliverable_leaves_no_file(tmp_path) -> None:
    import pytest

    from storyboard_app.media.ffmpeg import Cancelled
    from storyboard_app.ui.deliverables_dialog import deliver

    doc = build_editorial_document(tmp_path)
    settings = {"pdf": {"layout": "3x2"}, "edit": {"media": True, "voice": False}, "slate_frames": 0}
    for kind, name in (("pdf", "d.pdf"), ("otio", "d.otio"), ("stills", "stills")):
        with pytest.raises(Cancelled):
            deliver(kind, doc.project, doc.paths.root, tmp_path / name, settings, cancelled=lambda: True)
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.glob(".d.*")) and not (tmp_path / "d_media").exists()
