"""Issue 18.1: a project style is edited field by field in the styles panel (name, prompt
suffix, negative prompt, palette with a colour picker, generator parameters as validated JSON),
typed into the real widgets; each edit is one undoable step; presets are read-only."""

from __future__ import annotations

import itertools
import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog


def _row_of(panel, data: tuple[str, str]) -> int:  # noqa: ANN001
    return next(i for i in range(panel.list.count()) if tuple(panel.list.item(i).data(Qt.UserRole)) == data)


def _type(qtbot, widget, text: str, replace: bool = False) -> None:  # noqa: ANN001
    widget.setFocus()
    if replace:
        qtbot.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    else:
        qtbot.keyClick(widget, Qt.Key_End, Qt.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_a_project_style_is_edited_field_by_field_and_each_edit_undoes(make_window, qtbot, monkeypatch) -> None:
    window = make_window()
    panel, editor = window.styles, window.styles.editor
    session = window.session
    project = session.project

    # a preset is read-only: the editor says how to get an editable copy
    panel.list.setCurrentRow(_row_of(panel, ("preset", "preset_watercolour")))
    assert not editor.name.isEnabled() and "Duplicate" in editor.hint.text()
    assert editor.name.text() == "Watercolour" and editor.palette.count() > 0
    assert panel.duplicate_selected()
    copy_ = project.styles[-1]
    panel.list.setCurrentRow(_row_of(panel, ("project", copy_.id)))
    assert editor.name.isEnabled() and editor.name.text() == "Watercolour copy"
    palette_before = list(copy_.palette)

    _type(qtbot, editor.name, "Rainy wash", replace=True)
    assert copy_.name == "Rainy wash"
    assert any(panel.list.item(i).text().strip().startswith("Rainy wash") for i in range(panel.list.count()))
    suffix_before = copy_.prompt_suffix
    _type(qtbot, editor.prompt_suffix, ", heavy rain")
    assert copy_.prompt_suffix == suffix_before + ", heavy rain"
    _type(qtbot, editor.negative_prompt, "photo, neon", replace=True)
    assert copy_.negative_prompt == "photo, neon"

    picked = iter([QColor("#123456"), QColor("#abcdef"), QColor()])  # the last one: cancelled
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: next(picked))
    qtbot.mouseClick(editor.add_colour, Qt.LeftButton)
    assert copy_.palette == [*palette_before, "#123456"]
    assert editor.palette.item(editor.palette.count() - 1).text() == "#123456"
    editor.palette.setCurrentRow(0)
    qtbot.mouseClick(editor.change_colour, Qt.LeftButton)
    assert copy_.palette[0] == "#abcdef"
    qtbot.mouseClick(editor.add_colour, Qt.LeftButton)  # cancelled in the picker: nothing changes
    assert copy_.palette == ["#abcdef", *palette_before[1:], "#123456"]
    editor.palette.setCurrentRow(editor.palette.count() - 1)
    qtbot.mouseClick(editor.remove_colour, Qt.LeftButton)
    assert copy_.palette == ["#abcdef", *palette_before[1:]]
    session.undo()  # one step: the removed colour comes back
    assert copy_.palette == ["#abcdef", *palette_before[1:], "#123456"]
    assert editor.palette.count() == len(copy_.palette)

    params_before = dict(copy_.generator_params)
    for bad, reason in (("{not json", "not JSON"), ('{"sketch": 3}', "'sketch' names a generator"),
                        ("[1, 2]", "must be a JSON object"), ('{"grain": NaN}', "NaN")):
        _type(qtbot, editor.params, bad, replace=True)
        qtbot.mouseClick(editor.apply_params, Qt.LeftButton)
        assert reason in editor.error.text(), bad
        assert copy_.generator_params == params_before  # a bad value never reaches the project
    _type(qtbot, editor.params, '{"sketch": {"contrast": 2.5, "grain": 3}, "steps": 30}', replace=True)
    qtbot.mouseClick(editor.apply_params, Qt.LeftButton)
    assert copy_.generator_params == {"sketch": {"contrast": 2.5, "grain": 3}, "steps": 30}
    assert editor.error.text() == ""

    # one step per edit (a typing burst is one step, or a few on a slow machine: grouped here);
    # the removal was undone above, so it is not in the history any more
    labels = [k for k, _ in itertools.groupby(session.document.history.labels()[0])]
    assert labels[-7:] == ["Duplicate style Watercolour", "Rename style", "Edit style prompt",
                           "Edit style negative prompt", "Add palette colour", "Change palette colour",
                           "Set style parameters"]

    session.undo()  # the parameters, and the editor shows the project's value again
    assert copy_.generator_params == params_before
    assert json.loads(editor.params.toPlainText() or "{}") == params_before
    while copy_.name != "Watercolour copy":  # typing bursts may be one step or a few: undo them
        session.undo()
    assert editor.name.text() == "Watercolour copy"
    assert copy_.palette == palette_before and copy_.prompt_suffix == suffix_before


def test_a_blank_style_name_is_refused_with_a_message(make_window, qtbot) -> None:
    window = make_window()
    panel, editor = window.styles, window.styles.editor
    panel.list.setCurrentRow(_row_of(panel, ("preset", "preset_noir")))
    assert panel.duplicate_selected()
    copy_ = window.session.project.styles[-1]
    panel.list.setCurrentRow(_row_of(panel, ("project", copy_.id)))
    editor.name.setFocus()
    qtbot.keyClick(editor.name, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClick(editor.name, Qt.Key_Delete)
    assert copy_.name == "Noir copy" and "needs a name" in editor.error.text()
