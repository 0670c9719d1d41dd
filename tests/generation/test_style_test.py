"""Issue 18.2: a style test through the generation service: N x M tagged takes, nothing
selected, cached like any take, only edited shots regenerated, adoption undoable."""

from __future__ import annotations

import pytest

from storyboard_app.generation.service import GenerationService, generate_shots
from storyboard_app.generation.style_test import (
    cell_takes,
    estimate,
    resolve_styles,
    run_style_test,
)
from storyboard_app.model import Compound, StyleTest, TakeStatus
from storyboard_app.model.style_tests import adopt_style, put_style_test, toggle_favourite


@pytest.fixture
def styled(make_document):
    doc = make_document(["night market in rain", "an alley at dusk", "a brass key"], frames=6)
    ids, commands = resolve_styles(doc.project, ["noir", "Teal-and-orange blockbuster", "st"])
    doc.apply(Compound(commands, "Add styles"))
    test = StyleTest("looks", [s.id for s in doc.project.all_shots()[:2]], ids)
    doc.apply(put_style_test(doc.project, test))
    return doc, doc.project.style_test("looks")


def test_n_styles_by_m_shots_make_n_times_m_tagged_takes_none_selected(styled):
    doc, test = styled
    assert test.style_ids == ["preset_noir", "preset_teal_orange", "st"]  # presets added, project style kept
    selected_before = {s.id: s.selected_take_id for s in doc.project.all_shots()}
    with GenerationService(doc.paths.root) as service:
        report = run_style_test(doc, test, service=service, jobs=2)
    assert report.ok and report.generated == 6, report.summary()
    takes = [t for s in doc.project.all_shots() for t in s.takes]
    assert len(takes) == 6 and all(t.status == TakeStatus.DONE for t in takes)
    assert sorted(t.style_id for t in takes) == sorted(test.style_ids * 2)
    assert {s.id: s.selected_take_id for s in doc.project.all_shots()} == selected_before  # nothing selected
    cells = cell_takes(doc.project, doc.paths.root, test)
    assert len(cells) == 6 and all(take is not None and take.style_id == sid for (_, sid), take in cells.items())
    assert len({take.request_hash for take in cells.values()}) == 6  # every cell its own picture


def test_the_whole_test_is_one_batch_of_every_shot_x_style(styled):
    """All cells go to the job runner in ONE ``GenerationService.start`` (so it schedules them
    together and can fan them out), each tagged with its style; outcomes come back per cell."""
    doc, test = styled
    with GenerationService(doc.paths.root) as service:
        started: list[list[tuple[str, str]]] = []
        original = service.start

        def spy(planned, on_event=None, jobs=None):  # noqa: ANN001, ANN202
            started.append([(p.shot_id, p.tag) for p in planned])
            return original(planned, on_event, jobs)

        service.start = spy
        events = []
        report = run_style_test(doc, test, service=service, jobs=2, on_event=lambda sid, e: events.append((sid, e)))
    cells = {(shot_id, style_id) for shot_id in test.shot_ids for style_id in test.style_ids}
    assert len(started) == 1 and len(started[0]) == 6 and set(started[0]) == cells
    assert report.ok and report.generated == 6, report.summary()
    finals = [(e.shot_id, sid) for sid, e in events if e.outcome is not None]
    assert sorted(finals) == sorted(cells) and all(sid == e.tag for sid, e in events)
    assert sorted((s.id, t.style_id) for s in doc.project.all_shots() for t in s.takes) == sorted(cells)


def test_a_runs_takes_are_one_undo_step(styled):
    """What the CLI's ``style-test`` records (it calls ``run_style_test``): one step, like the GUI."""
    doc, test = styled
    before = doc.history.labels()[0]
    with GenerationService(doc.paths.root) as service:
        run_style_test(doc, test, service=service, jobs=2)
        assert doc.history.labels()[0] == [*before, "Style test take"]
        assert sum(len(s.takes) for s in doc.project.all_shots()) == 6
        doc.project.shot(test.shot_ids[0]).prompt = "night market in rain, a lantern swinging"
        again = run_style_test(doc, test, service=service, jobs=2)  # a second run: a step of its own
    assert again.generated == 3
    assert doc.history.labels()[0] == [*before, "Style test take", "Style test take"]
    assert doc.undo() == "Style test take"
    assert sum(len(s.takes) for s in doc.project.all_shots()) == 6
    assert doc.undo() == "Style test take"
    assert sum(len(s.takes) for s in doc.project.all_shots()) == 0


def test_a_repeat_is_served_from_the_cache_and_an_edit_regenerates_only_that_shot(styled):
    doc, test = styled
    with GenerationService(doc.paths.root) as service:
        first = run_style_test(doc, test, service=service)
        again = run_style_test(doc, test, service=service)
        assert (again.generated, again.reused) == (0, 6), again.summary()
        doc.project.shot(test.shot_ids[1]).prompt = "an alley at dusk, a cat on a bin"
        edited = run_style_test(doc, test, service=service)
    assert first.generated == 6
    assert (edited.generated, edited.reused) == (3, 3), edited.summary()
    # the takes of a deleted-and-remade test come from the cache, not the generator
    for shot in doc.project.all_shots():
        shot.takes.clear()
    with GenerationService(doc.paths.root) as service:
        cached = run_style_test(doc, test, service=service)
    assert (cached.generated, cached.reused) == (0, 6)


def test_adopting_a_style_selects_its_takes_and_is_one_undo_step(styled):
    doc, test = styled
    with GenerationService(doc.paths.root) as service:
        run_style_test(doc, test, service=service)
    before = (doc.project.style_id, {s.id: (s.selected_take_id, s.take_pinned) for s in doc.project.all_shots()})
    cells = cell_takes(doc.project, doc.paths.root, test)
    chosen = {shot_id: take.id for (shot_id, sid), take in cells.items() if sid == "preset_noir"}
    doc.apply(adopt_style(doc.project, "preset_noir", chosen))
    assert doc.project.style_id == "preset_noir"
    for shot_id, take_id in chosen.items():
        assert doc.project.shot(shot_id).selected_take_id == take_id
    assert doc.undo() == "Adopt style Noir"
    assert (doc.project.style_id, {s.id: (s.selected_take_id, s.take_pinned) for s in doc.project.all_shots()}) == before
    # once adopted, ordinary generation finds those takes up to date: nothing to generate
    doc.redo()
    report = generate_shots(doc, [doc.project.shot(i) for i in test.shot_ids])
    assert report.generated == 0 and report.up_to_date == 2, report.summary()


def test_favourites_and_estimate(styled):
    doc, test = styled
    doc.apply(toggle_favourite(doc.project, "looks", "preset_noir"))
    assert doc.project.style_test("looks").favourites == ["preset_noir"]
    shots, styles, seconds, cost = estimate(doc.project, test)
    assert (shots, styles, cost) == (2, 3, "0 (local)") and 0 < seconds < 60
    with pytest.raises(KeyError, match="no style preset 'nope'"):
        resolve_styles(doc.project, ["nope"])


def test_estimate_of_a_remote_batch_says_its_cost_is_unknown(styled):
    """18.5: shots x styles, time and cost before a remote batch; no adapter reports a price."""
    from storyboard_app.generation.registry import register_generator, unregister_generator

    doc, test = styled
    register_generator("fakeremote", "fake_generators:FakeRemoteGenerator")
    try:
        assert estimate(doc.project, test, "fakeremote") == (2, 3, 60.0, "unknown")
    finally:
        unregister_generator("fakeremote")
