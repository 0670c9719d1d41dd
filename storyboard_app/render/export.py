"""Writing the animatic MP4, at close to ffmpeg's own speed, incrementally.

* The video is encoded as segments (render/segments.py): runs of frames made from the same
  sources, each drawn by a fresh ``FrameComposer`` (or, for a shot's body, decoded and burnt in by
  the encoder's own ffmpeg: render/fused.py) and encoded by its own x264 run with the same
  settings, several at once; segments already in the cache are reused, then all are joined by
  ffmpeg's concat demuxer with stream copy and the soundtrack is muxed in. A re-render after one
  edit encodes only the segments that edit touched, and its frames are identical to a cold
  render's. ``FrameComposer`` draws exactly what ``timeline.frame_plan`` says, the same plan the
  segments are cut and keyed by.
* Each shot's take is conformed to the output size and fps inside its ffmpeg decoder; a composer
  holds at most two decoders, so memory does not grow with the sequence.
* Frames stay yuv420p end to end (decoded, composed and encoded as yuv420p): no RGB round trip,
  half the bytes through the pipes. Untouched frames pass through without a copy; only burn-in
  regions and transitions are computed.
* The soundtrack is mixed into a WAV in a temporary directory and encoded to AAC once per distinct
  mix (cached beside the segments); nothing lands in the current directory.
* Progress counts encoded frames (cached ones count as done); cancel stops every encoder, and the
  partial MP4, partial segments and the temp directory are removed on every exit path (the output
  is written via ``atomic_output``; the work folder is a ``WorkFolder`` whose owner record lets the
  next export sweep what a killed one left, see render/workfiles.py).
* Running out of disk space is a ``DiskFullError`` naming the file being written.
* The MP4 is tagged BT.709 (primaries, transfer, matrix, limited range) and every frame is
  BT.709: takes are decoded to it, burn-ins are converted with its matrix (yuv.py).
* ``soft_subtitles`` adds a mov_text track made from an SRT written into the work folder.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import hashlib
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..files import atomic_output
from ..media.camera import animate_still
from ..media.ffmpeg import BT709_OUTPUT, FFmpegError
from ..model import ConformMode, Project
from ..model.timecode import format_rate
from .audio import PlacedAudio, mix_soundtrack
from .burnins import (
    Block,
    BurnIns,
    Sizes,
    TimecodeAtlas,
    layout_static,
    layout_subtitles,
    placeholder_frame,
    shot_caption,
    shot_label,
    slate_frame,
    subtitle_text,
)
from .encoder import FULL_DISK_BYTES, Yuv420Writer, sound_and_subtitle_inputs  # noqa: F401 - re-exported
from .fused import body_of, encode_body
from .segments import (
    Chunk,
    EncodeOne,
    EncoderSettings,
    SegmentCache,
    concat_list,
    encode_missing,
    ffmpeg_version,
    media_identity,
    plan_chunks,
)
from .sources import ClipSource, StaticSource
from .subtitles import DialogueCue, subtitle_cues, to_srt
from .timeline import PicturePlan, Segment, Timeline, encoder_rate, frame_plan
from .workfiles import WorkFolder, sweep_stale
from .yuv import Overlay, black_frame, mix

ProgressCallback = Callable[[float, str], None]

PRESETS = {
    # name: (x264 preset, quality (crf, or qp under RATE_CONTROL), AAC bitrate)
    "preview": ("ultrafast", 21, "160k"),
    "delivery": ("slow", 18, "256k"),
}
#: x264's rate control per preset. A preview uses a constant quantiser: CRF has x264 estimate
#: every frame's complexity on a half-size copy first, which at ultrafast is a third of the
#: encoder's time, and it spent 2-4x the bits refining sketch frames that were already clean
#: (measured on the 5-page animatic's segments: qp 21 is 35 % less CPU and half the size of
#: crf 23, at 52 dB PSNR against it). A delivery keeps CRF.
RATE_CONTROL = {"preview": "qp", "delivery": "crf"}


def encoder_settings(preset: str, width: int, height: int, rate: int | Fraction) -> EncoderSettings:
    """What a render with ``preset`` tells x264 (the exporter's and the player's segments)."""
    x264_preset, quality, _ = PRESETS[preset]
    return EncoderSettings(width, height, rate, x264_preset, quality, rate_control=RATE_CONTROL.get(preset, "crf"))
#: ffmpeg's AAC coder per preset: "fast" encodes the soundtrack of a five-minute animatic in
#: 2.8 CPU-s where the default "twoloop" takes 7.3 (measured, bench/RESULTS.md); a preview's temp
#: voice does not need the better coder, a delivery keeps it
AAC_CODERS = {"preview": "fast", "delivery": "twoloop"}


@dataclass
class ExportOptions:
    preset: str = "preview"
    width: int | None = None  # None: the project's size
    height: int | None = None
    fps: int | None = None  # None: the project's fps
    burnins: BurnIns = field(default_factory=BurnIns)
    music: Path | None = None
    music_volume_db: float | None = None
    slate_seconds: float = 2.0
    threads: int | None = None
    #: a mov_text subtitle track of the dialogue (players can switch it on and off), from the
    #: same cues as the burnt-in subtitles and the SRT export
    soft_subtitles: bool = False
    #: a small line on the slate under the title (e.g. which voices were not installed and what
    #: spoke instead); "" for none
    slate_note: str = ""
    #: where encoded segments are kept between renders (``BUNDLE/cache/segments``; see
    #: segments.py); None: a private folder removed after the export (nothing is reused)
    segment_cache: Path | None = None
    #: parallel segment encoders (None: one per core, at most 4)
    workers: int | None = None


class FrameComposer:
    """Builds output frame n: the right shot's frame, its transition, and its burn-ins."""

    def __init__(self, project: Project, timeline: Timeline, width: int, height: int, options: ExportOptions,
                 cues: list[DialogueCue], still_clips: dict[int, Path]):
        self.project, self.timeline = project, timeline
        self.width, self.height = width, height
        self.fps = timeline.fps
        self.options = options
        self.burnins = options.burnins
        self.conform = project.render.conform
        self.still_clips = still_clips
        self._sources: dict[int, ClipSource | StaticSource] = {}
        self._hint = 0
        #: start the next shot's decoder while this one plays (off when the composer draws one
        #: segment of the cache: the next shot belongs to another segment)
        self.prefetch = True
        self._out = np.empty(width * height * 3 // 2, np.uint8)
        self._black = black_frame(width, height)
        self._slate: np.ndarray | None = None  # drawn when first shown (most segments never show it)
        self._timecode = None
        if self.burnins.timecode:
            sizes = Sizes.for_height(height)
            self._timecode = TimecodeAtlas(sizes.label, 0, 0)
        self._cues = sorted(cues, key=lambda c: c.start_frame) if self.burnins.subtitles else []
        self._cue_starts = [timeline.slate_frames + c.start_frame for c in self._cues]
        self._longest_cue = max((c.frames for c in self._cues), default=0)
        # the current shot's burn-ins: built when the playhead enters a shot, dropped when it leaves
        self._overlay_shot = -1
        self._static: list[Overlay] = []
        self._static_blocks: list[Block] = []
        self._subtitle_cache: dict[tuple[int, ...], list[Overlay]] = {}
        self._memo: dict[tuple, Overlay] = {}

    # --- burn-ins, built per shot (memory stays flat whatever the number of shots) ---
    def _enter_shot(self, seg: Segment) -> None:
        self._overlay_shot = seg.index
        self._subtitle_cache = {}
        label = shot_label(seg.shot, seg.index, seg.scene)
        blocks = layout_static(self.width, self.height, self.burnins, label=label, caption=shot_caption(seg.shot))
        self._static_blocks = blocks
        self._static = []
        memo: dict[tuple, Overlay] = {}  # overlays identical to the previous shot's are reused
        for block in blocks:
            if block.zone == "timecode" and self._timecode is not None:
                self._timecode.move(block.rect.right, block.rect.y)
            elif block.image is not None:
                key = (block.zone, block.rect, block.lines)
                overlay = self._memo.get(key) or Overlay.from_image(block.image, block.rect.x, block.rect.y)
                memo[key] = overlay
                self._static.append(overlay)
        self._memo = memo

    def _active_cues(self, n: int) -> tuple[int, ...]:
        if not self._cues:
            return ()
        i = bisect.bisect_right(self._cue_starts, n) - 1
        active = []
        while i >= 0 and self._cue_starts[i] > n - self._longest_cue:
            if n < self._cue_starts[i] + self._cues[i].frames:
                active.append(i)
            i -= 1
        return tuple(sorted(active))

    def _subtitles(self, n: int) -> list[Overlay]:
        active = self._active_cues(n)
        if not active:
            return []
        overlays = self._subtitle_cache.get(active)
        if overlays is None:
            texts = [subtitle_text(self._cues[i].speaker, self._cues[i].text) for i in active]
            blocks = layout_subtitles(self.width, self.height, self._static_blocks, texts)
            overlays = [Overlay.from_image(b.image, b.rect.x, b.rect.y) for b in blocks if b.image is not None]
            self._subtitle_cache[active] = overlays
        return overlays

    # --- sources, opened lazily and closed when the playhead leaves them ---
    def media_of(self, seg: Segment) -> tuple[Path | None, ConformMode]:
        """The clip a shot's frames come from (its take, or its still animated with the camera
        move; None: no take, a placeholder card) and how it is conformed to the shot's length."""
        if seg.index in self.still_clips:
            return self.still_clips[seg.index], ConformMode.HOLD
        return seg.media, self.conform

    def _source(self, seg: Segment) -> ClipSource | StaticSource:
        source = self._sources.get(seg.index)
        if source is None:
            media, conform = self.media_of(seg)
            if media is None:
                frame = placeholder_frame(seg.shot.number or str(seg.index + 1), seg.shot.prompt, self.width, self.height)
                source = StaticSource(frame)
            else:
                source = ClipSource(media, self.width, self.height, self.fps, seg.frames, conform)
            self._sources[seg.index] = source
        return source

    def _release_before(self, index: int) -> None:
        for key in [k for k in self._sources if k < index]:
            self._sources.pop(key).close()

    def close(self) -> None:
        for source in self._sources.values():
            source.close()
        self._sources.clear()

    # --- the frame function ---
    def frame(self, n: int) -> np.ndarray:
        owner, plan = frame_plan(self.timeline, n, self._hint)
        frame = self._draw(plan)
        if owner < 0:  # the slate (or an empty timeline): no burn-ins
            return frame
        self._hint = owner
        overlays = self._overlays_for(self.timeline.segments[owner], n)
        if not overlays:
            return frame
        if frame is not self._out:
            np.copyto(self._out, frame)
            frame = self._out
        for overlay in overlays:
            overlay.draw(frame, self.width, self.height)
        return frame

    def _draw(self, plan: PicturePlan) -> np.ndarray:
        """The picture ``frame_plan`` describes (timeline.py owns the rules)."""
        segments = self.timeline.segments
        if plan[0] == "slate":
            if self._slate is None:
                count = len(segments)
                subtitle = (f"{self.project.width}x{self.project.height} · {format_rate(self.timeline.frame_rate)} fps · "
                            f"{count} shot{'' if count == 1 else 's'}")
                self._slate = slate_frame(self.project.title, subtitle, self.width, self.height,
                                          note=self.options.slate_note)
            return self._slate
        if plan[0] == "black":
            return self._black
        if plan[0] == "dissolve":
            _, a, local_a, b, local_b, t = plan
            self._release_before(a)
            np.copyto(self._out, self._source(segments[a]).frame(local_a))  # sources reuse their buffers
            return mix(self._out, self._source(segments[b]).frame(local_b), t, self._out)
        _, i, local, fade = plan
        self._release_before(i)
        source = self._source(segments[i])
        if self.prefetch and local == 0 and i + 1 < len(segments):
            self._source(segments[i + 1]).prepare()  # overlap the next decoder's start with this shot
        picture = source.frame(local)
        if fade is not None:
            return mix(self._black, picture, fade, self._out)
        return picture

    def overlays_at(self, n: int) -> list[Overlay]:
        """The burn-ins drawn on output frame n (none on the slate), as ``frame(n)`` draws them:
        for the fused body encoder, which blends them in ffmpeg."""
        owner, _ = frame_plan(self.timeline, n, self._hint)
        if owner < 0:
            return []
        self._hint = owner
        return self._overlays_for(self.timeline.segments[owner], n)

    def _overlays_for(self, seg: Segment, n: int) -> list[Overlay]:
        if seg.index != self._overlay_shot:
            self._enter_shot(seg)
        out = list(self._static)
        if self._timecode is not None:
            out += self._timecode.overlays(n - self.timeline.slate_frames, self.fps)
        out += self._subtitles(n)
        return out


def export_mp4(
    project: Project,
    timeline: Timeline,
    cues: list[DialogueCue],
    output: Path | str,
    options: ExportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write the animatic. On error or cancel, neither a partial MP4 nor temp files remain."""
    options = options or ExportOptions()
    if options.preset not in PRESETS:
        raise ValueError(f"unknown preset {options.preset!r} (choose {', '.join(PRESETS)})")
    report = progress or (lambda f, m: None)
    output = Path(output)
    sweep_stale(output)  # partials and work folders of exports that were killed
    try:
        # the output's folder first: a folder that cannot be made fails before minutes of encoding
        output.parent.mkdir(parents=True, exist_ok=True)
        with WorkFolder() as work:
            _export(project, timeline, cues, output, options, work, report, cancelled)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _disk_full(exc.filename or output, output) from None
        raise
    except FFmpegError as exc:  # an ffmpeg step (animated stills) that filled the disk
        if "No space left on device" in str(exc):
            raise _disk_full(exc, output) from None
        raise
    report(1.0, "done")
    return output


#: characters no file name may hold on Windows, macOS or Linux, and names Windows reserves
_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def default_export_name(title: str, suffix: str = ".mp4") -> str:
    """A file name for the animatic made from the project title, safe on every platform: path
    separators and ``: * ? " < > |`` become "-", no leading dot (hidden) or trailing dot/space,
    no reserved Windows device name, at most 120 characters; "animatic" when nothing is left."""
    name = re.sub(r"-{2,}", "-", _UNSAFE_NAME.sub("-", title or "")).strip(". -")[:120].rstrip(". -")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"{name}-animatic" if name else "animatic"
    return name + suffix


class DiskFullError(RuntimeError):
    """The export ran out of disk space; the message names the file being written."""


def _disk_full(where: object, output: Path) -> DiskFullError:
    also = "" if str(where) == str(output) else f" (exporting {output})"
    return DiskFullError(f"disk full: no space left on the device while writing {where}{also}; "
                         "no partial file was left behind")


def _export(project: Project, timeline: Timeline, cues: list[DialogueCue], output: Path, options: ExportOptions,
            work: WorkFolder, report: ProgressCallback, cancelled: Callable[[], bool] | None) -> None:
    """Encode the segments the cache lacks (in parallel), mix the soundtrack, then join the
    segments by stream copy and mux the sound (and soft subtitles) into the output."""
    width = options.width or project.width
    height = options.height or project.height
    rate = timeline.frame_rate  # the real rate (24000/1001 for 23.976): frames → seconds
    audio_bitrate = PRESETS[options.preset][2]
    tmp = work.path
    encoder = encoder_settings(options.preset, width, height, encoder_rate(rate))
    if options.segment_cache is not None:
        cache = SegmentCache(options.segment_cache)
    else:  # no bundle to keep them in: the same segmented path, in the work folder
        cache = SegmentCache(tmp / "segments", limit_bytes=0)
    chunks = plan_chunks(project, timeline, cues, options.burnins, encoder, options.slate_note)
    cache.touch(chunks)  # in use from now on: a concurrent sweep keeps them
    encode_one = segment_encoder(project, timeline, cues, options, encoder, tmp, target=output)
    # the soundtrack (mix + AAC, several seconds for minutes of sound) is made while the
    # segments encode, as the single-encoder export did; a failed encode stops it
    stop_audio = threading.Event()

    def audio_cancelled() -> bool:
        return stop_audio.is_set() or (cancelled is not None and cancelled())

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="soundtrack") as pool:
        audio_job = pool.submit(soundtrack_audio, project, timeline, cues, options, cache, tmp, audio_bitrate,
                                audio_cancelled)
        try:
            encode_missing(chunks, cache, encode_one, workers=options.workers, cancelled=cancelled,
                           progress=lambda done, of: report(0.97 * done / max(of, 1), f"frame {done} of {of}"))
        except BaseException:
            stop_audio.set()
            raise
        audio = audio_job.result()
    report(0.97, "joining segments")
    listing = concat_list([cache.path(c) for c in chunks], tmp / "segments.ffconcat")
    subtitles = None
    if options.soft_subtitles:
        subtitles = tmp / "subtitles.srt"
        subtitles.write_text(to_srt(subtitle_cues(cues, timeline.slate_frames), rate), encoding="utf-8")
    with atomic_output(output) as partial:
        work.claim(partial)
        _join(listing, audio, subtitles, partial, output, cancelled)
    cache.sweep(keep=chunks)


def segment_encoder(project: Project, timeline: Timeline, cues: list[DialogueCue], options: ExportOptions,
                    encoder: EncoderSettings, tmp: Path, target: Path | None = None) -> EncodeOne:
    """The function that draws and encodes one segment (for ``segments.encode_missing``): a fresh
    ``FrameComposer`` over the segment's frames into one x264 run with the shared settings.
    ``tmp`` holds animated stills; ``target`` is the name error messages give."""
    width, height, fps = encoder.width, encoder.height, encoder.fps
    audio_bitrate = PRESETS[options.preset][2]

    def encode_one(chunk: Chunk, temp: Path, should_stop: Callable[[], bool], frame_done: Callable[[int], None]) -> None:
        still_clips = _animate_stills(timeline, tmp, width, height, should_stop,
                                      only=set(chunk.sources), tag=chunk.key[:16])
        composer = FrameComposer(project, timeline, width, height, options, cues, still_clips)
        composer.prefetch = False
        try:
            body = None
            if len(chunk.sources) == 1:
                media, conform = composer.media_of(timeline.segments[chunk.sources[0]])
                body = body_of(timeline, chunk.start, chunk.end, media, conform)
            if body is not None:  # one shot's take: decoded, burnt in and encoded by one ffmpeg
                encode_body(body, composer.overlays_at, chunk.start, temp, encoder=encoder, fps=timeline.fps,
                            target=target or temp, should_stop=should_stop, frame_done=frame_done)
                return
            with Yuv420Writer(temp, width, height, fps, preset=encoder.preset, crf=encoder.crf, audio=None,
                              audio_bitrate=audio_bitrate, threads=encoder.threads, target=target or temp,
                              faststart=False, rate_control=encoder.rate_control) as writer:
                writer.write_frames((composer.frame(n) for n in range(chunk.start, chunk.end)), should_stop,
                                    frame_done)
        finally:
            composer.close()

    return encode_one


def _join(listing: Path, audio: Path | None, subtitles: Path | None, partial: Path, output: Path,
          cancelled: Callable[[], bool] | None) -> None:
    """Segments joined without re-encoding (concat demuxer, ``-c copy``) + sound + subtitles."""
    from ..media.ffmpeg import run_ffmpeg

    cmd = ["-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    cmd += sound_and_subtitle_inputs(cmd, audio, subtitles) + ["-c:v", "copy", *BT709_OUTPUT]
    if audio is not None:
        cmd += ["-c:a", "copy"]
    if subtitles is not None:
        cmd += ["-c:s", "mov_text", "-metadata:s:s:0", "language=und"]
    cmd += ["-movflags", "+faststart", "-f", "mp4", str(partial)]
    try:
        run_ffmpeg(cmd, what=f"joining {output}", cancelled=cancelled)
    except FFmpegError as exc:
        if "No space left on device" in str(exc):
            raise OSError(errno.ENOSPC, "No space left on device", str(output)) from None
        raise


#: bump when the mix (audio.py) changes what a given set of lines sounds like
SOUNDTRACK_VERSION = 1


def soundtrack_audio(project: Project, timeline: Timeline, cues: list[DialogueCue], options: ExportOptions,
                     cache: SegmentCache, tmp: Path, audio_bitrate: str,
                     cancelled: Callable[[], bool] | None) -> Path:
    """The mixed soundtrack encoded as AAC (an .m4a), from the cache when the same lines at the
    same times (same files), music and length were mixed before: AAC encoding costs several
    seconds for a five-minute animatic, the biggest fixed cost of a re-render."""
    fps = timeline.frame_rate  # the real rate: frames → seconds
    duration = timeline.seconds(timeline.total_frames)
    placed = [PlacedAudio(c.audio, timeline.seconds(timeline.slate_frames + c.start_frame)) for c in cues if c.audio]
    coder = AAC_CODERS.get(options.preset, "twoloop")
    volume = options.music_volume_db if options.music_volume_db is not None else project.render.music_volume_db
    key = hashlib.sha256(repr((
        SOUNDTRACK_VERSION, ffmpeg_version(), audio_bitrate, timeline.total_frames, fps,
        [(media_identity(p.path), p.start_seconds) for p in placed],
        media_identity(options.music), volume, coder,
    )).encode("utf-8")).hexdigest()[:40]
    target = cache.root / f"audio-{key}.m4a"
    if target.is_file():
        with contextlib.suppress(OSError):
            os.utime(target)
        return target
    from ..media.ffmpeg import run_ffmpeg

    wav = mix_soundtrack(placed, tmp / "soundtrack.wav", duration, music=options.music, music_volume_db=volume,
                         cancelled=cancelled)
    cache.root.mkdir(parents=True, exist_ok=True)
    partial = cache.root / f".tmp-{os.getpid()}-{threading.get_ident()}-audio-{key}.m4a"
    try:
        run_ffmpeg(["-y", "-i", str(wav), "-c:a", "aac", "-b:a", audio_bitrate, "-aac_coder", coder, "-f", "mp4",
                    str(partial)],
                   what="encoding the soundtrack", cancelled=cancelled)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target


def _animate_stills(timeline: Timeline, tmp: Path, width: int, height: int,
                    cancelled: Callable[[], bool] | None, only: set[int] | None = None,
                    tag: str = "") -> dict[int, Path]:
    """Still takes (images) become clips with their shot's camera move, once, in ffmpeg
    (``only``: just these timeline segments; ``tag`` keeps parallel encoders' files apart)."""
    out: dict[int, Path] = {}
    for seg in timeline.segments:
        if only is not None and seg.index not in only:
            continue
        if seg.media is not None and seg.still:
            target = tmp / f"still-{tag}{seg.index}.mp4"
            animate_still(seg.media, target, width=width, height=height, fps=timeline.fps, frames=seg.frames,
                          move=seg.shot.camera_move.value, strength=seg.shot.camera_strength, seed=seg.index,
                          crf=18, cancelled=cancelled)
            out[seg.index] = target
    return out
