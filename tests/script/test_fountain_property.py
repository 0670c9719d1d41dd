"""Any text is a screenplay of some sort: the reader never raises, and what it builds is always a
project the app accepts (the importer's output goes through the same validation as an edit)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyboard_app.model import Project
from storyboard_app.model.validation import edit_problems
from storyboard_app.script import plan_import
from storyboard_app.script.build import draft_from_fountain

PIECES = ["INT. ROOM - DAY", "EXT. SEA", ".FORCED", "#12#", "#-1#", "#12345678901234567#", "#", "##", "= syn", "===", "MAREN", "BRAM (V.O.)",
          "@mac", "^", "(quietly)", "~la la", ">", "<", "CUT TO:", "FADE OUT.", "[[note", "]]", "/*", "*/",
          "*", "**", "_", "\\*", "Title: X", "Author:", "  ", "\t", "Rain falls.", "é漢😀", "!", ":", "\r", ""]

lines = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=4).map(" ".join)
scripts = st.lists(lines, max_size=30).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts)
def test_any_text_parses_and_imports_into_a_valid_project(text):
    draft = draft_from_fountain(text, "fuzz.fountain")
    project = Project()
    plan_import(project, draft).command.apply(project)
    assert edit_problems(project) == []
    assert all(shot.duration >= 48 for shot in project.all_shots())
