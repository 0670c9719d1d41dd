"""Cheap and deep damage checks on real clips, and takes that never share an inode with the cache."""

from __future__ import annotations

import pytest
from media_clip_fixtures import make_clip, truncate_half

from storyboard_app.files import copy_media
from storyboard_app.media.integrity import MediaRecord, deep_problem, measure, quick_problem


def test_copy_media_gives_an_independent_file(tmp_path):
    source = make_clip(tmp_path / "cache" / "entry.mp4")
    target = tmp_path / "media" / "takes" / "take.mp4"
    copy_media(source, target)
    assert target.read_bytes() == source.read_bytes()
    assert source.stat().st_ino != target.stat().st_ino
    size = source.stat().st_size
    truncate_half(target)
    assert source.stat().st_size == size and quick_problem(source, size) is None
    with target.open("wb") as f:  # rewriting the take in place leaves the cache entry alone too
        f.write(b"junk")
    assert source.stat().st_size == size


def test_no_partial_files_are_left_beside_the_copy(tmp_path):
    source = make_clip(tmp_path / "a.mp4")
    copy_media(source, tmp_path / "out" / "b.mp4")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b.mp4"]


@pytest.mark.parametrize("faststart", [False, True])
def test_measure_reads_frames_and_duration_from_the_header(tmp_path, faststart):
    clip = make_clip(tmp_path / "c.mp4", frames=24, fps=12, faststart=faststart)
    record = measure(clip)
    assert record == MediaRecord(24, 2.0, clip.stat().st_size)


@pytest.mark.parametrize("faststart", [False, True])
def test_quick_check_sees_a_truncated_clip_even_without_a_record(tmp_path, faststart):
    clip = make_clip(tmp_path / "c.mp4", faststart=faststart)
    record = measure(clip)
    assert quick_problem(clip, record.size_bytes) is None
    truncate_half(clip)
    assert "truncated" in quick_problem(clip)
    assert "recorded" in quick_problem(clip, record.size_bytes)


def test_quick_check_names_missing_empty_and_non_mp4_files(tmp_path):
    assert quick_problem(tmp_path / "nope.mp4") == "file is missing"
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert quick_problem(tmp_path / "empty.mp4") == "file is empty"
    (tmp_path / "text.mp4").write_text("hello, not a video")
    assert "not an MP4" in quick_problem(tmp_path / "text.mp4")


def test_deep_check_decodes_and_counts_frames(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", frames=24)
    assert deep_problem(clip, MediaRecord(24, 2.0)) is None
    # More frames recorded than the file holds (the size check cannot see this): decoding does.
    assert deep_problem(clip, MediaRecord(frames=30)) == "truncated: 24 of 30 recorded frames decode"
    assert "truncated" in deep_problem(clip, MediaRecord(duration_s=3.0))


def test_deep_check_finds_a_faststart_clip_cut_at_a_box_boundary(tmp_path):
    """A faststart clip whose mdat lost its tail but whose box header was rewritten to match:
    size and structure look whole, only decoding shows the missing frames."""
    import struct

    clip = make_clip(tmp_path / "c.mp4", frames=24, faststart=True)
    record = measure(clip)
    data = bytearray(clip.read_bytes())
    mdat = data.index(b"mdat") - 4
    keep = (len(data) - mdat) // 2
    data[mdat:mdat + 4] = struct.pack(">I", keep)
    cut = bytes(data[: mdat + keep])
    damaged = tmp_path / "cut.mp4"
    damaged.write_bytes(cut)
    assert quick_problem(damaged) is None  # structurally fine: only the deep check can tell
    why = deep_problem(damaged, MediaRecord(frames=record.frames))
    assert why is not None and why.startswith("truncated:")


def test_deep_check_reports_unreadable_files(tmp_path):
    clip = make_clip(tmp_path / "c.mp4")
    truncate_half(clip)
    assert deep_problem(clip) is not None
    bad = tmp_path / "still.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 50)
    assert deep_problem(bad).startswith("unreadable")


def test_copy_media_falls_back_to_a_copy_without_fcntl(tmp_path, monkeypatch):
    """Windows has no fcntl: the clone attempt must give way to a plain copy, not fail."""
    import sys

    from storyboard_app import files

    monkeypatch.setitem(sys.modules, "fcntl", None)  # "import fcntl" raises ImportError
    source = make_clip(tmp_path / "a.mp4")
    assert files._reflink(source, tmp_path / "never.mp4") is False
    copy_media(source, tmp_path / "b.mp4")
    assert (tmp_path / "b.mp4").read_bytes() == source.read_bytes()


def test_a_failed_clone_leaves_no_empty_target(tmp_path, monkeypatch):
    import fcntl

    from storyboard_app import files

    def refuse(*args):  # noqa: ANN002, ANN202
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(fcntl, "ioctl", refuse)
    source = make_clip(tmp_path / "a.mp4")
    assert files._reflink(source, tmp_path / "b.mp4") is False
    assert not (tmp_path / "b.mp4").exists()
