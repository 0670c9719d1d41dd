"""Bad project files: each kind of damage gives one clear problem naming the file, the JSON path
of the field and the reason; several problems are all reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storyboard_app.model import ProjectError, load_project, project_json, save_project
from storyboard_app.model.validation import Problem, json_path

Data = dict[str, Any]
SHOT0 = "$.sequences[0].shots[0]"
SHOT1 = "$.sequences[0].shots[1]"


def shot(d: Data, i: int = 0, seq: int = 0) -> Data:
    return d["sequences"][seq]["shots"][i]


def _set(path: Callable[[Data], Data], key: str, value: Any) -> Callable[[Data], None]:
    return lambda d: path(d).__setitem__(key, value)


def _del(path: Callable[[Data], Data], key: str) -> Callable[[Data], None]:
    return lambda d: path(d).__delitem__(key)


# (id, damage to the decoded JSON or the raw bytes of the file, JSON path, words in the reason)
CASES: list[tuple[str, Callable[[Data], None] | bytes, str, str]] = [
    ("json-syntax", b'{"schema_version": 1,\n "title": "x",\n}', "$", "not valid JSON"),
    ("json-truncated", b'{"schema_version": 1, "title": "Night', "$", "not valid JSON"),
    ("not-utf8", b'{"schema_version": 1, "title": "caf\xe9"}', "$", "cannot read file"),
    ("top-level-list", b'[{"schema_version": 1}]', "$", "JSON object at the top level"),
    ("wrong-type-string-for-int", _set(lambda d: d, "fps", "24"), "$.fps", "valid integer"),
    ("wrong-type-float-for-frames", _set(shot, "duration", 2.5), f"{SHOT0}.duration",
     "valid integer"),
    ("wrong-type-bool-for-int", _set(lambda d: d, "width", True), "$.width", "valid integer"),
    ("wrong-type-null", _set(lambda d: d, "title", None), "$.title", "valid string"),
    ("wrong-type-object-for-list", _set(lambda d: d["sequences"][0], "shots", {}),
     "$.sequences[0].shots", "valid array"),
    ("wrong-type-nested-object", _set(lambda d: d["characters"][0], "voice", "loud"),
     "$.characters[0].voice", "object"),
    ("missing-required-name", _del(lambda d: d["characters"][1], "name"),
     "$.characters[1].name", "required field is missing"),
    ("missing-required-take-generator", _del(lambda d: shot(d)["takes"][1], "generator_id"),
     f"{SHOT0}.takes[1].generator_id", "required field is missing"),
    ("unknown-field", _set(lambda d: shot(d, 1), "colour", "red"), f"{SHOT1}.colour",
     "unknown field"),
    ("unknown-top-level-field", _set(lambda d: d, "author", "me"), "$.author", "unknown field"),
    ("bad-enum-size", _set(lambda d: shot(d, 1), "size", "HUGE"), f"{SHOT1}.size", "'HUGE'"),
    ("bad-enum-transition", _set(lambda d: shot(d)["transition_in"], "kind", "wipe"),
     f"{SHOT0}.transition_in.kind", "'dissolve'"),
    ("bad-enum-take-status", _set(lambda d: shot(d)["takes"][0], "status", "ok"),
     f"{SHOT0}.takes[0].status", "'done'"),
    ("negative-duration", _set(lambda d: shot(d, 1), "duration", -5), f"{SHOT1}.duration",
     "at least 1 frame"),
    ("zero-duration", _set(lambda d: shot(d, 1), "duration", 0), f"{SHOT1}.duration",
     "at least 1 frame"),
    ("duplicate-shot-id", _set(lambda d: shot(d, 0, seq=1), "id", "sh_1"),
     "$.sequences[1].shots[0].id", "duplicate shot id 'sh_1'"),
    ("duplicate-character-id", lambda d: d["characters"].append(dict(d["characters"][1])),
     "$.characters[3].id", "duplicate character id 'ch_bo'"),
    ("duplicate-line-id", _set(lambda d: shot(d)["dialogue"][2], "id", "ln_1"),
     f"{SHOT0}.dialogue[2].id", "duplicate dialogue line id"),
    ("empty-id", _set(lambda d: d["sequences"][2], "id", ""), "$.sequences[2].id",
     "non-empty id"),
    ("dangling-cast", lambda d: shot(d, 1)["characters"].append("ch_nobody"),
     f"{SHOT1}.characters[1]", "unknown character 'ch_nobody'"),
    ("dangling-speaker", _set(lambda d: shot(d)["dialogue"][0], "speaker", "ch_zed"),
     f"{SHOT0}.dialogue[0].speaker", "unknown character 'ch_zed'"),
    ("dangling-selected-take", _set(shot, "selected_take_id", "tk_gone"),
     f"{SHOT0}.selected_take_id", "unknown take 'tk_gone'"),
    ("dangling-project-style", _set(lambda d: d, "style_id", "st_gone"), "$.style_id",
     "unknown style"),
    ("dangling-shot-style", _set(lambda d: shot(d, 1), "style_id", "st_gone"),
     f"{SHOT1}.style_id", "unknown style"),
    ("bad-colour", lambda d: d["styles"][0]["palette"].__setitem__(1, "orange"),
     "$.styles[0].palette[1]", "colour like '#a0b0c0'"),
    ("bad-colour-short-hex", lambda d: d["styles"][1]["palette"].__setitem__(0, "#fff"),
     "$.styles[1].palette[0]", "colour"),
    ("odd-width", _set(lambda d: d, "width", 1279), "$.width", "even number"),
    ("tiny-height", _set(lambda d: d, "height", 8), "$.height", "16..8192"),
    ("zero-fps", _set(lambda d: d, "fps", 0), "$.fps", "between 1 and 240"),
    ("negative-seed", _set(lambda d: d["characters"][0], "seed", -1), "$.characters[0].seed",
     "0..4294967295"),
    ("camera-strength", _set(lambda d: shot(d, 1), "camera_strength", 1.5),
     f"{SHOT1}.camera_strength", "between 0 and 1"),
    ("cut-with-length", _set(lambda d: shot(d, 1), "transition_in", {"kind": "cut", "frames": 5}),
     f"{SHOT1}.transition_in.frames", "a cut has no length"),
    ("dissolve-longer-than-shot",
     _set(lambda d: shot(d, 1), "transition_in", {"kind": "dissolve", "frames": 49}),
     f"{SHOT1}.transition_in.frames", "1..48 frames"),
    ("voice-rate", _set(lambda d: d["characters"][0]["voice"], "rate", 0),
     "$.characters[0].voice.rate", "speaking rate"),
    ("negative-dialogue-gap", _set(lambda d: d["render"], "dialogue_gap_frames", -1),
     "$.render.dialogue_gap_frames", "must not be negative"),
    ("nan-float", b'{"schema_version": 1, "render": {"music_volume_db": NaN}}',
     "$.render.music_volume_db", "finite number"),
    ("infinite-float", _set(lambda d: shot(d, 1), "camera_strength", float("inf")),
     f"{SHOT1}.camera_strength", "finite number"),
    ("empty-character-name", _set(lambda d: d["characters"][0], "name", "  "),
     "$.characters[0].name", "needs a name"),
]


def write_damaged(project, tmp_path: Path, damage: Callable[[Data], None] | bytes) -> Path:
    root = save_project(project, tmp_path / "damaged.sbproj")
    if isinstance(damage, bytes):
        (root / "project.json").write_bytes(damage)
    else:
        data = json.loads(project_json(project))
        damage(data)
        (root / "project.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return root


@pytest.mark.parametrize(("damage", "path", "reason"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_kind_of_damage_is_named_precisely(project, tmp_path, damage, path, reason):
    root = write_damaged(project, tmp_path, damage)
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    problems = exc.value.problems
    file = str(root / "project.json")
    assert [(p.file, p.path) for p in problems] == [(file, path)], problems
    assert reason in problems[0].reason
    line = str(exc.value)
    # a problem with the whole file is said without the "$" path
    assert line == (f"{file}: {problems[0].reason}" if path == "$" else f"{file}: {path}: {problems[0].reason}")
    assert "\n" not in line and "Traceback" not in line and len(line) < 400


def test_there_are_at_least_ten_kinds():
    assert len({c[0].split("-")[0] for c in CASES}) >= 10


def test_every_problem_is_reported(project, tmp_path):
    def damage(d: Data) -> None:
        d["fps"] = "fast"
        shot(d, 1)["size"] = "HUGE"
        d["characters"][0]["oops"] = 1

    root = write_damaged(project, tmp_path, damage)
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    assert sorted(p.path for p in exc.value.problems) == [
        "$.characters[0].oops", "$.fps", f"{SHOT1}.size"]
    assert str(exc.value).endswith("(and 2 more problems)")


def test_semantic_problems_are_all_reported(project, tmp_path):
    def damage(d: Data) -> None:
        d["width"] = 641
        shot(d)["selected_take_id"] = "nope"

    root = write_damaged(project, tmp_path, damage)
    with pytest.raises(ProjectError) as exc:
        load_project(root)
    assert [p.path for p in exc.value.problems] == ["$.width", f"{SHOT0}.selected_take_id"]
    assert str(exc.value).endswith("(and 1 more problem)")


def test_project_files_are_data_not_code(project, tmp_path):
    """No pickle, no eval: a string that looks like code stays a string."""
    project.title = "__import__('os').system('false')"
    project.shot("sh_2").notes = "{{7*7}} ${HOME} `id`"
    root = save_project(project, tmp_path / "code.sbproj")
    loaded = load_project(root)
    assert loaded.title == project.title and loaded.shot("sh_2").notes == "{{7*7}} ${HOME} `id`"


def test_json_path_and_problem_text():
    assert json_path(["sequences", 0, "shots", 12, "dialogue", 1, "audio"]) == (
        "$.sequences[0].shots[12].dialogue[1].audio")
    assert json_path([]) == "$"
    assert str(Problem("p.json", "$.fps", "bad")) == "p.json: $.fps: bad"
