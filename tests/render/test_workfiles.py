"""Interrupted exports leave nothing behind; what a killed export left is swept by the next one."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from render_fixtures import COLOURS, make_clip

from storyboard_app.render import workfiles
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import DiskFullError, ExportOptions, default_export_name
from storyboard_app.render.service import render_animatic

RUNNER = """
import sys
from pathlib import Path
from storyboard_app.model import Document
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic
render_animatic(Document.open(sys.argv[1]), Path(sys.argv[2]), generate=False,
                options=ExportOptions(width=640, height=360, burnins=BurnIns(slate=False)))
print("done")
"""


def lengthen(document, frames: int) -> None:
    """Longer takes, so an export is still running when the test interrupts it."""
    for sid in ("s1", "s2", "s4"):
        make_clip(document.paths.root / "media" / "takes" / f"{sid}.mp4", COLOURS[sid], frames)
        document.project.shot(sid).duration = frames
    document.save()


def run_export(bundle: Path, out: Path, tmpdir: Path, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(bundle), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the orphaned ffmpeg")
def test_kill_9_mid_export_then_the_next_export_sweeps_and_succeeds(document, tmp_path):
    lengthen(document, 600)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    out = out_dir / "film.mp4"
    proc = run_export(document.paths.root, out, tmpdir)
    deadline = time.monotonic() + 120
    partials: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        partials = list(out_dir.glob(".film.*.part.mp4"))
        if partials and partials[0].stat().st_size > 0:
            break
        time.sleep(0.02)
    assert proc.poll() is None and partials, "the export ended before it could be killed"
    orphans = children_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for pid in orphans:  # the orphaned encoder finishes its trailer on EOF and exits
        for _ in range(200):
            if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                break
            time.sleep(0.05)
    work = list(tmpdir.glob("storyboard-export-*"))
    assert work and list(out_dir.glob(".film.*.part.mp4")), "the kill left nothing to sweep"
    record = json.loads((work[0] / "owner.json").read_text())
    assert record["pid"] == proc.pid and record["partials"] == [str(partials[0])]

    second = run_export(document.paths.root, out, tmpdir)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert out.is_file() and out.stat().st_size > 0
    assert list(out_dir.glob(".film.*.part.mp4")) == []
    assert list(tmpdir.glob("storyboard-export-*")) == []


def test_a_live_exporters_files_are_left_alone(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        folder = workfiles.WorkFolder(tmp_path)
        partial = tmp_path / ".film.1234abcd.part.mp4"
        partial.write_bytes(b"x")
        folder.claim(partial)
        record = json.loads((folder.path / "owner.json").read_text())
        record["pid"] = live.pid
        (folder.path / "owner.json").write_text(json.dumps(record))
        assert workfiles.sweep_stale(tmp_path / "film.mp4", root=tmp_path) == []
        assert partial.exists() and folder.path.exists()
        live.kill()
        live.wait()
        removed = workfiles.sweep_stale(tmp_path / "film.mp4", root=tmp_path)
        assert set(removed) == {partial, folder.path} and not partial.exists()
    finally:
        live.kill()
        live.wait()


def test_unrecorded_partials_are_swept_only_when_old(tmp_path):
    partial = tmp_path / ".film.deadbeef.part.mp4"
    partial.write_bytes(b"x")
    assert workfiles.sweep_stale(tmp_path / "film.mp4", root=tmp_path) == []
    old = time.time() - workfiles.ORPHAN_AGE - 60
    os.utime(partial, (old, old))
    assert workfiles.sweep_stale(tmp_path / "film.mp4", root=tmp_path) == [partial]


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupt_or_error_mid_export_leaves_no_partial_and_no_work_folder(document, tmp_path, monkeypatch, error):
    lengthen(document, 200)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmpdir))

    def progress(stage, fraction, message):
        if stage == "export" and fraction > 0.2:
            raise error("stop")

    out = tmp_path / "out" / "film.mp4"
    with pytest.raises(error):
        render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False,
                        progress=progress)
    assert not out.exists() and list(out.parent.iterdir()) == []
    assert list(tmpdir.iterdir()) == []


def test_disk_full_names_the_file(document, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/somewhere/soundtrack.wav")

    monkeypatch.setattr("storyboard_app.render.export.mix_soundtrack", full)
    out = tmp_path / "film.mp4"
    with pytest.raises(DiskFullError, match=r"soundtrack\.wav.*film\.mp4"):
        render_animatic(document, out, options=ExportOptions(burnins=BurnIns.none()), generate=False)
    assert not out.exists()


@pytest.fixture
def small_tmpfs(tmp_path):
    mount = tmp_path / "full"
    mount.mkdir()
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_disk_full_on_a_real_small_filesystem(document, tmp_path, small_tmpfs):
    lengthen(document, 200)
    out = small_tmpfs / "film.mp4"
    with pytest.raises(DiskFullError) as info:
        render_animatic(document, out, options=ExportOptions(width=640, height=360, burnins=BurnIns(slate=False)),
                        generate=False)
    assert "film.mp4" in str(info.value) and "disk full" in str(info.value)
    assert list(small_tmpfs.iterdir()) == []  # the partial is gone too


@pytest.mark.slow
def test_cli_disk_full_is_one_line_and_says_whether_the_project_was_saved(document, tmp_path, small_tmpfs):
    lengthen(document, 200)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    before = (document.paths.root / "project.json").read_bytes()
    result = subprocess.run([sys.executable, "-m", "storyboard_app.cli", "render", str(document.paths.root),
                             "-o", str(small_tmpfs / "film.mp4"), "--size", "640x360"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "disk full" in errors[0] and "film.mp4" in errors[0]
    assert "project" in errors[0] and ("not saved" in errors[0] or "was saved" in errors[0]
                                      or "unchanged" in errors[0])
    if "unchanged" in errors[0]:
        assert (document.paths.root / "project.json").read_bytes() == before


def test_enlarge_pipe_without_fcntl_is_a_no_op(monkeypatch):
    """Windows has no fcntl: every export failed with ImportError."""
    from storyboard_app.render.sources import enlarge_pipe

    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl → ImportError
    read, write = os.pipe()
    try:
        with os.fdopen(read, "rb", closefd=False) as pipe:
            enlarge_pipe(pipe)
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize(("title", "name"), [
    ("Night Market", "Night Market.mp4"),
    ("A/B: take 2*?", "A-B- take 2.mp4"),
    ("../../etc/passwd", "etc-passwd.mp4"),
    ('a<b>c|d"e\\f', "a-b-c-d-e-f.mp4"),
    ("", "animatic.mp4"),
    ("...", "animatic.mp4"),
    ("CON", "CON-animatic.mp4"),
    ("真理 😀", "真理 😀.mp4"),
])
def test_default_export_names_are_safe_file_names(title, name):
    assert default_export_name(title) == name
