"""Damaged takes and cache entries: never shared, detected by ``generate``, never relinked."""

from __future__ import annotations

from storyboard_app.generation.cache import ClipCache, default_cache_root
from storyboard_app.generation.service import generate_shots
from storyboard_app.model import TakeStatus


def quick_problem(path, size_bytes=None):  # noqa: ANN001, ANN201
    """Imported late so each test here fails on its own assertion on code without the check."""
    from storyboard_app.media.integrity import quick_problem as check

    return check(path, size_bytes)


def truncate_half(path) -> None:  # noqa: ANN001
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _take_and_entry(doc):  # noqa: ANN001, ANN202
    shot = doc.project.all_shots()[0]
    take = shot.selected_take
    cache = ClipCache(default_cache_root(doc.paths.root))
    return shot, take, doc.paths.media_path(take.media_path), cache, cache.path_for(take.request_hash)


def test_a_take_and_its_cache_entry_are_different_files(make_document):
    doc = make_document(["market at night"])
    generate_shots(doc)
    _, take, take_file, _, entry = _take_and_entry(doc)
    assert take_file.stat().st_ino != entry.stat().st_ino
    size = entry.stat().st_size
    truncate_half(take_file)
    assert entry.stat().st_size == size
    truncate_half(entry)
    assert take_file.stat().st_size == size // 2  # each keeps its own length


def test_takes_and_cache_entries_record_what_the_clip_is(make_document):
    doc = make_document(["market at night"], frames=12)
    generate_shots(doc)
    _, take, take_file, cache, entry = _take_and_entry(doc)
    assert (take.frames, take.duration_s, take.size_bytes) == (12, 1.0, take_file.stat().st_size)
    record = cache.record(take.request_hash)
    assert record is not None and (record.frames, record.size_bytes) == (12, entry.stat().st_size)


def test_a_truncated_take_is_not_up_to_date_and_is_replaced(make_document):
    doc = make_document(["market at night", "alley in rain"])
    generate_shots(doc)
    shot, old, take_file, _, _ = _take_and_entry(doc)
    truncate_half(take_file)
    report = generate_shots(doc)
    assert report.up_to_date == 1  # the other shot
    assert report.cached + report.generated == 1
    new = shot.selected_take
    assert new.id != old.id and new.status == TakeStatus.DONE
    assert quick_problem(doc.paths.media_path(new.media_path), new.size_bytes) is None
    assert doc.paths.media_path(new.media_path).stat().st_size == new.size_bytes


def test_a_truncated_take_with_a_truncated_cache_entry_is_generated_again(make_document):
    doc = make_document(["market at night"])
    generate_shots(doc)
    shot, old, take_file, _, entry = _take_and_entry(doc)
    truncate_half(take_file)
    truncate_half(entry)
    report = generate_shots(doc)
    assert (report.generated, report.cached, report.up_to_date) == (1, 0, 0)
    new = shot.selected_take
    assert new.id != old.id
    assert quick_problem(doc.paths.media_path(new.media_path), new.size_bytes) is None
    assert quick_problem(entry, entry.stat().st_size) is None and entry.stat().st_size == new.size_bytes


def test_a_truncated_cache_entry_is_evicted_and_regenerated_not_relinked(make_document):
    doc = make_document(["market at night"])
    generate_shots(doc)
    shot, _, _, cache, entry = _take_and_entry(doc)
    good_size = entry.stat().st_size
    shot.takes.clear()  # the shot needs a take again: only the cache could provide it
    shot.selected_take_id = None
    truncate_half(entry)
    report = generate_shots(doc)
    assert (report.generated, report.cached) == (1, 0)
    take = shot.selected_take
    assert doc.paths.media_path(take.media_path).stat().st_size == good_size
    assert entry.stat().st_size == good_size and cache.problem(take.request_hash) is None
