"""Editorial interchange through OpenTimelineIO: the cut to an editor's tool, and back.

Export: one OTIO timeline, written by OTIO's own adapters as ``.otio``, CMX 3600 ``.edl``
(``otio-cmx3600-adapter``), Final Cut Pro 7 XML ``.xml`` (``otio-fcp-adapter``; Premiere and
Resolve import it) and FCPX XML ``.fcpxml`` (``otio-fcpx-xml-adapter``):

* video track V1: one clip per shot, named with the shot number, pointing at the shot's selected
  take conformed to the sequence rate and size and written beside the edit as
  ``OUT_media/shot_3A.mp4`` (stable names: a re-export replaces, an editor's relink still
  works). Each file carries ``handles`` held frames before and after the shot, so dissolves and
  small trims have media to use; the clip's source range starts after the head handle.
* dissolves are OTIO transitions centred on the cut (as the animatic plays them);
* dialogue lines and notes are markers on their clip;
* the temp voiceover is an audio track (one clip per line, ``OUT_media/line_3A_1.wav``) where
  the format carries audio (OTIO, FCP 7 XML, FCPX XML; an EDL holds the picture only).

Time is ``RationalTime`` at the interchange rate, never float seconds. The default rate is the
project's own (``Project.frame_rate``: a 23.976 project is exported at 24000/1001, EDL and FCP 7
XML with the NTSC flag, FCPX refused with a clear error because its adapter cannot carry it). A
rate that is not an integer (23.976 = 24000/1001, 29.97) is carried as NTSC: a 24 fps timebase
delivered at 23.976 or the reverse keeps every frame (pull-down, the usual case); any other rate change maps each cut point to the
nearest frame of its exact time, so the total never drifts by more than one frame.

Import (``read_cut``): the editor's timeline, read by the same adapters, as a flat list of
``CutClip`` (name, media file, duration in project frames), which
``model.commands.apply_edited_cut`` turns into one undoable edit.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..media.ffmpeg import probe, run_ffmpeg
from ..model import BundlePaths, ConformMode, Project, Shot, TransitionKind
from ..model.commands import CutClip
from .stills import placeholder, stable_shot_names
from .timeline import selected_media

FORMATS = {  # CLI name: (OTIO adapter, file suffix)
    "otio": ("otio_json", ".otio"),
    "edl": ("cmx_3600", ".edl"),
    "fcp7xml": ("fcp_xml", ".xml"),
    "fcpxml": ("fcpx_xml", ".fcpxml"),
}
SUFFIX_FORMATS = {suffix: name for name, (_, suffix) in FORMATS.items()}
NAMED_RATES = {
    "23.976": Fraction(24000, 1001), "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001), "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
}
#: BT.709 tags for every file an editor will load (untagged H.264 is guessed per player)
BT709_ARGS = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
METADATA_KEY = "storyboard_app"
#: rates the FCPX adapter writes exactly (otio-fcpx-xml-adapter 1.0 keys its table on 23.98, so
#: NTSC rates would drift; see read_cut's notes)
FCPX_RATES = tuple(Fraction(r) for r in (24, 25, 30, 50, 60))
SMPTE_RATES = {24, 25, 30, 48, 50, 60}


def _rate_text(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}"

#: progress(done, total, what)
InterchangeProgress = Callable[[int, int, str], None]


class InterchangeError(ValueError):
    """A file or option that cannot be exported or imported; the message names it."""


def parse_rate(text: str | float | Fraction | None, project_rate: int | Fraction) -> Fraction:
    """"23.976" → 24000/1001, "24" → 24, None → ``project_rate`` (pass ``Project.frame_rate``)."""
    if text is None or text == "":
        return Fraction(project_rate)
    if isinstance(text, Fraction):
        rate = text
    else:
        key = str(text).strip()
        if key in NAMED_RATES:
            rate = NAMED_RATES[key]
        else:
            try:
                rate = Fraction(key).limit_denominator(1001)
            except ValueError:
                raise InterchangeError(f"rate: {text!r} is not a frame rate (e.g. 24, 25, 23.976)") from None
            ntsc = Fraction(round(rate) * 1000, 1001)
            if abs(float(rate) - float(ntsc)) < 0.005 and rate.denominator != 1:
                rate = ntsc
    if not 1 <= rate <= 240:
        raise InterchangeError(f"rate: {text!r} must be between 1 and 240 fps")
    return rate


@dataclass
class InterchangeOptions:
    rate: Fraction | None = None  # None: the project's rate (Project.frame_rate, 23.976 exact)
    media: bool = True  # write the conformed media beside the edit
    voice: bool = True  # the temp voiceover as an audio track (needs voiced lines)
    handles: int = 12  # held frames before and after each shot's media (at least any dissolve)


@dataclass
class FrameMap:
    """Project frames ↔ interchange frames; exact for pull-down (24 ↔ 23.976), else per cut."""

    project_fps: int
    rate: Fraction

    @property
    def pulldown(self) -> bool:
        return round(self.rate) == self.project_fps

    def to_rate(self, frames: int) -> int:
        return frames if self.pulldown else int(round(frames * self.rate / self.project_fps))

    def to_project(self, frames: int) -> int:
        return frames if self.pulldown else int(round(frames * self.project_fps / self.rate))


@dataclass(frozen=True)
class PlacedVoice:
    """A voiced line as the interchange needs it (from ``VoiceService.plan``)."""

    shot_id: str
    index: int
    speaker: str
    text: str
    offset_frames: int  # project frames from the shot's start
    duration_frames: int
    audio: Path | None


@dataclass
class InterchangeReport:
    output: Path
    media_dir: Path | None
    clips: int
    audio_clips: int
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the format could not carry


def _otio():  # noqa: ANN202 - the module, imported late: only interchange needs it
    import opentimelineio as otio

    return otio


def _rt(frames: int, rate: Fraction):  # noqa: ANN202
    return _otio().opentime.RationalTime(frames, float(rate))


def _range(start: int, duration: int, rate: Fraction):  # noqa: ANN202
    return _otio().opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def build_otio_timeline(project: Project, bundle: Path | str, media_dir: Path,
                        options: InterchangeOptions | None = None,
                        voice: Mapping[str, list[PlacedVoice]] | None = None):  # noqa: ANN201
    """The OTIO timeline of the project (media paths point into ``media_dir``; nothing written)."""
    otio = _otio()
    options = options or InterchangeOptions()
    rate = options.rate or project.frame_rate
    fmap = FrameMap(project.fps, rate)
    names = stable_shot_names(project)
    handles = _handles(project, fmap, options)
    timeline = otio.schema.Timeline(name=project.title, global_start_time=_rt(0, rate))
    timeline.metadata[METADATA_KEY] = {"project_fps": project.fps, "rate": str(rate), "handles": handles}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(video)
    voice_tracks: list[tuple[object, int]] = []  # (track, end frame)
    project_frames = 0
    cut = 0  # start of the current shot in interchange frames
    for seq in project.sequences:
        for shot in seq.shots:
            end = fmap.to_rate(project_frames + shot.duration)
            frames = max(end - cut, 1)
            if shot.transition_in.kind == TransitionKind.DISSOLVE and len(video) and shot.transition_in.frames:
                length = min(fmap.to_rate(shot.transition_in.frames), frames, 2 * handles)
                video.append(otio.schema.Transition(
                    name=f"Dissolve {shot.number}", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=_rt(length // 2, rate), out_offset=_rt(length - length // 2, rate)))
            clip = otio.schema.Clip(
                name=shot.number or shot.id,
                media_reference=otio.schema.ExternalReference(
                    target_url=(media_dir / f"{names[shot.id]}.mp4").resolve().as_uri(),
                    available_range=_range(0, frames + 2 * handles, rate)),
                source_range=_range(handles, frames, rate),
                metadata={METADATA_KEY: {"shot_id": shot.id, "scene": seq.name, "number": shot.number}},
            )
            clip.media_reference.name = names[shot.id]
            _add_markers(otio, clip, project, shot, fmap, handles, rate, voice)
            video.append(clip)
            for line in (voice or {}).get(shot.id, []):
                if line.audio is not None:
                    start = cut + fmap.to_rate(line.offset_frames)
                    _place_voice(otio, timeline, voice_tracks, line, names[shot.id], start,
                                 max(fmap.to_rate(line.duration_frames), 1), rate, media_dir)
            project_frames += shot.duration
            cut = end
    return timeline


def _handles(project: Project, fmap: FrameMap, options: InterchangeOptions) -> int:
    longest = max((fmap.to_rate(s.transition_in.frames) for s in project.all_shots()
                   if s.transition_in.kind == TransitionKind.DISSOLVE), default=0)
    return max(options.handles, (longest + 1) // 2)


def _add_markers(otio, clip, project: Project, shot: Shot, fmap: FrameMap, handles: int,  # noqa: ANN001
                 rate: Fraction, voice: Mapping[str, list[PlacedVoice]] | None) -> None:
    """Notes at the clip's first frame; each dialogue line over the frames where it plays."""
    if shot.notes.strip():
        clip.markers.append(otio.schema.Marker(
            name=f"NOTE: {shot.notes.strip()}", marked_range=_range(handles, 1, rate),
            color=otio.schema.MarkerColor.YELLOW))
    placed = {v.index: v for v in (voice or {}).get(shot.id, [])}
    speakers = {c.id: c.name for c in project.characters}
    for i, line in enumerate(shot.dialogue):
        if not line.text.strip():
            continue
        where = placed.get(i)
        start = fmap.to_rate(where.offset_frames) if where else 0
        length = max(fmap.to_rate(where.duration_frames), 1) if where else 1
        speaker = speakers.get(line.speaker, line.speaker) or "Narrator"
        clip.markers.append(otio.schema.Marker(
            name=f"{speaker}: {line.text.strip()}", marked_range=_range(handles + start, length, rate),
            color=otio.schema.MarkerColor.GREEN, metadata={METADATA_KEY: {"line_id": line.id}}))


def _place_voice(otio, timeline, tracks: list, line: PlacedVoice, shot_name: str, start: int,  # noqa: ANN001
                 frames: int, rate: Fraction, media_dir: Path) -> None:
    """A line clip on the first audio track that is free at ``start`` (overlong VO overlaps)."""
    free = [i for i, (_, end) in enumerate(tracks) if end <= start]
    if free:
        i = free[0]
    else:
        timeline.tracks.append(otio.schema.Track(name=f"A{len(tracks) + 1}", kind=otio.schema.TrackKind.Audio))
        tracks.append((timeline.tracks[-1], 0))
        i = len(tracks) - 1
    track, end = tracks[i]
    if start > end:
        track.append(otio.schema.Gap(source_range=_range(0, start - end, rate)))
    name = f"line_{shot_name.removeprefix('shot_')}_{line.index + 1}.wav"
    clip = otio.schema.Clip(
        name=f"{line.speaker}: {line.text}"[:60],
        media_reference=otio.schema.ExternalReference(
            target_url=(media_dir / name).resolve().as_uri(), available_range=_range(0, frames, rate)),
        source_range=_range(0, frames, rate),
        metadata={METADATA_KEY: {"shot_id": line.shot_id, "line": line.index, "file": name}},
    )
    track.append(clip)
    tracks[i] = (track, start + frames)


def voice_lines(project: Project, bundle: Path | str) -> dict[str, list[PlacedVoice]]:
    """Each shot's voiced lines, placed exactly as the animatic export places them."""
    from ..voice.service import VoiceService

    service = VoiceService(BundlePaths(bundle))
    out: dict[str, list[PlacedVoice]] = {}
    for shot in project.all_shots():
        by_id = {line.id: i for i, line in enumerate(shot.dialogue)}
        out[shot.id] = [
            PlacedVoice(shot.id, by_id[p.line_id], p.speaker_name, p.text, p.offset_frames,
                        p.duration_frames, Path(p.audio_path))
            for p in service.plan(project, shot)
        ]
    return out


def export_interchange(project: Project, bundle: Path | str, output: Path | str, fmt: str | None = None,
                       options: InterchangeOptions | None = None,
                       voice: Mapping[str, list[PlacedVoice]] | None = None,
                       progress: InterchangeProgress | None = None) -> InterchangeReport:
    """Write the edit (and, by default, its media in ``OUT_media/``). ``fmt`` defaults from the suffix."""
    otio = _otio()
    options = options or InterchangeOptions()
    output = Path(output)
    fmt = fmt or SUFFIX_FORMATS.get(output.suffix.lower())
    if fmt not in FORMATS:
        raise InterchangeError(f"{output}: unknown interchange format {fmt!r} (choose {', '.join(FORMATS)})")
    rate = options.rate or project.frame_rate
    media_dir = output.with_name(f"{output.stem}_media")
    if voice is None and options.voice and any(line.text.strip() or line.audio
                                               for shot in project.all_shots() for line in shot.dialogue):
        voice = voice_lines(project, bundle)
    timeline = build_otio_timeline(project, bundle, media_dir, options, voice)
    report = InterchangeReport(output, media_dir if options.media else None, len(project.all_shots()),
                               sum(len(v) for v in (voice or {}).values()))
    if options.media:
        report.files += write_media(project, bundle, media_dir, options, voice, progress)
    adapter, _ = FORMATS[fmt]
    if fmt == "fcpxml" and rate not in FCPX_RATES:
        raise InterchangeError(
            f"{output}: fcpxml is written at {', '.join(map(_rate_text, FCPX_RATES))} fps only "
            f"(the OTIO FCPX adapter cannot carry {_rate_text(rate)} exactly); use --rate or fcp7xml")
    if fmt in {"edl", "fcp7xml"} and round(rate) not in SMPTE_RATES:
        raise InterchangeError(f"{output}: {fmt} needs an SMPTE timecode rate (24, 25, 30, 48, 50, 60 or "
                               f"their NTSC forms), not {_rate_text(rate)} fps; use --rate")
    if fmt == "edl":
        report.notes.append("an EDL carries the picture only: the voiceover track is not in it")
        for track in list(timeline.tracks):
            if track.kind != otio.schema.TrackKind.Video:
                timeline.tracks.remove(track)
    if any(s.transition_in.kind == TransitionKind.FADE_FROM_BLACK for s in project.all_shots()):
        report.notes.append("fades from black are not exported (no portable form); add them in the edit")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    try:
        kwargs = {"rate": float(rate)} if fmt == "edl" else {}
        try:
            text = otio.adapters.write_to_string(timeline.deepcopy(), adapter_name=adapter, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the adapter's reason, with the file and format
            raise InterchangeError(f"{output}: {fmt} cannot be written at {_rate_text(rate)} fps: {exc}") from None
        partial.write_text(text, encoding="utf-8")
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return report


# ----------------------------------------------------------------------------------- media


def write_media(project: Project, bundle: Path | str, media_dir: Path, options: InterchangeOptions,
                voice: Mapping[str, list[PlacedVoice]] | None = None,
                progress: InterchangeProgress | None = None) -> list[Path]:
    """Each shot's take conformed to the edit (size, rate, length + handles, BT.709), and the lines."""
    rate = options.rate or project.frame_rate
    fmap = FrameMap(project.fps, rate)
    paths = BundlePaths(bundle)
    names = stable_shot_names(project)
    handles = _handles(project, fmap, options)
    shots = project.all_shots()
    if progress is not None:  # may raise Cancelled: before anything is written
        progress(0, len(shots), "starting")
    media_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    project_frames = cut = 0
    for done, shot in enumerate(shots):
        if progress is not None:
            progress(done, len(shots), f"media for shot {shot.number or shot.id}")
        end = fmap.to_rate(project_frames + shot.duration)
        frames = max(end - cut, 1)
        target = media_dir / f"{names[shot.id]}.mp4"
        _conform(project, paths, shot, target, frames + 2 * handles, handles, rate)
        written.append(target)
        for line in (voice or {}).get(shot.id, []):
            if line.audio is not None:
                wav = media_dir / f"line_{names[shot.id].removeprefix('shot_')}_{line.index + 1}.wav"
                shutil.copyfile(line.audio, wav)
                written.append(wav)
        project_frames += shot.duration
        cut = end
    if progress is not None:
        progress(len(shots), len(shots), "done")
    return written


def _conform(project: Project, paths: BundlePaths, shot: Shot, target: Path, total: int, head: int,
             rate: Fraction) -> None:
    """``total`` frames at ``rate``: ``head`` copies of the first frame, the take, then its last
    frame held (a take shorter than the shot holds, or is slowed to fit with the project's
    "slow" conform mode, as in the animatic), tagged BT.709. At a pull-down rate (24 ↔ 23.976)
    the take's frames are kept one for one, as the animatic plays them (``setpts`` renumbers
    them at ``rate``); resampling them by time would drop a frame every 1001 (matrix, primaries and transfer:
    ``setparams`` in the graph, because the output flags alone tag only the matrix)."""
    media, still = selected_media(paths, shot)
    w, h = project.width, project.height
    rate_text = f"{rate.numerator}/{rate.denominator}"
    scale = (f"scale={w}:{h}:force_original_aspect_ratio=increase:out_color_matrix=bt709,"
             f"crop={w}:{h},setsar=1,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709")
    with tempfile.TemporaryDirectory(prefix="storyboard-interchange-") as tmp:
        if media is None or still:
            image = Path(tmp) / "still.png"
            if media is None:
                placeholder(shot, w, h).save(image)
            else:
                shutil.copyfile(media, image.with_suffix(media.suffix))
                image = image.with_suffix(media.suffix)
            inputs = ["-loop", "1", "-framerate", rate_text, "-i", str(image)]
            vf = scale
        else:
            inputs = ["-i", str(media)]
            pulldown = FrameMap(project.fps, rate).pulldown
            stretch = ""
            if project.render.conform == ConformMode.SLOW:  # as the animatic: slow the take to fit
                info = probe(media)
                shot_seconds = (total - 2 * head) / (project.fps if pulldown else float(rate))
                if info.duration and info.duration < shot_seconds:
                    stretch = f"setpts=PTS*{shot_seconds / info.duration:.6f},"
            # pull-down: frames at the timebase, then renumbered at the real rate (one for one)
            retime = f"fps={project.fps},setpts=N/({rate_text})/TB" if pulldown else f"fps={rate_text}"
            vf = (f"{stretch}{scale},{retime},"
                  f"tpad=start={head}:start_mode=clone:stop=-1:stop_mode=clone")
        partial = Path(tmp) / target.name
        run_ffmpeg(["-y", *inputs, "-vf", vf, "-frames:v", str(total), "-r", rate_text, "-an",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                    *BT709_ARGS, str(partial)], timeout=600, what=f"media for shot {shot.number}")
        shutil.move(str(partial), target)


# ----------------------------------------------------------------------------------- import


def read_cut(path: Path | str, project: Project, rate: Fraction | str | None = None) -> list[CutClip]:
    """The editor's first video track as clips in order, durations in project frames.

    ``rate`` is needed for an EDL only (an EDL does not say its rate): default, the project's fps;
    other formats carry their rate. Cut points are converted cumulatively, so a long cut does not
    drift; gaps are skipped (the boards have no gaps), transitions keep the clip lengths.
    """
    otio = _otio()
    path = Path(path)
    if not path.is_file():
        raise InterchangeError(f"{path}: file not found")
    suffix = path.suffix.lower()
    fmt = SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        raise InterchangeError(f"{path}: not an edit this app reads (.otio, .edl, .xml, .fcpxml)")
    adapter, _ = FORMATS[fmt]
    kwargs = {"rate": float(parse_rate(rate, project.frame_rate))} if fmt == "edl" else {}
    try:
        timeline = otio.adapters.read_from_file(str(path), adapter_name=adapter, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any adapter failure is this file's problem
        raise InterchangeError(f"{path}: cannot read the edit: {exc}") from None
    if isinstance(timeline, otio.schema.SerializableCollection):
        timelines = [t for t in timeline.find_children(descended_from_type=otio.schema.Timeline)]
        if not timelines:
            raise InterchangeError(f"{path}: no sequence in the file")
        timeline = timelines[0]
    videos = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    if not videos:
        raise InterchangeError(f"{path}: the edit has no video track")
    clips = [item for item in videos[0] if isinstance(item, otio.schema.Clip)]
    if not clips:
        return []
    if rate is not None:
        file_rate = parse_rate(rate, project.frame_rate)
    else:
        file_rate = parse_rate(str(Fraction(clips[0].source_range.duration.rate).limit_denominator(1001)),
                               project.frame_rate)
    lengths = _centred_lengths(otio, videos[0], file_rate)
    fmap = FrameMap(project.fps, file_rate)
    out: list[CutClip] = []
    at = 0  # cumulative interchange frames: each cut point converts on its own, no drift
    for clip, length in zip(clips, lengths, strict=True):
        start_p, end_p = fmap.to_project(at), fmap.to_project(at + length)
        at += length
        meta = clip.metadata.get(METADATA_KEY, None) if hasattr(clip.metadata, "get") else None
        shot_id = str(meta.get("shot_id", "")) if meta is not None and hasattr(meta, "get") else ""
        out.append(CutClip(name=clip.name or "", media=_media_name(clip), frames=max(end_p - start_p, 1),
                           shot_id=shot_id))
    return out


def _centred_lengths(otio, track, rate: Fraction) -> list[int]:  # noqa: ANN001
    """Each clip's length from the centre of its incoming dissolve to the centre of its outgoing
    one, which is how the boards play a dissolve. OTIO/XML transitions are already centred on
    the cut; an EDL's dissolve starts at the cut (CMX 3600), so its clips are shifted by half."""
    items = [item for item in track if isinstance(item, (otio.schema.Clip, otio.schema.Transition))]
    lengths: list[int] = []
    pending_shift = 0
    previous_clip = False
    for item in items:
        if isinstance(item, otio.schema.Clip):
            frames = int(round(item.source_range.duration.rescaled_to(float(rate)).value))
            lengths.append(frames - pending_shift)
            pending_shift, previous_clip = 0, True
        else:
            in_offset = int(round(item.in_offset.rescaled_to(float(rate)).value))
            out_offset = int(round(item.out_offset.rescaled_to(float(rate)).value))
            shift = (in_offset + out_offset) // 2 - in_offset
            if previous_clip and lengths:
                lengths[-1] += shift
            pending_shift = shift
    return lengths


def _media_name(clip) -> str:  # noqa: ANN001
    """The file stem of the clip's media ("shot_3A"), or "" when it has none."""
    ref = clip.media_reference
    url = getattr(ref, "target_url", None) or ""
    if url:
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(url).path) if "://" in url else url).stem
    return getattr(ref, "name", "") or ""
