"""VoiceSettings.speaker (issue 15) and the voice names: defaults for old files, validation."""

from __future__ import annotations

import json

import pytest

from storyboard_app.model import (
    Character,
    Project,
    ProjectError,
    load_project,
    project_json,
    save_project,
)
from storyboard_app.model.validation import edit_problems


def test_a_file_without_the_speaker_field_loads_with_the_default_speaker(tmp_path):
    root = tmp_path / "p.sbproj"
    save_project(Project(characters=[Character("ch_a", "A")]), root)
    data = json.loads((root / "project.json").read_text(encoding="utf-8"))
    for voice in (data["characters"][0]["voice"], data["narrator_voice"]):
        del voice["speaker"]
    (root / "project.json").write_text(json.dumps(data), encoding="utf-8")
    project = load_project(root)
    assert project.characters[0].voice.speaker == "" and project.narrator_voice.speaker == ""


@pytest.mark.parametrize(("field", "value", "path", "words"), [
    ("speaker", "alto\nsoprano", "$.characters[0].voice.speaker", "one printable line"),
    ("voice", "", "$.characters[0].voice.voice", "needs a voice name"),
    ("engine", " ", "$.characters[0].voice.engine", "needs an engine name"),
    ("voice", "x" * 201, "$.characters[0].voice.voice", "at most 200 characters"),
])
def test_bad_voice_names_are_one_problem_naming_the_field(tmp_path, field, value, path, words):
    project = Project(characters=[Character("ch_a", "A")])
    setattr(project.characters[0].voice, field, value)
    problems = edit_problems(project)
    assert [p.path for p in problems] == [path] and words in problems[0].reason
    root = tmp_path / "p.sbproj"
    save_project(Project(characters=[Character("ch_a", "A")]), root)
    data = json.loads(project_json(project))
    (root / "project.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match="project.json"):
        load_project(root)


def test_the_narrator_voice_is_validated_too():
    project = Project()
    project.narrator_voice.speaker = "a\tb"
    assert [p.path for p in edit_problems(project)] == ["$.narrator_voice.speaker"]
