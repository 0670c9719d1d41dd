"""Playback in the viewer: the selected take, or the whole sequence as an animatic with
voiceover, from the playhead, with the timeline's playhead following.

The sequence plays from the render's segment cache (render/segments.py) at preview size (640 px
wide, no burn-ins): the same per-shot segments a render keeps, so Play never waits for a whole
preview animatic. On Play the segment list is planned on the UI thread (a few milliseconds: it
reads the project and stats the take files) and playback starts at once from the segment under
the playhead. A segment that is not encoded yet (a shot edited since the last play) plays from
its shot's take file, or a placeholder card, while a background job encodes the missing segments
(nearest the playhead first) and mixes the soundtrack; the next time the playhead enters that
part of the sequence the segment is used. A wall clock drives the playhead; at each segment
boundary the ``QMediaPlayer`` switches to the next segment's file. The soundtrack (the same mix
as the render's, dialogue running over cuts as it is recorded) plays on a second
``QMediaPlayer`` from the clock's position as soon as it is ready (at once when it was mixed
before). Sound goes to the default audio device; with no device (or no backend) playback
continues without sound and the status bar says so once. Scrubbing while stopped shows the frame
under the playhead at once: one frame is decoded off the UI thread, latest request wins.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QObject, QThreadPool, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter

from ..model import Document
from ..model.bundle import BundlePaths
from .session import ProjectSession
from .viewer import Viewer
from .workers import Worker

PREVIEW_WIDTH = 640
PREVIEW_PRESET = "preview"
#: segment encoders of the background build: one, so the UI thread and playback keep a core
BUILD_WORKERS = 1
#: how long the playhead and the project must rest before the player preloads what Play shows
PREROLL_DELAY_MS = 120
#: files QMediaPlayer plays (a still image take is shown as a picture instead)
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi")
#: how long after Play the background build starts (the first frame goes first)
BUILD_DELAY_MS = 200
#: how often the playhead follows the clock (ms)
TICK_MS = 15


def _grab_frame(path: str, seconds: float, token: int) -> tuple[int, QImage | None]:
    """Runs on a worker thread: one frame of ``path`` at ``seconds`` as a QImage."""
    from ..media.ffmpeg import FFmpegError, run_ffmpeg

    try:
        data = run_ffmpeg(["-ss", f"{max(seconds, 0):.3f}", "-i", path, "-frames:v", "1", "-vf",
                           f"scale={PREVIEW_WIDTH}:-2", "-f", "image2pipe", "-vcodec", "png", "-"],
                          timeout=20, what="frame")
    except FFmpegError:
        return token, None
    image = QImage()
    image.loadFromData(data, "PNG")
    return token, (None if image.isNull() else image)


@dataclass(frozen=True)
class PlayEntry:
    """One segment of the sequence as the player sees it (frames at the project's rate)."""

    start: int
    end: int
    segment: Path  # where the segment cache keeps (or will keep) it
    take: Path | None  # what plays meanwhile: the shot's take (None: a placeholder card)
    take_offset: int  # the take's frame at ``start``
    label: str  # for the placeholder card

    def source_at(self, frame: int, fps: int | Fraction) -> tuple[Path | None, int]:
        """(file, position in ms) that shows ``frame``: the segment if encoded, else the take."""
        local = frame - self.start
        if self.segment.is_file():
            return self.segment, int(local * 1000 / fps)
        if self.take is not None:
            return self.take, int((self.take_offset + local) * 1000 / fps)
        return None, 0


@dataclass
class PlayPlan:
    entries: list[PlayEntry]
    total: int
    fps: int | Fraction  # the real rate the segments play at (24000/1001 for a 23.976 project)
    missing: int  # segments not encoded yet
    key: str  # the segment keys together: the same key, the same picture


def play_rate(project) -> int | Fraction:  # noqa: ANN001
    """The rate segments are encoded and played at: the project's real rate, as the exporter
    gives it to its segment encoder."""
    from ..render.timeline import encoder_rate

    return encoder_rate(project.frame_rate)


def preview_size(project) -> tuple[int, int]:  # noqa: ANN001
    height = int(round(project.height * PREVIEW_WIDTH / project.width / 2)) * 2
    return PREVIEW_WIDTH, max(height, 2)


def plan_playback(project, bundle: Path) -> PlayPlan:  # noqa: ANN001
    """The segments of the preview animatic, from the project alone (fast: no decoding)."""
    import hashlib

    from ..render.burnins import BurnIns
    from ..render.export import encoder_settings
    from ..render.segments import plan_chunks
    from ..render.timeline import build_timeline, frame_plan

    paths = BundlePaths(bundle)
    timeline = build_timeline(project, bundle, slate_frames=0, fps=project.fps)
    width, height = preview_size(project)
    chunks = plan_chunks(project, timeline, [], BurnIns.none(),
                         encoder_settings(PREVIEW_PRESET, width, height, play_rate(project)))
    root = paths.cache / "segments"
    entries = []
    missing = 0
    for chunk in chunks:
        owner, _ = frame_plan(timeline, chunk.start)
        seg = timeline.segments[owner] if owner >= 0 else None
        take = seg.media if seg is not None else None  # a still image is shown as a picture
        path = root / chunk.name
        missing += not path.is_file()
        entries.append(PlayEntry(chunk.start, chunk.end, path, take,
                                 chunk.start - seg.start if seg is not None else 0,
                                 f"SHOT {seg.shot.number or seg.index + 1}" if seg is not None else ""))
    key = hashlib.sha256("".join(c.key for c in chunks).encode()).hexdigest()[:16]
    return PlayPlan(entries, timeline.total_frames, play_rate(project), missing, key)


def build_preview(document: Document, plan_key: str, start_frame: int, progress, cancelled):  # noqa: ANN001, ANN201
    """Background job: voice what is missing, mix the soundtrack (reported first, as
    "soundtrack:PLAN_KEY:PATH"), then encode the missing segments nearest ``start_frame`` first."""
    from ..render.burnins import BurnIns
    from ..render.export import (
        PRESETS,
        ExportOptions,
        encoder_settings,
        segment_encoder,
        soundtrack_audio,
    )
    from ..render.segments import SegmentCache, encode_missing, plan_chunks
    from ..render.service import voiced_cues
    from ..render.timeline import build_timeline
    from ..render.workfiles import WorkFolder

    project = document.project
    bundle = document.paths.root
    fps = project.fps
    _, cues, _ = voiced_cues(document, project, fps, "run-over", cancelled=cancelled)
    timeline = build_timeline(project, bundle, slate_frames=0, fps=fps)
    width, height = preview_size(project)
    audio_bitrate = PRESETS[PREVIEW_PRESET][2]
    encoder = encoder_settings(PREVIEW_PRESET, width, height, play_rate(project))
    options = ExportOptions(preset=PREVIEW_PRESET, width=width, height=height, burnins=BurnIns.none())
    chunks = plan_chunks(project, timeline, [], options.burnins, encoder)
    cache = SegmentCache(document.paths.cache / "segments")
    cache.touch(chunks)
    with WorkFolder() as work:
        audio = soundtrack_audio(project, timeline, cues, options, cache, work.path, audio_bitrate, cancelled)
        progress(0.0, f"soundtrack:{plan_key}:{audio}")
        first = next((i for i, c in enumerate(chunks) if c.end > start_frame), 0)
        order = chunks[first:] + chunks[:first]
        encode_missing(order, cache, segment_encoder(project, timeline, [], options, encoder, work.path),
                       cancelled=cancelled, longest_first=False, workers=BUILD_WORKERS,
                       progress=lambda done, total: progress(done / max(total, 1), f"{done} of {total} frames"))
    cache.sweep(keep=chunks)
    return plan_key, audio


def _preload() -> None:
    """Import what planning a Play needs (PIL, numpy, the render modules) ahead of the first Play."""
    from ..render import export, segments  # noqa: F401

    segments.ffmpeg_version()


def placeholder_image(label: str, width: int, height: int) -> QImage:
    """A "no take yet" card for a shot that has nothing to play."""
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(QColor(38, 40, 48))
    painter = QPainter(image)
    painter.setPen(QColor(235, 200, 90))
    painter.drawText(image.rect().adjusted(20, 20, -20, -20), 0, f"{label}\nno take yet")
    painter.end()
    return image


class Player(QObject):
    state_changed = Signal(str)  # "stopped", "preparing", "playing", "paused"
    #: the background build finished: every segment of the sequence is encoded
    preview_built = Signal()

    def __init__(self, session: ProjectSession, viewer: Viewer, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.viewer = viewer
        self.state = "stopped"
        self.mode = "sequence"
        self._token = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._build_pool = QThreadPool(self)  # the segment build, apart from frame grabs
        self._build_pool.setMaxThreadCount(1)
        #: the soundtrack of the last preview build (the mixed sound the sequence plays with)
        self._preview: Path | None = None
        self._built_key = ""  # the plan whose segments and soundtrack are all built
        self._build_key = ""  # the plan being built
        self._sound_key = ""  # the plan whose soundtrack is ``_preview``
        self._render_worker: Worker | None = None
        self._said_no_sound = False
        self._following = False
        self.media = None
        self.sound = None
        self._plan: PlayPlan | None = None
        self._plan_current = False  # True while ``_plan`` is the project's plan (no edit since)
        self._entry = -1
        self._origin = 0  # the frame the clock started at
        self._paused_frame = 0
        self._speed = 1.0
        self._clock = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._advance)
        self._sound_source: Path | None = None
        #: what the viewer shows now: a file (segment or take), or None (placeholder card)
        self.current_source: Path | None = None
        #: time.perf_counter() when Play was pressed / when its first frame reached the viewer
        self.play_pressed_at = 0.0
        self.first_frame_at: float | None = None
        self._frame_shot: str | None = None  # the shot whose picture viewer.frame_image holds
        self._frame_source: tuple[Path, float] | None = None  # the file and time it was grabbed from
        #: while stopped, the media player is kept loaded (paused) on the file and position under
        #: the playhead, so Play only has to press play: opening a file costs more than 0.3 s
        #: on a loaded machine (issue 16.6)
        self._preroll_timer = QTimer(self)
        self._preroll_timer.setSingleShot(True)
        self._preroll_timer.setInterval(PREROLL_DELAY_MS)
        self._preroll_timer.timeout.connect(self._preroll)
        self._pending_build: tuple[PlayPlan, int] | None = None
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(BUILD_DELAY_MS)
        self._build_timer.timeout.connect(self._start_pending_build)
        self._setup_media()
        # the render modules load off the UI thread now, so that the first Play does not wait
        self._build_pool.start(Worker(_preload))
        session.playhead_changed.connect(self._scrub)
        # the picture under the playhead may change without the playhead moving: a new take of
        # that shot, a reorder, an undo (issue 13.5: the viewer kept showing the old take)
        session.changed.connect(self._model_changed)
        session.selection_changed.connect(self._selection_changed)

    # --- QtMultimedia ---
    def _setup_media(self) -> None:
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer, QVideoSink
        except ImportError:  # no QtMultimedia (PySide6-Addons missing): frames only, when scrubbing
            self.session.message.emit("Playback unavailable (QtMultimedia missing): scrubbing shows frames")
            return
        self.media = QMediaPlayer(self)
        self.sink = QVideoSink(self)
        self.media.setVideoSink(self.sink)
        self.audio = None
        if QMediaDevices.audioOutputs():
            self.audio = QAudioOutput(self)
            self.media.setAudioOutput(self.audio)
            # the sequence's sound: the mixed soundtrack, on its own player (segments are silent)
            self.sound = QMediaPlayer(self)
            self.sound_output = QAudioOutput(self)
            self.sound.setAudioOutput(self.sound_output)
            self.sound.mediaStatusChanged.connect(self._sound_status)
        self.sink.videoFrameChanged.connect(self._frame)
        self.media.mediaStatusChanged.connect(self._status)
        self.media.errorOccurred.connect(lambda _e, text: self.session.message.emit(f"Playback error: {text}"))
        self._start_at_ms = 0

    @property
    def has_sound(self) -> bool:
        return self.media is not None and self.audio is not None

    # --- transport ---
    def toggle(self) -> None:
        if self.state == "playing":
            self.pause()
        else:
            self.play()

    def play(self, speed: float = 1.0) -> None:
        if self.media is None:
            return
        self._speed = speed
        if self.state == "paused" and self.mode == "sequence":
            self._start_sequence(self._paused_frame)
            return
        self.mode = "sequence"
        self._start_sequence(self.session.playhead)

    def play_take(self, take_path: Path) -> None:
        if self.media is None:
            return
        self._stop_clock()
        self.mode = "take"
        self._load(take_path, 0)

    def pause(self) -> None:
        if self.media is not None and self.state == "playing":
            if self.mode == "sequence":
                self._paused_frame = self._clock_frame()
                self._stop_clock()
            self.media.pause()
            self._set_state("paused")

    def stop(self) -> None:
        self._stop_clock()
        if self.media is not None:
            self.media.stop()
        self.viewer.frame_image = None
        self.viewer.update()
        self._set_state("stopped")
        self._schedule_preroll()

    # --- preroll: Play finds the file under the playhead already open ---
    def _schedule_preroll(self) -> None:
        if self.media is not None and self.state == "stopped":
            self._preroll_timer.start()

    @Slot()
    def _preroll(self) -> None:
        document = self.session.document
        if self.media is None or self.state != "stopped" or document.bundle is None:
            return
        plan = self._plan if self._plan_current else None
        if plan is None:
            try:
                plan = plan_playback(document.project, document.bundle)
            except (OSError, ValueError):
                return
        self._plan, self._plan_current = plan, True
        frame = self.session.playhead
        if not plan.entries or not 0 <= frame < plan.total:
            return
        source, ms = plan.entries[self._entry_at(frame)].source_at(frame, plan.fps)
        if source is None or source.suffix.lower() not in VIDEO_SUFFIXES:
            return
        self._cue(source, ms)
        self.media.pause()  # decoded and waiting; the viewer ignores its frames until Play

    def shuttle(self, direction: int) -> None:
        """J/K/L: K pauses; L plays forward (again: faster); J steps back a second per press."""
        if direction == 0:
            self.pause()
        elif direction > 0:
            speed = min(self._speed * 2, 8.0) if self.state == "playing" else 1.0
            if self.state == "playing" and self.mode == "sequence":
                frame = self._clock_frame()
                self._speed = speed
                self._start_sequence(frame)
            else:
                self.play(speed)
            if self.media is not None:
                self.media.setPlaybackRate(speed)
        else:
            self.pause()
            self.session.set_playhead(self.session.playhead - self.session.project.fps)

    def step(self, frames: int) -> None:
        self.pause()
        self.session.set_playhead(self.session.playhead + frames)

    def step_shot(self, direction: int) -> None:
        self.pause()
        starts, t = [], 0
        for shot in self.session.project.all_shots():
            starts.append((t, shot.id))
            t += shot.duration
        playhead = self.session.playhead
        if direction > 0:
            target = next(((f, s) for f, s in starts if f > playhead), None)
        else:
            target = next(((f, s) for f, s in reversed(starts) if f < playhead), None)
        if target is not None:
            self.session.set_playhead(target[0])
            self.session.select([target[1]])

    # --- the sequence, from segments ---
    def _start_sequence(self, frame: int) -> None:
        self.play_pressed_at = time.perf_counter()
        self.first_frame_at = None
        document = self.session.document
        if document.bundle is None:
            self.session.message.emit("Save the project to play the animatic")
            return
        plan = self._plan if self._plan_current else None  # planned by the preroll, no edit since
        if plan is None:
            try:
                plan = plan_playback(document.project, document.bundle)
            except (OSError, ValueError) as exc:
                self.session.message.emit(f"Can't play: {exc}")
                return
        if not plan.entries or plan.total <= 0:
            return
        self._plan = plan
        if not 0 <= frame < plan.total:
            frame = 0
        if not self.has_sound and not self._said_no_sound:
            self.session.message.emit("No audio device: playing without sound")
            self._said_no_sound = True
        self.mode = "sequence"
        self._origin = frame
        self._entry = -1
        self._clock.start()
        self._set_state("playing")
        self._enter(self._entry_at(frame), frame)
        self._tick.start()
        if plan.key in (self._built_key, self._sound_key) and self._preview is not None:
            self._start_sound(self._preview)  # else it starts when the build reports it
        if plan.key not in (self._built_key, self._build_key):
            # after the first frame is on screen: snapshotting the project and starting a thread
            # cost tens of milliseconds of the UI thread that Play should not wait for
            self._pending_build = (plan, frame)
            self._build_timer.start()

    def _entry_at(self, frame: int) -> int:
        assert self._plan is not None
        entries = self._plan.entries
        lo, hi = 0, len(entries) - 1
        while lo < hi:  # bisect on the entries' starts
            mid = (lo + hi + 1) // 2
            if entries[mid].start <= frame:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _enter(self, index: int, frame: int) -> None:
        """Show entry ``index`` from ``frame``: its segment, else its take, else a card."""
        assert self._plan is not None and self.media is not None
        self._entry = index
        entry = self._plan.entries[index]
        source, ms = entry.source_at(frame, self._plan.fps)
        self.current_source = source
        if source is None or source.suffix.lower() not in VIDEO_SUFFIXES:
            self.media.stop()
            width, height = preview_size(self.session.project)
            image = QImage(str(source)) if source is not None else QImage()
            if image.isNull():
                image = placeholder_image(entry.label, width, height)
            self._show(image)
            return
        self._cue(source, ms)
        self.media.setPlaybackRate(self._speed)
        self.media.play()

    def _cue(self, source: Path, ms: int) -> None:
        """Put the media player on ``source`` at ``ms`` (loading it when it is another file: the
        position is applied once it has loaded)."""
        url = QUrl.fromLocalFile(str(source))
        if self.media.source() != url:
            self._start_at_ms = ms
            self.media.setSource(url)
        else:
            self.media.setPosition(ms)

    def _clock_frame(self) -> int:
        fps = self._plan.fps if self._plan is not None else self.session.project.frame_rate
        return self._origin + int(self._clock.elapsed() * fps * self._speed / 1000)

    @Slot()
    def _advance(self) -> None:
        """The clock's tick: move the playhead, switch segments at their boundaries, stop at the end."""
        if self.state != "playing" or self.mode != "sequence" or self._plan is None:
            return
        frame = self._clock_frame()
        if frame >= self._plan.total:
            self._stop_clock()
            if self.media is not None:
                self.media.stop()
            self._set_state("stopped")
            self._show_selection()
            return
        self._following = True
        self.session.set_playhead(frame)
        self._following = False
        entry = self._plan.entries[self._entry]
        if not entry.start <= frame < entry.end:
            self._enter(self._entry_at(frame), frame)

    def _stop_clock(self) -> None:
        self._tick.stop()
        if self.sound is not None:
            self.sound.stop()

    @Slot()
    def _start_pending_build(self) -> None:
        pending, self._pending_build = self._pending_build, None
        if pending is not None and pending[0].key not in (self._built_key, self._build_key):
            self._build(*pending)

    def _build(self, plan: PlayPlan, frame: int) -> None:
        """Encode the missing segments and mix the soundtrack in the background."""
        if self._render_worker is not None:
            self._render_worker.cancel()  # an older project's build: superseded
        document = self.session.document
        snapshot = Document(copy.deepcopy(document.project), document.bundle)
        worker = Worker(build_preview, snapshot, plan.key, frame, with_progress=True)
        worker.signals.progress.connect(self._build_progress)
        worker.signals.finished.connect(self._built)
        worker.signals.failed.connect(self._build_failed)
        self._render_worker = worker
        self._build_key = plan.key
        self._build_pool.start(worker)

    @Slot(float, str)
    def _build_progress(self, fraction: float, message: str) -> None:
        if message.startswith("soundtrack:"):
            _, key, path = message.split(":", 2)
            if key != self._build_key:
                return  # a superseded build's
            self._preview, self._sound_key = Path(path), key
            if self.state == "playing" and self.mode == "sequence":
                self._start_sound(path)
        elif self._plan is not None and self._plan.missing:
            self.session.message.emit(f"Building playback segments… {int(fraction * 100)}%")

    @Slot(object)
    def _built(self, result: tuple[str, Path]) -> None:
        key, audio = result
        if self._build_key == key:
            self._render_worker = None
            self._build_key = ""
            self._built_key = key
            self._preview = audio
        self.preview_built.emit()

    def _build_failed(self, message: str) -> None:
        self._render_worker = None
        self._build_key = ""
        if "cancel" not in message.lower():
            self.session.message.emit(f"Can't build the playback segments: {message}")

    def _start_sound(self, path: Path) -> None:
        if self.sound is None or self.state != "playing":
            return
        url = QUrl.fromLocalFile(str(path))
        ms = int(self._clock_frame() * 1000 / (self._plan.fps if self._plan else self.session.project.frame_rate))
        self.sound.setPlaybackRate(self._speed)
        if self.sound.source() != url:
            self._sound_start_ms = ms
            self.sound.setSource(url)
        else:
            self.sound.setPosition(ms)
        self.sound.play()

    def _sound_status(self, status) -> None:  # noqa: ANN001
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.LoadedMedia, QMediaPlayer.BufferedMedia) and getattr(self, "_sound_start_ms", 0):
            # catch up with the clock (loading took a moment)
            fps = self._plan.fps if self._plan else self.session.project.frame_rate
            self.sound.setPosition(int(self._clock_frame() * 1000 / fps))
            self._sound_start_ms = 0

    def _playhead_ms(self) -> int:
        # the animatic plays at the real rate (23.976 for an NTSC project), frames count the timebase
        return int(self.session.playhead * 1000 / self.session.project.frame_rate)

    def _load(self, path: Path, start_ms: int) -> None:
        if not self.has_sound and not self._said_no_sound:
            self.session.message.emit("No audio device: playing without sound")
            self._said_no_sound = True
        self._start_at_ms = start_ms
        self.current_source = path
        self.media.setSource(QUrl.fromLocalFile(str(path)))
        self.media.setPlaybackRate(self._speed)
        self.media.play()
        self._set_state("playing")

    def _status(self, status) -> None:  # noqa: ANN001
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.LoadedMedia, QMediaPlayer.BufferedMedia) and self._start_at_ms:
            self.media.setPosition(self._start_at_ms)
            self._start_at_ms = 0
        elif status == QMediaPlayer.EndOfMedia and self.mode == "take":
            # back to the selected shot's picture: the last played frame must not linger while
            # another shot is selected (issue 13.5)
            self._set_state("stopped")
            self._show_selection()
        # in the sequence the clock decides: a take shorter than its shot holds its last frame

    def _frame(self, frame) -> None:  # noqa: ANN001
        if self.state not in ("playing", "paused"):
            return
        image = frame.toImage()
        if not image.isNull():
            self._show(image)

    def _show(self, image: QImage) -> None:
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()
        self.viewer.frame_image = image
        self.viewer.update()

    # --- keeping the viewer's picture current ---
    def _show_selection(self) -> None:
        """Drop any decoded frame: the viewer falls back to the selected shot's take."""
        self._token += 1  # a frame grab still in flight is now stale
        self._frame_shot = None
        self._frame_source = None
        self.viewer.frame_image = None
        self.viewer.update()

    def _model_changed(self, _what: str) -> None:
        """Re-grab the frame under the playhead only when the picture there changed (a new or
        another take, a reorder): typing in a prompt must not start a decoder per keystroke."""
        self._plan_current = False
        self._schedule_preroll()  # debounced: one plan once the typing stops, not one per key
        if self.state != "stopped" or self.viewer.frame_image is None:
            return
        located = self._take_at(self.session.playhead)
        if located is None or located[:2] != self._frame_source:
            self._scrub(self.session.playhead, force=True)

    def _selection_changed(self, ids: list) -> None:
        if self.state == "playing" or self._following:
            return
        current = ids[-1] if ids else None
        if self._frame_shot is not None and self._frame_shot != current:
            self._show_selection()

    # --- scrubbing ---
    def _scrub(self, frame: int, force: bool = False) -> None:
        if (self._following or self.state == "playing") and not force:
            return
        self._schedule_preroll()
        if self.state == "paused" and self.mode == "sequence":
            self._paused_frame = frame  # Play resumes here; meanwhile show the frame (below)
        located = self._take_at(frame)
        if located is None:
            self._show_selection()
            return
        path, seconds, shot_id = located
        self._token += 1
        self._frame_shot = shot_id
        self._frame_source = (path, seconds)
        worker = Worker(_grab_frame, str(path), seconds, self._token)
        worker.signals.finished.connect(self._scrubbed)
        self._pool.start(worker)

    @Slot(object)
    def _scrubbed(self, result: tuple[int, QImage | None]) -> None:
        token, image = result
        if token == self._token and self.state in ("stopped", "paused"):
            self.viewer.frame_image = image
            self.viewer.update()

    def _take_at(self, frame: int) -> tuple[Path, float, str] | None:
        project = self.session.project
        bundle = self.session.document.bundle
        t = 0
        for shot in project.all_shots():
            if frame < t + shot.duration:
                take = shot.selected_take
                if take is None or not take.media_path or bundle is None:
                    return None
                try:
                    return (BundlePaths(bundle).media_path(take.media_path), (frame - t) / project.fps,
                            shot.id)
                except ValueError:
                    return None
            t += shot.duration
        return None

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def shutdown(self) -> None:
        self.stop()
        self._preroll_timer.stop()
        self._build_timer.stop()
        self._pending_build = None
        if self._render_worker is not None:
            self._render_worker.cancel()
        self._pool.waitForDone(10000)
        self._build_pool.waitForDone(30000)
