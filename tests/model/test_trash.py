"""Deleted takes' files go to the bundle's trash, come back on undo even after a save, and are
deleted only by an explicit empty or after the retention period (issue 12, point 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storyboard_app.model import Document, Take, TakeStatus
from storyboard_app.model import commands as cmd
from storyboard_app.model.bundle import prune_unreferenced_takes
from storyboard_app.model.trash import (
    RETENTION_DAYS,
    list_trash,
    purge_trash,
    restore_referenced,
    trash_root,
    trash_unreferenced_takes,
)


@pytest.fixture
def doc(project, tmp_path) -> Document:
    """The sample project saved, with its two finished takes' files on disk."""
    document = Document(project, tmp_path / "t.sbproj")
    document.save()
    for take in project.shot("sh_1").takes:
        if take.media_path:
            path = document.paths.root / take.media_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"clip {take.id}".encode())
    return document


def delete_take(doc: Document, take_id: str) -> str:
    relative = doc.project.shot("sh_1").take(take_id).media_path
    doc.apply(cmd.remove_take(doc.project, "sh_1", take_id))
    doc.save()
    return relative


def test_a_deleted_takes_file_goes_to_the_trash_not_away(doc):
    relative = delete_take(doc, "tk_1")
    moved = trash_unreferenced_takes(doc.project, doc.bundle, grace=0)
    assert not (doc.bundle / relative).exists()
    assert [m.read_bytes() for m in moved] == [b"clip tk_1"]
    assert trash_root(doc.bundle) in moved[0].parents
    assert [e.relative for e in list_trash(doc.bundle)] == [relative]
    assert (doc.bundle / "media/takes/s1_tk_3.mp4").exists()  # referenced: untouched


def test_the_old_prune_name_no_longer_deletes(doc, monkeypatch):
    import storyboard_app.model.trash as trash

    monkeypatch.setattr(trash, "IN_FLIGHT_GRACE", 0.0)
    relative = delete_take(doc, "tk_1")
    prune_unreferenced_takes(doc.project, doc.bundle)
    assert not (doc.bundle / relative).exists()
    assert [e.relative for e in list_trash(doc.bundle)] == [relative]


def test_undo_after_save_gets_the_file_back_on_the_next_save(doc):
    relative = delete_take(doc, "tk_1")
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0)
    doc.undo()
    doc.save()  # any save restores referenced files from the trash
    assert (doc.bundle / relative).read_bytes() == b"clip tk_1"
    assert list_trash(doc.bundle) == []
    assert not trash_root(doc.bundle).exists()  # empty folders are tidied


def test_restore_referenced_directly(doc):
    relative = delete_take(doc, "tk_1")
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0)
    doc.undo()
    assert [p.name for p in restore_referenced(doc.project, doc.bundle)] == [relative.rsplit("/", 1)[1]]
    assert (doc.bundle / relative).exists()


def test_recent_files_may_belong_to_a_running_batch_and_are_left_alone(doc):
    # A batch (here or in another process) links its clip before its take is recorded.
    in_flight = doc.bundle / "media/takes/sh_2/take_new.mp4"
    in_flight.parent.mkdir(parents=True)
    in_flight.write_bytes(b"just linked")
    assert trash_unreferenced_takes(doc.project, doc.bundle) == []
    assert in_flight.exists()


def test_a_trashed_file_a_batch_later_records_comes_back(doc):
    late = doc.bundle / "media/takes/sh_2/take_late.mp4"
    late.parent.mkdir(parents=True)
    late.write_bytes(b"late")
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0)
    assert not late.exists()
    doc.apply(cmd.record_take(doc.project, "sh_2", Take(id="take_late", generator_id="sketch",
                                                         media_path="media/takes/sh_2/take_late.mp4",
                                                         status=TakeStatus.DONE)))
    doc.save()
    assert late.read_bytes() == b"late"


def test_empty_deletes_only_what_nothing_refers_to(doc):
    gone = delete_take(doc, "tk_1")
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0)
    # The in-memory project refers to tk_3; pretend its file was trashed by another session.
    keep = doc.bundle / "media/takes/s1_tk_3.mp4"
    batch = trash_root(doc.bundle) / "20250101T000000Z-abcdef"
    (batch / "media/takes").mkdir(parents=True)
    keep.rename(batch / "media/takes/s1_tk_3.mp4")
    removed = purge_trash(doc.bundle, doc.project)
    assert [e.relative for e in removed] == [gone]
    assert keep.read_bytes() == b"clip tk_3"  # restored, not deleted
    assert list_trash(doc.bundle) == []


def test_retention_drops_only_old_batches(doc):
    delete_take(doc, "tk_1")
    now = datetime.now(UTC)
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0, now=now - timedelta(days=RETENTION_DAYS + 1))
    old = list_trash(doc.bundle)
    assert len(old) == 1
    doc.apply(cmd.remove_take(doc.project, "sh_1", "tk_3"))
    doc.save()
    # The next save's trash pass moves tk_3 in and drops the batch older than the retention.
    trash_unreferenced_takes(doc.project, doc.bundle, grace=0, now=now)
    assert [e.relative for e in list_trash(doc.bundle)] == ["media/takes/s1_tk_3.mp4"]
    assert not old[0].path.exists()


def test_an_unknown_folder_in_the_trash_is_left_alone(doc):
    stray = trash_root(doc.bundle) / "notes" / "keep.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("mine")
    purge_trash(doc.bundle, doc.project)
    assert stray.read_text() == "mine"
