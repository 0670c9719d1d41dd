"""``render_animatic``: from a project to an MP4 — generate what is missing, voice what is
missing, then export. The CLI's ``render`` and the GUI's export run exactly this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Document, Shot
from .export import DialogueCue, ExportOptions, export_mp4
from .timeline import build_timeline, to_export_frames

#: progress(stage, fraction, message)
StageProgress = Callable[[str, float, str], None]
STAGES = ("generate", "voice", "export")


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


def render_animatic(
    document: Document,
    output: Path | str,
    *,
    options: ExportOptions | None = None,
    progress: StageProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    generate: bool = True,
    jobs: int | None = None,
) -> ExportReport:
    from ..generation.service import generate_shots
    from ..media.ffmpeg import Cancelled
    from ..voice.service import VoiceService

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

        gen = generate_shots(document, shots, on_event=on_event, cancelled=cancelled, jobs=jobs)
        if cancelled is not None and cancelled():
            raise Cancelled("render cancelled")
        generated, cached, failed = gen.generated, gen.cached + gen.up_to_date, len(gen.failed)
        by_number = {s.number: s.id for s in shots}
        for number, error in gen.failed:
            reasons[by_number.get(number, number)] = f"generation failed: {error}"
        for shot in shots:  # a batch that stopped early concludes nothing for the rest
            if shot.id not in done:
                reasons.setdefault(shot.id, "generation stopped before this shot finished")

    voice = VoiceService(document.paths)
    report_stage("voice", 0.0, "synthesizing dialogue")
    voice.synthesize(project, progress=lambda done, total, m: report_stage("voice", done / max(total, 1), m),
                     cancelled=cancelled)
    fps = options.fps or project.fps
    cues: list[DialogueCue] = []
    offset = 0
    for shot in project.all_shots():
        for line in voice.plan(project, shot):
            start = to_export_frames(offset + line.offset_frames, project.fps, fps)
            cues.append(DialogueCue(start, max(to_export_frames(line.duration_frames, project.fps, fps), 1),
                                    line.speaker_name, line.text, Path(line.audio_path)))
        offset += shot.duration
    report_stage("voice", 1.0, f"{len(cues)} lines")

    slate = int(round(options.slate_seconds * fps)) if options.burnins.slate else 0
    timeline = build_timeline(project, bundle, slate_frames=slate, fps=fps)
    export_mp4(project, timeline, cues, output, options,
               progress=lambda f, m: report_stage("export", f, m), cancelled=cancelled)
    placeholders = [
        (seg.shot.number or seg.shot.id, reasons.get(seg.shot.id, _no_clip_reason(seg.shot)))
        for seg in timeline.segments if seg.media is None
    ]
    return ExportReport(
        Path(output), timeline.total_frames, timeline.total_frames / fps, generated, cached, failed,
        len(cues), len(placeholders), placeholders,
        generation_failed=generate and any(seg.shot.id in reasons for seg in timeline.segments
                                           if seg.media is None),
    )


def _no_clip_reason(shot: Shot) -> str:
    take = shot.selected_take
    if take is None:
        failed = next((t for t in reversed(shot.takes) if t.error), None)
        return f"no take (last attempt failed: {failed.error})" if failed else "no take"
    if take.error:
        return f"take {take.id} failed: {take.error}"
    return f"take {take.id}: media file {take.media_path or '(none)'} is missing or unreadable"
