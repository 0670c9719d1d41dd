"""``render_animatic``: from a project to an MP4 — generate what is missing, voice what is
missing, then export. The CLI's ``render`` and the GUI's export run exactly this."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Document, Shot
from .export import ExportOptions, export_mp4
from .interchange import PlacedVoice
from .subtitles import place_dialogue
from .timeline import build_timeline, output_rate

if TYPE_CHECKING:
    from ..generation.service import GenerationService

#: progress(stage, fraction, message)
StageProgress = Callable[[str, float, str], None]
STAGES = ("generate", "voice", "export")

#: what the export does with dialogue that runs past the end of its shot (issue 13.3):
#: "fit" lengthens the shot (in the export only, the project is unchanged) to the dialogue plus
#: ``DEFAULT_TAIL_FRAMES``; "trim" cuts the line's sound and subtitle at the cut; "run-over"
#: lets it play over the next shot, the only policy under which a line crosses a cut.
DIALOGUE_OVERFLOW = ("fit", "trim", "run-over")
DEFAULT_DIALOGUE_OVERFLOW = "fit"


@dataclass
class ExportReport:
    output: Path
    frames: int
    seconds: float  # animatic duration
    generated: int = 0
    cached: int = 0
    failed_shots: int = 0
    lines: int = 0
    placeholders: int = 0
    #: (shot number, reason) for every shot drawn as a placeholder, in timeline order: why its
    #: generation failed, or why it has no usable take.
    placeholder_shots: list[tuple[str, str]] = field(default_factory=list)
    #: True when generation was asked for and some shot still has no clip (a failed batch).
    generation_failed: bool = False
    dialogue_overflow: str = DEFAULT_DIALOGUE_OVERFLOW
    overflowing: list[str] = field(default_factory=list)  # shot numbers whose dialogue ran long
    elapsed: float = 0.0  # wall-clock seconds the export took
    #: voices the project names that are not installed here: those lines were spoken with the
    #: bundled voice (listed in the summary and on the slate)
    missing_voices: list = field(default_factory=list)  # list[voice.fallback.MissingVoice]

    def overflow_note(self) -> str:
        """"" or e.g. "shots 3, 5 fitted to their dialogue" for the result line."""
        if not self.overflowing:
            return ""
        verb = {"fit": "fitted to their dialogue", "trim": "dialogue trimmed at the cut",
                "run-over": "dialogue runs over the cut"}[self.dialogue_overflow]
        which = ", ".join(self.overflowing)
        return f"shot{'s' if len(self.overflowing) > 1 else ''} {which}: {verb}"


def render_animatic(
    document: Document,
    output: Path | str,
    *,
    options: ExportOptions | None = None,
    progress: StageProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    generate: bool = True,
    jobs: int | None = None,
    dialogue_overflow: str = DEFAULT_DIALOGUE_OVERFLOW,
    generation_service: GenerationService | None = None,
) -> ExportReport:
    from ..generation.service import generate_shots
    from ..media.ffmpeg import Cancelled

    if dialogue_overflow not in DIALOGUE_OVERFLOW:
        raise ValueError(f"dialogue_overflow must be one of {', '.join(DIALOGUE_OVERFLOW)} "
                         f"(got {dialogue_overflow!r})")
    began = time.monotonic()
    options = options or ExportOptions()
    report_stage = progress or (lambda stage, f, m: None)
    bundle = document.paths.root
    project = document.project

    generated = cached = failed = 0
    reasons: dict[str, str] = {}  # shot id -> why generation gave it no clip
    if generate:
        shots = project.all_shots()
        done: set[str] = set()

        def on_event(event) -> None:  # noqa: ANN001
            if event.outcome:
                done.add(event.shot_id)
            report_stage("generate", len(done) / max(len(shots), 1), f"shot {event.shot_number}: {event.message}")

        gen = generate_shots(document, shots, on_event=on_event, cancelled=cancelled, jobs=jobs,
                           service=generation_service)
        if cancelled is not None and cancelled():
            raise Cancelled("render cancelled")
        generated, cached, failed = gen.generated, gen.cached + gen.up_to_date, len(gen.failed)
        by_number = {s.number: s.id for s in shots}
        for number, error in gen.failed:
            reasons[by_number.get(number, number)] = f"generation failed: {error}"
        for shot in shots:  # a batch that stopped early concludes nothing for the rest
            if shot.id not in done:
                reasons.setdefault(shot.id, "generation stopped before this shot finished")

    from ..voice.service import VoiceService

    voice = VoiceService(document.paths)
    fps, rate = output_rate(project, options.fps)  # timebase (frame counts), real rate (seconds)
    project, cues, overflowing = voiced_cues(document, project, fps, dialogue_overflow,
                                             progress=report_stage, cancelled=cancelled, voice=voice)
    missing = voice.missing_voices()
    if missing and options.burnins.slate:
        note = "Stand-in voice: " + "; ".join(m.short() for m in missing)
        options = dataclasses.replace(options, slate_note=(options.slate_note + " · " if options.slate_note else "") + note)

    slate = int(round(options.slate_seconds * rate)) if options.burnins.slate else 0
    timeline = build_timeline(project, bundle, slate_frames=slate, fps=fps)
    if options.segment_cache is None:  # re-renders of this bundle reuse the unchanged segments
        options = dataclasses.replace(options, segment_cache=document.paths.cache / "segments")
    export_mp4(project, timeline, cues, output, options,
               progress=lambda f, m: report_stage("export", f, m), cancelled=cancelled)
    placeholders = [
        (seg.shot.number or seg.shot.id, reasons.get(seg.shot.id, _no_clip_reason(seg.shot)))
        for seg in timeline.segments if seg.media is None
    ]
    return ExportReport(
        Path(output), timeline.total_frames, timeline.seconds(timeline.total_frames), generated, cached, failed,
        len(cues), len(placeholders), placeholders,
        generation_failed=generate and any(seg.shot.id in reasons for seg in timeline.segments
                                           if seg.media is None),
        dialogue_overflow=dialogue_overflow,
        overflowing=[shot.number or shot.id for shot in overflowing],
        elapsed=time.monotonic() - began,
        missing_voices=missing,
    )


def voiced_cues(document: Document, project, fps: int, dialogue_overflow: str = DEFAULT_DIALOGUE_OVERFLOW, *,  # noqa: ANN001
                progress: StageProgress | None = None, cancelled: Callable[[], bool] | None = None,
                voice=None):  # noqa: ANN001, ANN201
    """Synthesize missing voice lines and place every line on the timeline.

    Returns (project, cues, overflowing shots): the project is a fitted copy under the "fit"
    policy when some dialogue runs past its shot, else ``project`` itself. The one cue list
    behind the burn-ins, the soundtrack and the soft subtitle track; the player uses it too.
    ``voice`` is the VoiceService to use (the caller's, to ask it which voices stood in).
    """
    from ..voice.service import VoiceService

    report_stage = progress or (lambda stage, f, m: None)
    voice = voice if voice is not None else VoiceService(document.paths)
    report_stage("voice", 0.0, "synthesizing dialogue")
    voice.synthesize(project, progress=lambda done, total, m: report_stage("voice", done / max(total, 1), m),
                     cancelled=cancelled)
    plans = {shot.id: voice.plan(project, shot) for shot in project.all_shots()}
    overflowing = [shot for shot in project.all_shots() if _vo_end(plans[shot.id]) > shot.duration]
    if dialogue_overflow == "fit" and overflowing:
        project = _fitted(project, {shot.id: _vo_end(plans[shot.id]) for shot in overflowing})
    trim_dir = document.paths.cache / "voice-trimmed"
    placed = {shot.id: _placed(shot, plans[shot.id]) for shot in project.all_shots()}
    cues = place_dialogue(project, placed, fps, trim_at_cut=dialogue_overflow == "trim",
                          trim_audio=lambda audio, seconds: _trimmed_wav(audio, seconds, trim_dir))
    report_stage("voice", 1.0, f"{len(cues)} lines")
    return project, cues, overflowing


def _no_clip_reason(shot: Shot) -> str:
    take = shot.selected_take
    if take is None:
        failed = next((t for t in reversed(shot.takes) if t.error), None)
        return f"no take (last attempt failed: {failed.error})" if failed else "no take"
    if take.error:
        return f"take {take.id} failed: {take.error}"
    return f"take {take.id}: media file {take.media_path or '(none)'} is missing or unreadable"


def _placed(shot: Shot, lines) -> list[PlacedVoice]:  # noqa: ANN001 - list[PlacedLine]
    """A shot's voice plan as the cue builder takes it (the same form as ``interchange.voice_lines``)."""
    index = {line.id: i for i, line in enumerate(shot.dialogue)}
    return [PlacedVoice(shot.id, index.get(p.line_id, i), p.speaker_name, p.text, p.offset_frames,
                        p.duration_frames, Path(p.audio_path)) for i, p in enumerate(lines)]


def _vo_end(lines) -> int:  # noqa: ANN001 - list[PlacedLine]
    """Frames from the shot's start to the end of its last voiced line (0 without lines)."""
    return max((line.offset_frames + line.duration_frames for line in lines), default=0)


def _fitted(project, vo_ends: dict[str, int]):  # noqa: ANN001, ANN202 - Project → Project
    """A copy of ``project`` whose overflowing shots are as long as their dialogue plus the tail
    (the same edit as ``voice --fit`` and the app's "Fit shot to dialogue"); the original (the
    director's project) is left as it is."""
    from ..voice.timing import fit_shot_to_dialogue

    fitted = copy.deepcopy(project)
    for shot_id, vo in vo_ends.items():
        command = fit_shot_to_dialogue(fitted.shot(shot_id), vo)
        if command is not None:
            command.apply(fitted)
    return fitted


def _trimmed_wav(source: Path, seconds: float, folder: Path) -> Path:
    """The first ``seconds`` of a voiced line, with a 10 ms fade so the cut does not click."""
    import numpy as np

    from ..media.ffmpeg import read_wav, write_wav

    samples, rate = read_wav(source)
    n = max(int(seconds * rate), 1)
    target = folder / f"{source.stem}-{n}.wav"
    if not target.is_file():
        cut = np.array(samples[:n], dtype=np.float32)
        fade = min(len(cut), int(rate * 0.01))
        if fade:
            cut[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(target, cut, rate)
    return target
