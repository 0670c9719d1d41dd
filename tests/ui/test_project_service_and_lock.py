"""The GUI keeps one generation service per open project, holds the project's lock while it is
open, and opens a project another process is writing read-only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from test_generation_and_export import small_example

from storyboard_app.model import Document

HOLD = textwrap.dedent("""
    import sys, time
    from storyboard_app.model.lock import acquire
    lock = acquire(sys.argv[1], program="other-app")
    print("held", flush=True)
    time.sleep(60)
""")


def test_one_service_serves_every_batch_and_stops_with_the_window(make_window, qtbot, tmp_path):
    window = make_window(Document.open(small_example(tmp_path, shots=2)))
    controller = window.generation
    first, second = window.session.project.all_shots()[:2]
    controller.generate([first.id])
    qtbot.waitUntil(lambda: not controller.running and bool(first.takes), timeout=60000)
    service = controller.service()
    workers = [w.process for w in service._executor._workers]
    assert workers and all(p.is_alive() for p in workers)  # kept warm between batches
    controller.generate([second.id])
    qtbot.waitUntil(lambda: not controller.running and bool(second.takes), timeout=60000)
    assert controller.service() is service and [w.process for w in service._executor._workers][:1] == workers[:1]
    window.session.document.history.mark_saved()
    window.close()
    assert service._closed and all(not p.is_alive() for p in workers)


def test_the_lock_is_held_while_open_and_released_on_close(make_window, tmp_path):
    bundle = small_example(tmp_path, shots=1)
    window = make_window()
    assert window.open_project(bundle)
    assert f'"pid": {os.getpid()}' in (bundle / ".lock").read_text()
    window.session.document.history.mark_saved()
    window.close()
    assert not (bundle / ".lock").exists()


def test_a_project_another_process_writes_opens_read_only(make_window, tmp_path):
    bundle = small_example(tmp_path, shots=1)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(bundle)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline().strip() == "held"
        before = (bundle / "project.json").read_bytes()
        window = make_window()
        messages: list[str] = []
        assert window.open_project(bundle)
        window.session.message.connect(messages.append)
        document = window.session.document
        assert f"process {holder.pid}" in document.read_only and "other-app" in document.read_only
        assert "read-only" in window.statusBar().currentMessage()
        window.session.project.title = "edited here"
        assert not window.save()
        assert messages and "in use by" in messages[-1]
        assert (bundle / "project.json").read_bytes() == before  # the other side's file is untouched
        window.session.document.history.mark_saved()
    finally:
        holder.kill()
        holder.wait()
