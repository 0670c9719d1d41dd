"""Style-test edits as undoable commands (issue 18): keep a test by name, star favourites, adopt.

Each function returns one command (a ``Compound`` where several fields change), so every user
action is one undo step. Which take a cell of a test shows is decided by the caller
(``generation.style_test.cell_takes``), because it needs the generator's request hash.
"""

from __future__ import annotations

import copy

from .commands import Command, Compound, InsertStyle, Ref, SetField, set_shot
from .types import Project, Style, StyleTest


def put_style_test(project: Project, test: StyleTest) -> SetField:
    """Add ``test``, or replace the test of the same name (the test is kept by name)."""
    tests = [copy.deepcopy(t) for t in project.style_tests if t.name != test.name]
    index = next((i for i, t in enumerate(project.style_tests) if t.name == test.name), len(tests))
    tests.insert(index, copy.deepcopy(test))
    return SetField(Ref("project"), "style_tests", tests, f"Style test {test.name}")


def toggle_favourite(project: Project, name: str, style_id: str) -> SetField:
    test = copy.deepcopy(project.style_test(name))
    if style_id in test.favourites:
        test.favourites.remove(style_id)
    else:
        test.favourites.append(style_id)
    return put_style_test(project, test)


def add_styles(project: Project, styles: list[Style]) -> list[Command]:
    """Insert the styles the project does not have yet (presets keep their ``preset_`` ids)."""
    have = {s.id for s in project.styles}
    commands: list[Command] = []
    for style in styles:
        if style.id not in have:
            commands.append(InsertStyle(len(project.styles) + len(commands), style, f"Add style {style.name}"))
            have.add(style.id)
    return commands


def adopt_style(project: Project, style_id: str, takes: dict[str, str]) -> Compound:
    """Make ``style_id`` the project style and select ``takes`` (shot id -> take id): one undo.

    The chosen takes are pinned, so a later generation does not silently replace the look the
    team just picked; shots without a take of this style keep theirs.
    """
    style = project.style(style_id)
    parts: list[Command] = [SetField(Ref("project"), "style_id", style_id)]
    for shot_id, take_id in takes.items():
        parts.append(set_shot(shot_id, "selected_take_id", take_id))
        parts.append(set_shot(shot_id, "take_pinned", True))
    return Compound(parts, f"Adopt style {style.name}")
