"""The project lock (one writing process per bundle) and refusing to overwrite edits made on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from storyboard_app.model import Document
from storyboard_app.model.lock import (
    LOCK_FILE,
    ProjectLocked,
    acquire,
    held_lock,
    host_name,
    read_holder,
)
from storyboard_app.model.ondisk import ProjectChangedOnDisk

HOLD = textwrap.dedent("""
    import sys, time
    from storyboard_app.model.lock import acquire
    lock = acquire(sys.argv[1], program="holder-test")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
""")


def hold_in_other_process(bundle: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(bundle), str(seconds)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def bundle(project, tmp_path) -> Path:
    root = tmp_path / "p.sbproj"
    Document(project, root).save()
    return root


def test_the_lock_file_names_its_holder_and_goes_on_release(bundle):
    lock = acquire(bundle)
    holder = read_holder(bundle / LOCK_FILE)
    assert (holder.pid, holder.host) == (os.getpid(), host_name()) and holder.since
    again = acquire(bundle)  # the same process shares its lock
    assert again is lock and held_lock(bundle) is lock
    again.release()
    assert (bundle / LOCK_FILE).exists()
    lock.release()
    assert not (bundle / LOCK_FILE).exists() and held_lock(bundle) is None


def test_a_second_process_gets_a_clear_error_naming_the_holder(bundle, project):
    holder = hold_in_other_process(bundle, 30)
    try:
        with pytest.raises(ProjectLocked) as info:
            acquire(bundle)
        message = info.value.summary()
        assert str(bundle / LOCK_FILE) in message and f"process {holder.pid} on {host_name()}" in message
        assert "holder-test" in message and "since" in message
        with pytest.raises(ProjectLocked):  # a save is a write: refused too, nothing written
            Document(project, bundle).save()
    finally:
        holder.kill()
        holder.wait()


def test_wait_blocks_until_the_holder_lets_go(bundle):
    holder = hold_in_other_process(bundle, 1.5)
    started = time.monotonic()
    with acquire(bundle, wait=True, timeout=60) as lock:
        assert time.monotonic() - started > 0.5 and lock.holder.pid == os.getpid()
    holder.wait()
    with pytest.raises(ProjectLocked):  # and a timeout ends the wait with the same error
        other = hold_in_other_process(bundle, 30)
        try:
            acquire(bundle, wait=True, timeout=0.5)
        finally:
            other.kill()
            other.wait()


def test_a_stale_lock_of_a_dead_process_is_taken_over(bundle):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (bundle / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": host_name(), "since": "2020-01-01T00:00:00"}))
    with acquire(bundle) as lock:
        assert read_holder(bundle / LOCK_FILE).pid == os.getpid() == lock.holder.pid
    assert not list(bundle.glob(".lock.stale*"))


def test_a_kill_9_leaves_a_lock_that_the_next_process_takes_over(bundle):
    holder = hold_in_other_process(bundle, 60)
    holder.kill()
    holder.wait()
    assert read_holder(bundle / LOCK_FILE).pid == holder.pid
    with acquire(bundle):
        pass


def test_a_lock_held_on_another_host_is_never_taken_over(bundle):
    (bundle / LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "other-machine", "since": "2020-01-01T00:00:00"}))
    with pytest.raises(ProjectLocked, match="process 1 on other-machine.*delete"):
        acquire(bundle)


def test_save_refuses_to_overwrite_edits_another_process_saved_meanwhile(bundle):
    mine = Document.open(bundle)
    theirs = Document.open(bundle)
    theirs.project.title = "their title"
    theirs.save()
    mine.project.title = "my title"
    with pytest.raises(ProjectChangedOnDisk, match="project.json.*changed on disk"):
        mine.save()
    assert Document.open(bundle).project.title == "their title"  # their edit survives


def test_a_touch_without_a_content_change_is_not_a_conflict(bundle):
    doc = Document.open(bundle)
    later = time.time() + 5
    os.utime(bundle / "project.json", (later, later))
    doc.project.title = "changed"
    doc.save()
    doc.project.title = "changed again"  # its own saves never count as someone else's
    doc.save()
    assert Document.open(bundle).project.title == "changed again"


def test_a_document_holding_the_lock_saves_while_others_are_refused(bundle):
    doc = Document.open(bundle)
    doc.acquire_lock()
    try:
        code = subprocess.run(
            [sys.executable, "-c", "import sys; from storyboard_app.model import Document; "
             "d = Document.open(sys.argv[1]); ok = d.try_acquire_lock(); print(ok, d.read_only)", str(bundle)],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert code.stdout.startswith("False") and f"process {os.getpid()}" in code.stdout
        doc.project.title = "saved under my lock"
        doc.save()
    finally:
        doc.release_lock()
    assert not (bundle / LOCK_FILE).exists()


def test_a_read_only_bundle_is_one_clear_error_not_a_lock_fault(bundle, monkeypatch):
    from storyboard_app.model import lock as lock_module
    from storyboard_app.model.lock import BundleNotWritable

    real_open = os.open

    def read_only_open(path, flags, *args):  # noqa: ANN001, ANN002 - a folder we may not write
        if str(path).endswith(LOCK_FILE) and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(lock_module.os, "open", read_only_open)
    with pytest.raises(BundleNotWritable, match="p.sbproj: the project folder is not writable"):
        acquire(bundle)
    doc = Document.open(bundle)
    assert not doc.try_acquire_lock() and "not writable" in doc.read_only
