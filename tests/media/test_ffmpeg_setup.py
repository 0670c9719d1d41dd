"""A missing or broken ffmpeg is one clear error that names ffmpeg and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storyboard_app.media import ffmpeg
from storyboard_app.media.ffmpeg import FFmpegSetupError, ffmpeg_exe


@pytest.fixture
def fresh_exe(monkeypatch):
    """ffmpeg_exe() is cached per process: start each case from scratch and restore after."""
    ffmpeg_exe.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    ffmpeg_exe.cache_clear()


def broken_binaries(tmp_path: Path) -> dict[str, Path]:
    missing = tmp_path / "no" / "ffmpeg"
    not_exec = tmp_path / "not-executable"
    not_exec.write_bytes(b"\x7fELF not really")
    not_exec.chmod(0o644)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(os.urandom(256))
    garbage.chmod(0o755)
    wrong = tmp_path / "wrong-program"
    wrong.write_text("#!/bin/sh\necho 'this is not ffmpeg' >&2\nexit 3\n")
    wrong.chmod(0o755)
    return {"does not exist": missing, "is not executable": not_exec, "cannot be run": garbage,
            "does not run as ffmpeg": wrong}


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_broken_override_is_a_clear_setup_error(fresh_exe, tmp_path):
    for reason, path in broken_binaries(tmp_path).items():
        fresh_exe.setenv("IMAGEIO_FFMPEG_EXE", str(path))
        ffmpeg_exe.cache_clear()
        with pytest.raises(FFmpegSetupError) as info:
            ffmpeg_exe()
        message = str(info.value)
        assert "ffmpeg" in message and str(path) in message and reason in message, message
        assert "IMAGEIO_FFMPEG_EXE" in message and "\n" not in message


def test_every_ffmpeg_call_reports_the_setup_error(fresh_exe, tmp_path):
    fresh_exe.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "missing-ffmpeg"))
    with pytest.raises(FFmpegSetupError, match="IMAGEIO_FFMPEG_EXE"):
        ffmpeg.run_ffmpeg(["-version"])
    with pytest.raises(FFmpegSetupError):
        ffmpeg.probe(Path(__file__))


def test_a_working_override_is_used(fresh_exe):
    real = ffmpeg_exe()
    ffmpeg_exe.cache_clear()
    fresh_exe.setenv("IMAGEIO_FFMPEG_EXE", real)
    assert ffmpeg_exe() == real


@pytest.mark.slow
def test_cli_prints_one_line_naming_ffmpeg_and_the_fix(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
    from render_fixtures import build_document

    document = build_document(tmp_path)
    env = dict(os.environ, IMAGEIO_FFMPEG_EXE=str(tmp_path / "nowhere" / "ffmpeg"),
               PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-m", "storyboard_app.cli", "render", str(document.paths.root),
                             "-o", str(tmp_path / "out.mp4")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "ffmpeg is not usable" in errors[0] and "IMAGEIO_FFMPEG_EXE" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.mp4").exists()
