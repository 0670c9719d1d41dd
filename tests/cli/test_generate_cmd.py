"""``generate`` under real use: another process on the project, a failing batch thread, and
interrupts (kill -9 of the CLI, SIGTERM) that must leave no process running and lose no take."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from storyboard_app.cli import main
from storyboard_app.generation.cache import ClipCache
from storyboard_app.generation.registry import register_generator, unregister_generator
from storyboard_app.model import Document, TakeStatus, load_project

GENERATION_TESTS = Path(__file__).resolve().parents[1] / "generation"
sys.path.insert(0, str(GENERATION_TESTS))
from generation_fixtures import make_project  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(GENERATION_TESTS), *sys.path])}
#: the CLI in a child process, with the test generators registered
CLI = textwrap.dedent("""
    import sys
    from storyboard_app.generation.registry import register_generator
    register_generator("fake", "fake_generators:FakeGenerator")
    from storyboard_app.cli import main
    sys.exit(main(sys.argv[1:]))
""")
HOLD = textwrap.dedent("""
    import sys, time
    from storyboard_app.model.lock import acquire
    lock = acquire(sys.argv[1], program="holder-test")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
""")

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process tree read from /proc")


@pytest.fixture
def fake():
    register_generator("fake", "fake_generators:FakeGenerator")
    yield "fake"
    unregister_generator("fake")


def make_bundle(tmp_path: Path, prompts: list[str]) -> Path:
    project = make_project(prompts)
    project.generator = "fake"
    root = tmp_path / "p.sbproj"
    Document(project, root).save()
    return root


def hold_lock(bundle: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(bundle), str(seconds)], stdout=subprocess.PIPE,
                            text=True, env=ENV)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _proc_state(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, command name) of a live process; None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
    return int(ppid), state, name


def descendants(pid: int) -> dict[int, str]:
    """Every live process below ``pid`` (pid -> command name)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := _proc_state(int(entry.name))) is not None:
            table[int(entry.name)] = info
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _state, name) in table.items():
            if ppid == parent and child not in found:
                found[child] = name
                frontier.append(child)
    return found


def alive(pid: int) -> bool:
    info = _proc_state(pid)
    return info is not None and info[1] not in ("Z", "X")


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLI, *args], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def clips(bundle: Path) -> list[Path]:
    return [p for p in (bundle / "cache" / "clips").rglob("*.mp4") if ".part" not in p.name]


# --------------------------------------------------------------------------- two processes


def test_a_second_process_gets_a_clear_error_naming_the_holder(tmp_path, fake, capsys):
    bundle = make_bundle(tmp_path, ["a"])
    holder = hold_lock(bundle, 60)
    try:
        assert main(["generate", str(bundle)]) == 1
        err = capsys.readouterr().err
        assert "in use by" in err and f"process {holder.pid}" in err and "--wait" in err
        assert load_project(bundle).all_shots()[0].takes == []  # nothing generated, nothing written
    finally:
        holder.kill()
        holder.wait()


def test_with_wait_the_second_process_waits_for_the_first(tmp_path, fake, capsys):
    bundle = make_bundle(tmp_path, ["a"])
    holder = hold_lock(bundle, 2)
    started = time.monotonic()
    assert main(["generate", str(bundle), "--wait"]) == 0
    assert time.monotonic() - started > 1.0
    assert holder.wait(10) == 0
    assert load_project(bundle).all_shots()[0].selected_take.status == TakeStatus.DONE
    assert not (bundle / ".lock").exists()  # released when the command ended


# --------------------------------------------------------------------------- a failing batch thread


def test_an_exception_in_the_batch_thread_fails_the_shots_and_the_exit_code(tmp_path, fake, capsys, monkeypatch):
    bundle = make_bundle(tmp_path, ["a", "b"])

    def broken_put(self, request_hash, finished_file):  # noqa: ANN001
        raise RuntimeError("injected fault in the batch thread")

    monkeypatch.setattr(ClipCache, "put", broken_put)
    assert main(["generate", str(bundle)]) == 1
    out = capsys.readouterr().out
    assert "2 failed" in out and "injected fault in the batch thread" in out
    assert all(s.takes[-1].status == TakeStatus.FAILED for s in load_project(bundle).all_shots())


# --------------------------------------------------------------------------- interrupts


@needs_proc
def test_kill_9_of_the_cli_mid_generate_leaves_no_worker_or_ffmpeg_running(tmp_path):
    bundle = make_bundle(tmp_path, ["ffslow a", "ffslow b"])
    cli = start_cli("generate", str(bundle))
    below: dict[int, str] = {}
    try:
        def ffmpeg_running() -> bool:
            below.update(descendants(cli.pid))
            return sum("ffmpeg" in name for name in descendants(cli.pid).values()) >= 2

        wait_until(ffmpeg_running, 60, "both workers to run ffmpeg")
        below.update(descendants(cli.pid))
        cli.send_signal(signal.SIGKILL)
        cli.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.1)
        survivors = {p: n for p, n in below.items() if alive(p)}
        assert not survivors, f"still running 5 s after kill -9 of the CLI: {survivors}"
    finally:
        for pid in below:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if cli.poll() is None:
            cli.kill()
        cli.communicate()


@needs_proc
def test_sigterm_mid_generate_saves_the_finished_shots_and_stops_the_workers(tmp_path):
    bundle = make_bundle(tmp_path, ["quick a", "quick b", "ffslow c"])
    cli = start_cli("generate", str(bundle), "--jobs", "1")
    below: dict[int, str] = {}
    try:
        def two_done_and_third_running() -> bool:
            below.update(descendants(cli.pid))
            return len(clips(bundle)) >= 2 and any("ffmpeg" in n for n in descendants(cli.pid).values())

        wait_until(two_done_and_third_running, 90, "two finished shots and a running third")
        cli.send_signal(signal.SIGTERM)
        out, err = cli.communicate(timeout=60)
        assert cli.returncode == 130, err
        assert "interrupted" in err
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.1)
        assert not {p: n for p, n in below.items() if alive(p)}
    finally:
        for pid in below:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    shots = load_project(bundle).all_shots()
    assert [s.selected_take.status if s.selected_take else None for s in shots] == [
        TakeStatus.DONE, TakeStatus.DONE, None]
    assert shots[2].takes == []  # an interrupted shot is cancelled, not failed
    assert not (bundle / ".lock").exists()
    assert not [p for p in bundle.rglob("*") if ".part" in p.name]


def test_an_unwritable_bundle_opens_unlocked_and_a_save_says_why(tmp_path, monkeypatch):
    from storyboard_app.cli.common import open_document_for_writing
    from storyboard_app.model import lock as lock_module
    from storyboard_app.model.lock import BundleNotWritable

    bundle = make_bundle(tmp_path, ["a"])
    real_open = os.open

    def read_only_open(path, flags, *args):  # noqa: ANN001, ANN002
        if str(path).endswith(".lock") and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(lock_module.os, "open", read_only_open)
    document = open_document_for_writing(bundle)  # a render with nothing to generate still works
    assert document.lock is None and "not writable" in document.read_only
    with pytest.raises(BundleNotWritable, match="nothing can be saved there"):
        document.save()
