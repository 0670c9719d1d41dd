"""Exit codes tell the truth, ids stay inside the bundle, and a render that changes nothing
writes nothing (issue 12, points 3, 4 and 7)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from cli_failing_generators import MISSING

from storyboard_app.cli import main
from storyboard_app.generation.registry import register_generator, unregister_generator
from storyboard_app.model import Document, Project, Sequence, Shot, load_project


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tiny_bundle(tmp_path: Path, generator: str = "sketch", shot_ids: tuple[str, ...] = ("s1", "s2")) -> Path:
    shots = [Shot(id=sid, number=str(i + 1), prompt=f"shot {i}", duration=6) for i, sid in enumerate(shot_ids)]
    project = Project(title="t", fps=12, width=160, height=90, generator=generator,
                      sequences=[Sequence("q", "Scene", shots)])
    return Document(project, tmp_path / "tiny.sbproj").save()


@pytest.fixture
def missing_model():
    register_generator("missing_model", "cli_failing_generators:MissingModelGenerator")
    yield "missing_model"
    unregister_generator("missing_model")


def _read_only_writes(monkeypatch) -> None:
    """What a read-only bundle does to generation: linking a take into media/ fails.

    Tests run as root here, where chmod does not stop writes, so the failure is injected at the
    one place generation writes into the bundle.
    """
    from storyboard_app.generation import service

    def refuse(src, dst):  # noqa: ANN001
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(service, "copy_media", refuse)


# --------------------------------------------------------------------------- point 3


# The batch thread dying on the write is point 2's to report; here only the exit code matters.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_generate_on_a_read_only_bundle_exits_non_zero(tmp_path, capsys, monkeypatch):
    root = tiny_bundle(tmp_path)
    _read_only_writes(monkeypatch)
    code, out, err = run(capsys, "generate", str(root), "--jobs", "1")
    assert code == 1, out + err
    assert "0 generated" in out
    assert "2 without a result" in out or "2 failed" in out  # never "0 failed" and nothing else
    assert "shot 1" in out and "shot 2" in out


def test_render_with_failed_generation_exits_1_and_names_each_shot(tmp_path, capsys, missing_model):
    root = tiny_bundle(tmp_path, generator=missing_model)
    out_mp4 = tmp_path / "out.mp4"
    code, out, err = run(capsys, "render", str(root), "-o", str(out_mp4), "--no-burnins", "--jobs", "1")
    assert code == 1, out + err
    for number in ("1", "2"):
        assert f"placeholder: shot {number}: generation failed: " in err
    assert MISSING in err
    assert "--allow-placeholders" in err
    # the failed takes are recorded (saved), so the reason survives in the project too
    assert all(shot.takes and shot.takes[-1].error for shot in load_project(root).all_shots())


def test_render_allow_placeholders_keeps_the_old_behaviour(tmp_path, capsys, missing_model):
    root = tiny_bundle(tmp_path, generator=missing_model)
    out_mp4 = tmp_path / "out.mp4"
    code, out, err = run(capsys, "render", str(root), "-o", str(out_mp4), "--no-burnins",
                         "--allow-placeholders", "--jobs", "1")
    assert code == 0, out + err
    assert out_mp4.is_file() and "2 placeholders" in out
    assert "placeholder: shot 1:" in err  # still told why


# --------------------------------------------------------------------------- point 7


def test_render_that_changes_nothing_does_not_save(tmp_path, capsys):
    root = tiny_bundle(tmp_path)
    code, out, err = run(capsys, "generate", str(root), "--jobs", "1")
    assert code == 0, out + err
    project_file, backup = root / "project.json", root / "project.json.bak"
    before = (project_file.stat().st_ino, project_file.stat().st_mtime_ns, backup.read_bytes())
    code, out, err = run(capsys, "render", str(root), "-o", str(tmp_path / "a.mp4"), "--no-burnins")
    assert code == 0, out + err
    after = (project_file.stat().st_ino, project_file.stat().st_mtime_ns, backup.read_bytes())
    assert after == before  # not rewritten, and the backup still holds the previous version
    assert backup.read_bytes() != project_file.read_bytes()


def test_generate_with_nothing_to_do_does_not_save(tmp_path, capsys):
    root = tiny_bundle(tmp_path)
    assert run(capsys, "generate", str(root), "--jobs", "1")[0] == 0
    stamp = (root / "project.json").stat().st_mtime_ns, (root / "project.json").stat().st_ino
    code, out, err = run(capsys, "generate", str(root), "--jobs", "1")
    assert code == 0, out + err
    assert ((root / "project.json").stat().st_mtime_ns, (root / "project.json").stat().st_ino) == stamp


# --------------------------------------------------------------------------- point 4


def test_a_shot_id_that_escapes_the_bundle_is_refused_before_anything_is_written(tmp_path, capsys):
    root = tiny_bundle(tmp_path)
    data = json.loads((root / "project.json").read_text(encoding="utf-8"))
    data["sequences"][0]["shots"][0]["id"] = "../../../ESCAPED"
    (root / "project.json").write_text(json.dumps(data), encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, out, err = run(capsys, "generate", str(root), "--jobs", "1")
    assert code == 2, out + err
    assert "$.sequences[0].shots[0].id" in err and "unsafe id" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not list(tmp_path.parent.rglob("ESCAPED"))
    code, out, err = run(capsys, "validate", str(root))
    assert code == 2 and "unsafe id" in err


def test_validate_exits_2_for_json_nested_too_deeply(tmp_path, capsys):
    root = tiny_bundle(tmp_path)
    depth = 100_000
    (root / "project.json").write_text('{"schema_version": 1, "title": ' + "[" * depth + "]" * depth + "}",
                                       encoding="utf-8")
    code, out, err = run(capsys, "validate", str(root))
    assert code == 2, out + err
    assert "nested too deeply" in err and str(root / "project.json") in err


def test_validate_warns_for_an_unknown_generator(tmp_path, capsys):
    root = tiny_bundle(tmp_path, generator="no_such_generator")
    code, out, err = run(capsys, "validate", str(root))
    assert code == 0, err
    assert "warning:" in err and "$.generator" in err and "'no_such_generator' is not installed" in err
