"""Generate > Style test… (issue 18.3): run from the GUI, the grid, enlarge, favourite, adopt + undo."""

from __future__ import annotations

import sys
from pathlib import Path

from storyboard_app.model import Document, TakeStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generation"))
from generation_fixtures import make_project  # noqa: E402


def test_style_test_view_runs_shows_the_grid_and_adopts_undoably(make_window, qtbot, tmp_path) -> None:
    root = tmp_path / "p.sbproj"
    Document(make_project(["night market in rain", "a brass key"], frames=6), root).save()
    window = make_window(Document.open(root))
    window.act_style_test.trigger()
    dialog = window.style_test_dialog
    dialog.set_styles(["preset_noir", "preset_watercolour", "st"])
    dialog.name_edit.setText("looks")
    assert dialog.run_test() == 6  # 2 shots x 3 styles, nothing cached yet
    # one batch for the whole test (the job runner schedules every cell together), not one per style
    assert len(dialog.handles) == 1 and len(dialog.handles[0].planned) == 6
    assert {p.tag for p in dialog.handles[0].planned} == {"preset_noir", "preset_watercolour", "st"}
    qtbot.waitUntil(lambda: not dialog.running, timeout=120000)
    with qtbot.waitSignal(dialog.grid_ready, timeout=60000):  # the grid of the finished run
        pass
    project = window.session.project
    takes = [t for s in project.all_shots() for t in s.takes]
    assert len(takes) == 6 and all(t.status == TakeStatus.DONE and t.style_id for t in takes)
    assert all(s.selected_take_id is None for s in project.all_shots())  # nothing selected automatically
    labels = window.session.document.history.labels()[0]
    assert labels.count("Style test take") == 1  # the run's six takes are one undo step
    assert (dialog.table.rowCount(), dialog.table.columnCount()) == (2, 3)
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Ink", "Noir", "Watercolour"]  # in the order of the styles list
    assert all(not dialog.table.item(r, c).icon().isNull() for r in range(2) for c in range(3))

    enlarged = dialog.enlarge(1, 1)
    assert enlarged.windowTitle() == "Shot 2 — Noir"
    enlarged.close()

    dialog.table.setCurrentCell(0, 1)
    with qtbot.waitSignal(dialog.column_rendered, timeout=120000) as rendered:
        assert dialog.play_column()
    assert "preset-noir" in rendered.args[0] and Path(rendered.args[0]).stat().st_size > 0
    assert window.player.mode == "take"  # the column's animatic plays in the viewer

    dialog.table.setCurrentCell(0, 2)
    dialog.toggle_favourite()
    assert project.style_test("looks").favourites == ["preset_watercolour"]
    qtbot.waitUntil(lambda: dialog.table.horizontalHeaderItem(2).text() == "★ Watercolour", timeout=10000)

    assert dialog.adopt_current()
    assert project.style_id == "preset_watercolour"
    chosen = {s.id: s.selected_take_id for s in project.all_shots()}
    assert all(project.shot(sid).take(tid).style_id == "preset_watercolour" for sid, tid in chosen.items())
    window.session.undo()
    qtbot.waitSignal(dialog.grid_ready, timeout=30000, raising=False).wait()  # the refresh's frame grab ends
    assert project.style_id == "st" and all(s.selected_take_id is None for s in project.all_shots())
    dialog.close()


def test_a_gpu_style_test_asks_with_shots_styles_time_and_cost_before_it_starts(make_window, answers,
                                                                                 tmp_path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from storyboard_app.generation.registry import register_generator, unregister_generator

    register_generator("fakegpu", "fake_generators:FakeGpuGenerator")
    try:
        project = make_project(["a street", "a key"], frames=6)
        project.generator = "fakegpu"
        root = tmp_path / "p.sbproj"
        Document(project, root).save()
        window = make_window(Document.open(root))
        window.act_style_test.trigger()
        dialog = window.style_test_dialog
        dialog.set_styles(["preset_noir", "st"])
        answers.queue.append(QMessageBox.Cancel)
        assert dialog.run_test() == 0 and answers.asked == ["Start the style test?"]
        # shots x styles, the clips to make, the time and the cost (a local GPU: no money)
        assert answers.texts[0].startswith("2 shots x 2 styles: 4 clips to make, about 2 min")
        assert answers.texts[0].endswith("cost 0 (local).")
        assert not dialog.handles and "not started" in dialog.status.text()
        dialog.close()
    finally:
        unregister_generator("fakegpu")


def test_styles_panel_duplicates_exports_and_imports_styles(make_window, tmp_path) -> None:
    window = make_window()
    panel = window.styles
    names = [panel.list.item(i).text() for i in range(panel.list.count())]
    panel.list.setCurrentRow(next(i for i, n in enumerate(names) if "Watercolour" in n))
    assert panel.duplicate_selected()
    project = window.session.project
    assert project.styles[-1].name == "Watercolour copy" and project.styles[-1].generator_params["sketch"]
    path = panel.export_selected(tmp_path / "wc.json")
    assert path is not None and '"Watercolour"' in path.read_text()
    assert panel.import_file(path)
    assert [s.name for s in project.styles][-2:] == ["Watercolour copy", "Watercolour"]
    window.session.undo()
    assert [s.name for s in project.styles][-1] == "Watercolour copy"
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": ""}')
    messages = []
    window.session.message.connect(messages.append)
    assert not panel.import_file(bad)
    assert messages and "bad.json: field 'name'" in messages[-1]
