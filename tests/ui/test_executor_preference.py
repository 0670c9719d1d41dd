"""Issue 19: the "Run generators on…" preference picks the executor of the next batch; an
unreachable Ray cluster falls back to local worker processes and says so."""

from __future__ import annotations

import pytest

from storyboard_app.generation.executors import ExecutorChoice, lazy_executor_factory
from storyboard_app.generation.jobs import LocalProcessExecutor
from storyboard_app.model import Document, Project


def test_the_preference_is_stored_and_picks_the_executor_of_the_next_service(make_window, tmp_path):
    document = Document(Project(title="t"), tmp_path / "p.sbproj")
    document.save()
    window = make_window(document)
    assert window.generation.executor_choice == ExecutorChoice()
    first = window.generation.service()
    window.choose_executor("ray://farm.example:10001")
    assert window.settings.value("generation/ray_address") == "ray://farm.example:10001"
    assert window.generation.executor_choice == ExecutorChoice("ray", "ray://farm.example:10001", fallback=True)
    second = window.generation.service()  # not busy: remade for the new choice
    assert second is not first
    assert second.executor_factory is not LocalProcessExecutor
    window.choose_executor("")
    assert window.generation.executor_choice == ExecutorChoice()
    assert window.generation.service().executor_factory is LocalProcessExecutor


def test_an_unreachable_cluster_falls_back_to_local_workers_with_a_message():
    pytest.importorskip("ray")
    notes: list[str] = []
    factory = lazy_executor_factory(ExecutorChoice("ray", "127.0.0.1:9", fallback=True), notes.append)
    executor = factory(lambda event: None)
    try:
        assert isinstance(executor, LocalProcessExecutor)
    finally:
        executor.shutdown()
    assert notes and "cannot reach the Ray cluster at 127.0.0.1:9" in notes[0]
