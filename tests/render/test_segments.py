"""The segment cache: a re-render re-encodes only what an edit touched, and is frame-identical
(every decoded frame, bit for bit) to a cold render of the same project."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from render_fixtures import COLOURS, DURATIONS, FPS, H, W, build_document, make_clip

from storyboard_app.media.ffmpeg import Cancelled, probe, run_ffmpeg
from storyboard_app.model import Document, Take, TakeStatus, Transition, TransitionKind
from storyboard_app.render import segments as seg_module
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.segments import (
    Chunk,
    EncoderSettings,
    SegmentCache,
    encode_missing,
    plan_chunks,
)
from storyboard_app.render.service import render_animatic
from storyboard_app.render.subtitles import DialogueCue
from storyboard_app.render.timeline import build_timeline


def frame_md5s(path: Path) -> list[str]:
    """The MD5 of every decoded video frame, in order."""
    out = run_ffmpeg(["-i", str(path), "-map", "0:v", "-f", "framemd5", "-"]).decode()
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def decode(path: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def rich_document(tmp_path: Path) -> Document:
    """The render fixture (dissolve s1→s2, placeholder s3, dialogue) plus a fade from black on
    s4 and a line on s1 long enough to cross the dissolve (its subtitle spans two segments)."""
    doc = build_document(tmp_path)
    doc.project.shot("s4").transition_in = Transition(TransitionKind.FADE_FROM_BLACK, 6)
    doc.project.shot("s1").dialogue[0].text = "hello there, this line runs across the dissolve"
    doc.save()
    return doc


class EncodeCounter:
    """Counts the segments each render encodes (wraps ``encode_missing``)."""

    def __init__(self, monkeypatch):
        import storyboard_app.render.export as export_module

        self.counts: list[int] = []
        real = export_module.encode_missing

        def counting(*args, **kwargs):
            n = real(*args, **kwargs)
            self.counts.append(n)
            return n

        monkeypatch.setattr(export_module, "encode_missing", counting)


def render(doc: Document, out: Path, options: ExportOptions | None = None) -> Path:
    render_animatic(doc, out, options=options or ExportOptions(), generate=False)
    return out


def new_take(doc: Document, sid: str, colour, name: str) -> None:
    frames = DURATIONS[sid]
    make_clip(doc.paths.root / "media" / "takes" / f"{name}.mp4", colour, frames)
    shot = doc.project.shot(sid)
    shot.takes.append(Take(id=name, generator_id="test", media_path=f"media/takes/{name}.mp4",
                           status=TakeStatus.DONE))
    shot.selected_take_id = name


@pytest.mark.parametrize("preset", ["preview", "delivery"])
def test_rerender_after_one_edit_is_frame_identical_to_a_cold_render(tmp_path, monkeypatch, preset):
    doc = rich_document(tmp_path)
    counter = EncodeCounter(monkeypatch)
    options = ExportOptions(preset=preset, soft_subtitles=True)  # every burn-in on, slate included
    first = render(doc, tmp_path / "first.mp4", options)
    cache = doc.paths.cache / "segments"
    cold_count = counter.counts[-1]
    timeline = build_timeline(doc.project, doc.paths.root, slate_frames=int(2 * FPS), fps=FPS)
    # slate | s1 | s1/s2 dissolve | s2 | s3 | s4 (fade from black inside its shot)
    assert cold_count == 6
    assert len(list(cache.glob("*.mp4"))) == 6

    # the same render again: nothing is encoded
    render(doc, tmp_path / "again.mp4", options)
    assert counter.counts[-1] == 0
    assert frame_md5s(tmp_path / "again.mp4") == frame_md5s(first)

    # one edit: a new (yellow) take for s2, which a dissolve joins to s1
    new_take(doc, "s2", (230, 220, 30), "s2b")
    doc.save()
    warm = render(doc, tmp_path / "warm.mp4", options)
    assert counter.counts[-1] == 2  # s2's body and the dissolve into it; s1, s3, s4, slate reused

    cold_bundle = tmp_path / "cold" / "tiny.sbproj"
    shutil.copytree(doc.paths.root, cold_bundle, ignore=shutil.ignore_patterns("cache"))
    cold_doc = Document.open(cold_bundle)
    cold = render(cold_doc, tmp_path / "cold.mp4", options)
    assert counter.counts[-1] == cold_count  # really cold

    total = timeline.total_frames
    warm_md5, cold_md5 = frame_md5s(warm), frame_md5s(cold)
    assert len(warm_md5) == len(cold_md5) == total
    assert warm_md5 == cold_md5
    # and the edit is there: s2's middle is yellow now, s4 still blue
    frames = decode(warm).astype(int)
    s2_mid = timeline.slate_frames + DURATIONS["s1"] + DURATIONS["s2"] // 2
    assert np.abs(frames[s2_mid, H // 2, W // 4] - (230, 220, 30)).max() < 30
    s4_mid = timeline.slate_frames + sum(DURATIONS[s] for s in ("s1", "s2", "s3")) + DURATIONS["s4"] // 2
    assert np.abs(frames[s4_mid, H // 2, W // 4] - COLOURS["s4"]).max() < 30
    # the fade from black starts dark
    s4_start = s4_mid - DURATIONS["s4"] // 2
    assert frames[s4_start, H // 2, W // 4].max() < 60
    # the mux kept sound, the soft subtitle track and the BT.709 tags
    info = probe(warm)
    assert info.audio_codec == "aac"
    tags = run_ffmpeg_probe(warm)
    assert "bt709" in tags and "mov_text" in tags
    # the first render's unchanged shots are the same frames as the warm one's
    first_md5 = frame_md5s(first)
    s1_end = timeline.slate_frames + DURATIONS["s1"] - FPS // 2
    assert first_md5[:s1_end] == warm_md5[:s1_end]


def run_ffmpeg_probe(path: Path) -> str:
    """ffmpeg's description of the file's streams (colour tags, codecs)."""
    import subprocess

    from storyboard_app.media.ffmpeg import ffmpeg_exe

    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False).stderr


def chunk_keys(doc: Document, burnins: BurnIns, slate: int = 0, cues=()) -> list[Chunk]:
    timeline = build_timeline(doc.project, doc.paths.root, slate_frames=slate, fps=FPS)
    return plan_chunks(doc.project, timeline, list(cues), burnins, EncoderSettings(W, H, FPS, "ultrafast", 23))


def test_segments_are_cut_at_hard_cuts_and_around_dissolves(tmp_path):
    doc = build_document(tmp_path)
    chunks = chunk_keys(doc, BurnIns.none())
    assert [c.sources for c in chunks] == [(0,), (0, 1), (1,), (2,), (3,)]
    assert [c.frames for c in chunks] == [21, 6, 15, 12, 20]  # the 6-frame dissolve is centred on the cut
    assert chunks[0].start == 0 and all(a.end == b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end == sum(DURATIONS.values())


def test_keys_follow_what_shapes_the_frames(tmp_path):
    doc = build_document(tmp_path)
    plain = chunk_keys(doc, BurnIns.none())
    # lengthening s2 moves s3 and s4 but does not change their frames without a timecode burn-in
    doc.project.shot("s2").duration += 6
    longer = chunk_keys(doc, BurnIns.none())
    assert longer[0].key == plain[0].key and longer[1].key == plain[1].key
    assert longer[2].key != plain[2].key
    assert [c.key for c in longer[3:]] == [c.key for c in plain[3:]]
    # with the record timecode burnt in, every later segment changes too
    tc = BurnIns(shot_label=False, subtitles=False, previz_label=False, slate=False, caption=False)
    before = chunk_keys(doc, tc)
    doc.project.shot("s2").duration -= 6
    after = chunk_keys(doc, tc)
    assert [c.key for c in after[3:]] != [c.key for c in before[3:]]
    assert after[0].key == before[0].key
    # a prompt edit changes the caption burn-in: only that shot's segments
    captions = BurnIns(shot_label=False, timecode=False, subtitles=False, previz_label=False, slate=False)
    before = chunk_keys(doc, captions)
    doc.project.shot("s3").prompt = "a different prompt"
    after = chunk_keys(doc, captions)
    assert [a.key == b.key for a, b in zip(before, after, strict=True)] == [True, True, True, False, True]
    # without captions the prompt shapes only the placeholder card (s3 has no take)
    assert chunk_keys(doc, BurnIns.none())[3].key != plain[3].key
    doc.project.shot("s1").prompt = "s1 prompt changed"
    assert chunk_keys(doc, BurnIns.none())[0].key == plain[0].key  # s1 has a take: same picture
    # a subtitle crossing a segment is part of its key; size and codec settings are in every key
    cue = DialogueCue(start_frame=2, frames=4, speaker="A", text="hi", audio=None)
    subs = BurnIns(shot_label=False, timecode=False, previz_label=False, slate=False, caption=False)
    with_cue = chunk_keys(doc, subs, cues=[cue])
    without = chunk_keys(doc, subs)
    assert with_cue[0].key != without[0].key and with_cue[2].key == without[2].key
    timeline = build_timeline(doc.project, doc.paths.root, fps=FPS)
    other = plan_chunks(doc.project, timeline, [], BurnIns.none(), EncoderSettings(W, H, FPS, "ultrafast", 18))
    assert not {c.key for c in other} & {c.key for c in chunk_keys(doc, BurnIns.none())}
    # a new take file (same path rewritten) changes the key
    path = doc.paths.root / "media" / "takes" / "s4.mp4"
    before_key = chunk_keys(doc, BurnIns.none())[4].key
    time.sleep(0.01)
    make_clip(path, (10, 10, 10), 8)
    assert chunk_keys(doc, BurnIns.none())[4].key != before_key


def test_segments_encode_in_parallel_and_a_failure_stops_the_rest(tmp_path):
    cache = SegmentCache(tmp_path / "segs")
    chunks = [Chunk(i * 10, 10, (i,), f"k{i:039d}") for i in range(6)]
    active, peak, lock = [0], [0], threading.Lock()

    def slow(chunk, temp, should_stop, frame_done):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        temp.write_bytes(b"x" * 10)
        with lock:
            active[0] -= 1
        frame_done(chunk.frames)

    progress = []
    assert encode_missing(chunks, cache, slow, workers=3, progress=lambda d, t: progress.append((d, t))) == 6
    assert peak[0] >= 2  # several encoders at once, never more than asked
    assert peak[0] <= 3
    assert progress[-1] == (60, 60)
    assert sorted(p.name for p in cache.root.iterdir()) == sorted(c.name for c in chunks)
    assert encode_missing(chunks, cache, slow, workers=3) == 0  # all cached

    failing = [Chunk(i * 10, 10, (i,), f"f{i:039d}") for i in range(6)]

    def fail_one(chunk, temp, should_stop, frame_done):
        temp.write_bytes(b"partial")
        if chunk.key.endswith("3"):
            raise RuntimeError("encoder exploded")
        for _ in range(20):
            if should_stop():
                raise Cancelled("stopped")
            time.sleep(0.02)

    with pytest.raises(RuntimeError, match="exploded"):
        encode_missing(failing, cache, fail_one, workers=2)
    names = {p.name for p in cache.root.iterdir()}
    assert not any(n.startswith(".tmp-") for n in names)  # no partial segment left
    assert f"{failing[3].key}.mp4" not in names


def test_cancel_leaves_no_partial_segment_and_no_output(tmp_path):
    doc = build_document(tmp_path)
    for sid in ("s1", "s2", "s4"):
        make_clip(doc.paths.root / "media" / "takes" / f"{sid}.mp4", COLOURS[sid], 150)
        doc.project.shot(sid).duration = 150
    cancel = threading.Event()

    def progress(stage, fraction, message):
        if stage == "export" and fraction > 0.1:
            cancel.set()

    out = tmp_path / "out.mp4"
    with pytest.raises(Cancelled):
        render_animatic(doc, out, options=ExportOptions(burnins=BurnIns.none()), generate=False,
                        progress=progress, cancelled=cancel.is_set)
    assert not out.exists()
    cache = doc.paths.cache / "segments"
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]
    # the segments that were finished are complete files a later render reuses
    for segment in cache.glob("*.mp4"):
        assert probe(segment).video_codec == "h264"


def test_sweep_bounds_the_cache_least_recently_used_first(tmp_path):
    cache = SegmentCache(tmp_path / "segs", limit_bytes=2500)
    cache.root.mkdir()
    now = time.time()
    chunks = [Chunk(0, 1, (), f"{i:040d}") for i in range(5)]
    for i, chunk in enumerate(chunks):
        path = cache.path(chunk)
        path.write_bytes(b"x" * 1000)
        age = seg_module.KEEP_RECENT_S + 1000 - i * 100  # chunk 0 is the least recently used
        os.utime(path, (now - age, now - age))
    stale_tmp = cache.root / ".tmp-1-2-abc.mp4"
    stale_tmp.write_bytes(b"x")
    os.utime(stale_tmp, (now - seg_module.STALE_TMP_S - 1,) * 2)
    fresh_tmp = cache.root / ".tmp-1-2-def.mp4"
    fresh_tmp.write_bytes(b"x")
    removed = cache.sweep(keep=[chunks[0]], now=now)
    left = sorted(p.name for p in cache.root.iterdir())
    # chunk 0 is kept (this render uses it); 1, 2 and 3 are the oldest others: two go to fit 2500
    assert cache.path(chunks[0]).name in left and cache.path(chunks[4]).name in left
    assert cache.path(chunks[1]).name not in left and cache.path(chunks[2]).name not in left
    assert stale_tmp in removed and fresh_tmp.exists()
    # segments used recently are never removed, whatever the bound
    tight = SegmentCache(cache.root, limit_bytes=0)
    os.utime(cache.path(chunks[4]), (now, now))
    tight.sweep(now=now)
    assert cache.path(chunks[4]).exists()
    assert tight.clear() > 0 and not list(cache.root.glob("[!.]*.mp4"))


def test_parallel_encoders_draw_the_same_frames_as_one(tmp_path):
    """Dissolves and fades drawn by several encoder threads at once (a shared scratch buffer once
    mixed one thread's dissolve into another's frames)."""
    from storyboard_app.model import Project, Sequence, Shot

    bundle = tmp_path / "many.sbproj"
    shots = []
    palette = [(220, 40, 40), (40, 200, 60), (40, 80, 230), (230, 220, 30), (200, 40, 200), (30, 200, 200)]
    for i in range(12):
        shot = Shot(id=f"m{i}", number=str(i + 1), prompt=f"shot {i}", duration=14)
        make_clip(bundle / "media" / "takes" / f"m{i}.mp4", palette[i % len(palette)], 14)
        shot.takes = [Take(id=f"tm{i}", generator_id="test", media_path=f"media/takes/m{i}.mp4",
                           status=TakeStatus.DONE)]
        shot.selected_take_id = f"tm{i}"
        kind = TransitionKind.DISSOLVE if i % 2 else TransitionKind.FADE_FROM_BLACK
        shot.transition_in = Transition(kind, 10)
        shots.append(shot)
    doc = Document(Project(title="Many", fps=FPS, width=W, height=H, sequences=[Sequence("q", "S", shots)]), bundle)
    doc.save()
    outputs = []
    for workers in (1, 4, 4):
        out = tmp_path / f"w{workers}-{len(outputs)}.mp4"
        render_animatic(doc, out, options=ExportOptions(burnins=BurnIns.none(), workers=workers, width=1280, height=720,
                                                        segment_cache=tmp_path / f"cache{len(outputs)}"),
                        generate=False)
        outputs.append(frame_md5s(out))
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("slate", [0, 5])
def test_fast_cutting_matches_the_plan_of_every_frame(tmp_path, slate):
    """``plan_chunks`` skips shot interiors; its cuts must be those of ``frame_plan`` per frame,
    whatever the transitions (dissolves longer than half a shot, fades, a dissolve then a fade)."""
    from storyboard_app.render.timeline import frame_plan

    doc = build_document(tmp_path)
    shots = doc.project.all_shots()
    cases = [(TransitionKind.DISSOLVE, 17), (TransitionKind.FADE_FROM_BLACK, 12), (TransitionKind.DISSOLVE, 2),
             (TransitionKind.CUT, 0)]
    for rotation in range(len(cases)):
        for i, shot in enumerate(shots):
            kind, frames = cases[(i + rotation) % len(cases)]
            shot.transition_in = Transition(kind, frames)
        timeline = build_timeline(doc.project, doc.paths.root, slate_frames=slate, fps=FPS)
        expected: list[tuple[int, int, tuple]] = []
        for n in range(timeline.total_frames):
            _, plan = frame_plan(timeline, n)
            sources = seg_module._sources(plan)
            if expected and expected[-1][2] == sources:
                expected[-1] = (expected[-1][0], expected[-1][1] + 1, sources)
            else:
                expected.append((n, 1, sources))
        chunks = plan_chunks(doc.project, timeline, [], BurnIns.none(), EncoderSettings(W, H, FPS, "ultrafast", 23))
        assert [(c.start, c.frames) for c in chunks] == [(s, f) for s, f, _ in expected]


def test_sweep_counts_and_removes_cached_soundtracks_too(tmp_path):
    cache = SegmentCache(tmp_path / "segs", limit_bytes=1500)
    cache.root.mkdir()
    now = time.time()
    old = now - seg_module.KEEP_RECENT_S - 100
    audio = cache.root / "audio-0123.m4a"
    audio.write_bytes(b"a" * 1000)
    os.utime(audio, (old - 50, old - 50))
    segment = cache.root / f"{'1' * 40}.mp4"
    segment.write_bytes(b"s" * 1000)
    os.utime(segment, (old, old))
    assert cache.size() == 2000
    assert cache.sweep(now=now) == [audio]  # the least recently used goes first, then it fits
    assert segment.exists()


@pytest.fixture
def tiny_tmpfs(tmp_path):
    import subprocess

    mount = tmp_path / "full"
    mount.mkdir()
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_under_the_segment_cache_is_one_error_and_leaves_no_partial_segment(tmp_path, tiny_tmpfs):
    from storyboard_app.render.export import DiskFullError

    doc = build_document(tmp_path)
    out = tmp_path / "out.mp4"
    with pytest.raises(DiskFullError, match=r"out\.mp4"):
        render_animatic(doc, out, options=ExportOptions(segment_cache=tiny_tmpfs / "segments", workers=2),
                        generate=False)
    assert not out.exists()
    assert [p.name for p in (tiny_tmpfs / "segments").iterdir() if p.name.startswith(".tmp-")] == []


def test_the_cues_of_a_segment_are_found_by_bisect_as_by_a_scan():
    import random

    rng = random.Random(7)
    spans = seg_module._CueSpans([(rng.randrange(0, 1000), rng.randrange(1, 60), "A", str(i)) for i in range(300)])
    for _ in range(2000):
        start = rng.randrange(0, 1100)
        end = start + rng.randrange(1, 80)
        assert seg_module._cues_between(spans, start, end) == [s for s in spans if s[0] < end and s[0] + s[1] > start]
