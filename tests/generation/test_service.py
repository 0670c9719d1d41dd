from __future__ import annotations

import shutil
import time

import pytest

from storyboard_app.generation.service import GenerationService, generate_shots
from storyboard_app.media.ffmpeg import probe
from storyboard_app.model import TakeStatus
from storyboard_app.model.commands import set_shot


def partials(root) -> list:
    return [p for p in root.rglob("*") if ".part" in p.name]


def test_every_shot_gets_a_take_and_a_second_run_generates_nothing(make_document):
    doc = make_document(["market at night", "alley in rain", "a key on a table"])
    report = generate_shots(doc)
    assert (report.generated, report.cached, report.failed) == (3, 0, [])
    for shot in doc.project.all_shots():
        take = shot.selected_take
        assert take is not None and take.status == TakeStatus.DONE and take.generator_id == "sketch"
        clip = doc.paths.media_path(take.media_path)
        assert take.media_path.startswith(f"media/takes/{shot.id}/") and probe(clip).width == 160
    again = generate_shots(doc)
    assert (again.generated, again.up_to_date) == (0, 3)
    assert all(len(s.takes) == 1 for s in doc.project.all_shots())


def test_editing_one_prompt_regenerates_exactly_that_shot(make_document):
    doc = make_document(["market at night", "alley in rain", "a key on a table"])
    generate_shots(doc)
    shot = doc.project.all_shots()[1]
    doc.apply(set_shot(shot.id, "prompt", "alley in snow"))
    report = generate_shots(doc)
    assert (report.generated, report.up_to_date) == (1, 2)
    assert len(shot.takes) == 2 and shot.selected_take_id == shot.takes[-1].id
    doc.undo()  # back to the old prompt: its clip is still cached → a take from cache, no generation
    report = generate_shots(doc)
    assert report.generated == 0 and report.up_to_date + report.cached == 3


def test_cached_clip_becomes_a_new_take_and_deleting_the_cache_loses_no_take(make_document):
    doc = make_document(["market at night"])
    generate_shots(doc)
    shot = doc.project.all_shots()[0]
    first = shot.selected_take
    shot.takes.clear()
    shot.selected_take_id = None
    report = generate_shots(doc)
    assert report.cached == 1 and report.generated == 0
    shutil.rmtree(doc.paths.cache)
    assert doc.paths.media_path(first.media_path).is_file()
    assert doc.paths.media_path(shot.selected_take.media_path).is_file()


def test_reroll_generates_with_a_new_recorded_seed(make_document):
    doc = make_document(["market at night"])
    generate_shots(doc)
    shot = doc.project.all_shots()[0]
    report = generate_shots(doc, reroll=True)
    assert report.generated == 1
    assert shot.takes[0].seed != shot.takes[1].seed and shot.selected_take_id == shot.takes[1].id


def test_a_pinned_take_stays_selected(make_document):
    from storyboard_app.model.commands import select_take

    doc = make_document(["market at night"])
    generate_shots(doc)
    shot = doc.project.all_shots()[0]
    doc.apply(select_take(doc.project, shot.id, shot.takes[0].id))
    generate_shots(doc, reroll=True)
    assert len(shot.takes) == 2 and shot.selected_take_id == shot.takes[0].id


def test_failures_are_recorded_on_their_takes_while_the_others_finish(make_document, fake_generator):
    doc = make_document(["fine one", "boom", "hang", "die", "fine two"], generator=fake_generator)
    doc.project.generator_settings[fake_generator] = {"timeout": 3}
    started = time.monotonic()
    report = generate_shots(doc)
    assert time.monotonic() - started < 30
    assert report.generated == 2
    errors = dict(report.failed)
    assert "the model exploded" in errors["2"]
    assert "timed out after 3 s" in errors["3"]
    assert "worker process died" in errors["4"] and "exit code 3" in errors["4"]
    shots = doc.project.all_shots()
    for shot in (shots[1], shots[2], shots[3]):
        assert shot.takes[-1].status == TakeStatus.FAILED and shot.takes[-1].error
        assert shot.selected_take_id is None
    for shot in (shots[0], shots[4]):
        assert shot.selected_take.status == TakeStatus.DONE
    assert partials(doc.paths.root) == []


def test_cancel_mid_batch_leaves_no_partial_file(make_document, fake_generator):
    doc = make_document(["slow a", "slow b", "slow c", "slow d"], generator=fake_generator)
    seen = []
    cancel_at = []

    def on_event(event):
        seen.append(event)
        if event.message.startswith("step 5") and not cancel_at:
            cancel_at.append(time.monotonic())

    report = generate_shots(doc, on_event=on_event, cancelled=lambda: bool(cancel_at))
    assert report.generated == 0 and report.cancelled == 4
    assert partials(doc.paths.root) == []
    assert not list((doc.paths.cache / "clips").rglob("*.mp4"))
    assert all(not s.takes for s in doc.project.all_shots())  # a cancel is not a failure


def test_events_report_progress_then_a_final_outcome(make_document, fake_generator):
    doc = make_document(["slow a"], generator=fake_generator)
    service = GenerationService(doc.paths.root)
    events = []
    handle = service.start(service.plan(doc.project), events.append)
    assert handle.wait(60)
    fractions = [e.fraction for e in events if e.outcome is None and e.state == "running"]
    assert fractions and fractions == sorted(fractions)
    assert events[-1].outcome == "generated" and events[-1].take is not None


@pytest.mark.parametrize("jobs", [1, 2])
def test_jobs_option_is_respected(make_document, jobs):
    doc = make_document(["market at night", "alley"])
    assert generate_shots(doc, jobs=jobs).generated == 2


def test_a_broken_generator_plugin_is_one_clear_error(make_document):
    from storyboard_app.generation.registry import (
        GeneratorLoadError,
        register_generator,
        unregister_generator,
    )

    register_generator("broken", "no_such_module_anywhere:Generator")
    try:
        doc = make_document(["x"], generator="broken")
        with pytest.raises(GeneratorLoadError, match="no_such_module_anywhere:Generator could not be loaded"):
            generate_shots(doc)
    finally:
        unregister_generator("broken")
