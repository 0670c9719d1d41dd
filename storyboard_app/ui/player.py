"""Playback in the viewer: the selected take, or the whole sequence as an animatic with
voiceover, from the playhead, with the timeline's playhead following.

The sequence plays from a small preview animatic (the real exporter, 640 px wide, no burn-ins),
rendered in the background and reused while the project is unchanged, through QtMultimedia's
``QMediaPlayer`` into a ``QVideoSink`` whose frames the viewer paints. Sound goes to the default
audio device; with no device (or no backend) playback continues without sound and the status bar
says so once. Scrubbing while stopped shows the frame under the playhead at once: one frame is
decoded off the UI thread, latest request wins.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, QUrl, Signal, Slot
from PySide6.QtGui import QImage

from ..model import Document, project_json
from ..model.bundle import BundlePaths
from .session import ProjectSession
from .viewer import Viewer
from .workers import Worker

PREVIEW_WIDTH = 640


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


class Player(QObject):
    state_changed = Signal(str)  # "stopped", "preparing", "playing", "paused"

    def __init__(self, session: ProjectSession, viewer: Viewer, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.viewer = viewer
        self.state = "stopped"
        self.mode = "sequence"
        self._token = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._preview: Path | None = None
        self._preview_key = ""
        self._render_worker: Worker | None = None
        self._said_no_sound = False
        self._following = False
        self.media = None
        self._frame_shot: str | None = None  # the shot whose picture viewer.frame_image holds
        self._frame_source: tuple[Path, float] | None = None  # the file and time it was grabbed from
        self._setup_media()
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
        self.sink.videoFrameChanged.connect(self._frame)
        self.media.positionChanged.connect(self._position)
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
        if self.state == "paused" and self.mode == "sequence":
            self.media.setPlaybackRate(speed)
            self.media.play()
            self._set_state("playing")
            return
        self.mode = "sequence"
        self._speed = speed
        self._ensure_preview()

    def play_take(self, take_path: Path) -> None:
        if self.media is None:
            return
        self.mode = "take"
        self._load(take_path, 0)

    def pause(self) -> None:
        if self.media is not None and self.state == "playing":
            self.media.pause()
            self._set_state("paused")

    def stop(self) -> None:
        if self.media is not None:
            self.media.stop()
        if self._render_worker is not None:
            self._render_worker.cancel()
        self.viewer.frame_image = None
        self.viewer.update()
        self._set_state("stopped")

    def shuttle(self, direction: int) -> None:
        """J/K/L: K pauses; L plays forward (again: faster); J steps back a second per press."""
        if direction == 0:
            self.pause()
        elif direction > 0:
            speed = min(self.media.playbackRate() * 2, 8.0) if self.state == "playing" and self.media else 1.0
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

    # --- preview animatic ---
    def _ensure_preview(self) -> None:
        document = self.session.document
        if document.bundle is None:
            self.session.message.emit("Save the project to play the animatic")
            return
        key = hashlib.sha256(project_json(document.project).encode()).hexdigest()[:16]
        target = BundlePaths(document.bundle).cache / "preview" / f"animatic-{key}.mp4"
        if target.is_file():
            self._preview, self._preview_key = target, key
            self._load(target, self._playhead_ms())
            return
        from ..render.burnins import BurnIns
        from ..render.export import ExportOptions
        from ..render.service import render_animatic

        project = document.project
        width = PREVIEW_WIDTH
        height = int(round(project.height * width / project.width / 2)) * 2
        snapshot = Document(copy.deepcopy(project), document.bundle)
        options = ExportOptions(preset="preview", width=width, height=height, burnins=BurnIns.none())

        def job(progress, cancelled):  # noqa: ANN001, ANN202 - worker thread
            for stale in target.parent.glob("animatic-*.mp4"):
                stale.unlink(missing_ok=True)
            render_animatic(snapshot, target, options=options, generate=False, cancelled=cancelled,
                            progress=lambda stage, f, m: progress(f, f"{stage}: {m}"))
            return target

        self._render_worker = Worker(job, with_progress=True)
        self._render_worker.signals.progress.connect(
            lambda f, m: self.session.message.emit(f"Preparing playback… {int(f * 100)}%"))
        self._render_worker.signals.finished.connect(self._preview_ready)
        self._render_worker.signals.failed.connect(lambda msg: self._preview_failed(msg))
        self._set_state("preparing")
        self._pool.start(self._render_worker)

    @Slot(object)
    def _preview_ready(self, path: Path) -> None:
        self._render_worker = None
        if self.state != "preparing":
            return
        self._preview = path
        self._load(path, self._playhead_ms())

    def _preview_failed(self, message: str) -> None:
        self._render_worker = None
        self._set_state("stopped")
        if "cancel" not in message.lower():
            self.session.message.emit(f"Can't play: {message}")

    def _playhead_ms(self) -> int:
        # the animatic plays at the real rate (23.976 for an NTSC project), frames count the timebase
        return int(self.session.playhead * 1000 / self.session.project.frame_rate)

    def _load(self, path: Path, start_ms: int) -> None:
        if not self.has_sound and not self._said_no_sound:
            self.session.message.emit("No audio device: playing without sound")
            self._said_no_sound = True
        self._start_at_ms = start_ms
        self.media.setSource(QUrl.fromLocalFile(str(path)))
        self.media.setPlaybackRate(getattr(self, "_speed", 1.0))
        self.media.play()
        self._set_state("playing")

    def _status(self, status) -> None:  # noqa: ANN001
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.LoadedMedia, QMediaPlayer.BufferedMedia) and self._start_at_ms:
            self.media.setPosition(self._start_at_ms)
            self._start_at_ms = 0
        elif status == QMediaPlayer.EndOfMedia:
            # back to the selected shot's picture: the last played frame must not linger while
            # another shot is selected (issue 13.5)
            self._set_state("stopped")
            self._show_selection()

    def _position(self, ms: int) -> None:
        if self.mode == "sequence" and self.state == "playing":
            self._following = True
            self.session.set_playhead(int(ms * self.session.project.frame_rate / 1000))
            self._following = False

    def _frame(self, frame) -> None:  # noqa: ANN001
        if self.state not in ("playing", "paused"):
            return
        image = frame.toImage()
        if not image.isNull():
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
        if self.media is not None and self.state == "paused" and self.mode == "sequence":
            self.media.setPosition(int(frame * 1000 / self.session.project.frame_rate))
            return
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
        self._pool.waitForDone(10000)
