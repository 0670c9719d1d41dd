"""``render``: generate missing takes, voice missing lines, export the animatic MP4."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

from ..model.timecode import plural
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_wait_flag,
    console,
    console_err,
    open_document_for_writing,
    progress_bar,
)
from .executor_opts import add_executor_flags, generation_service
from .project_cmds import parse_size


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("render", help="render the animatic MP4 (generates and voices what is missing)")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True, help="the MP4 to write")
    p.add_argument("--preset", choices=["preview", "delivery"], default="preview")
    p.add_argument("--size", help="WIDTHxHEIGHT (default: the project's size)")
    p.add_argument("--fps", type=int, help="frames per second (default: the project's fps)")
    p.add_argument("--no-burnins", action="store_true", help="no shot labels, timecode, subtitles, label or slate")
    p.add_argument("--no-slate", action="store_true", help="no title slate before the first shot")
    p.add_argument("--music", help="a music bed (looped or trimmed, ducked under dialogue)")
    p.add_argument("--soft-subtitles", action="store_true",
                   help="add the dialogue as a subtitle track (mov_text) that players can switch on and off")
    p.add_argument("--jobs", type=int, help="parallel generation jobs")
    p.add_argument("--allow-placeholders", action="store_true",
                   help="exit 0 even when shots whose generation failed are drawn as placeholders")
    p.add_argument("--dialogue-overflow", choices=["fit", "trim", "run-over"], default="fit",
                   help="dialogue longer than its shot: fit (lengthen the shot in the export; the "
                        "default), trim (cut the line at the cut) or run-over (play it over the next shot)")
    add_executor_flags(p)
    add_wait_flag(p)
    p.set_defaults(func=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    from ..render.burnins import BurnIns
    from ..render.export import DiskFullError, ExportOptions
    from ..render.service import STAGES, render_animatic

    output = Path(args.output)
    if output.suffix.lower() != ".mp4":
        raise CliError(f"the output must be an .mp4 file (got {output})", EXIT_USAGE)
    music = Path(args.music) if args.music else None
    if music is not None and not music.is_file():
        raise CliError(f"{music}: music file not found", EXIT_USAGE)
    document = open_document_for_writing(args.project, wait=args.wait)
    width = height = None
    if args.size:
        width, height = parse_size(args.size)
    if args.fps is not None and not 1 <= args.fps <= 240:
        raise CliError(f"--fps must be between 1 and 240 (got {args.fps})", EXIT_USAGE)
    burnins = BurnIns.none() if args.no_burnins else BurnIns(slate=not args.no_slate)
    options = ExportOptions(preset=args.preset, width=width, height=height, fps=args.fps, burnins=burnins,
                            music=music, soft_subtitles=args.soft_subtitles)
    service = generation_service(args, document.paths.root)  # None: the default local service
    started = time.monotonic()
    with progress_bar() as progress, _shutting_down(service):
        tasks = {stage: progress.add_task(stage, total=1000, status="") for stage in STAGES}

        def on_progress(stage: str, fraction: float, message: str) -> None:
            progress.update(tasks[stage], completed=int(fraction * 1000), status=message[:50])

        try:
            report = render_animatic(document, output, options=options, progress=on_progress, jobs=args.jobs,
                                     dialogue_overflow=args.dialogue_overflow, generation_service=service)
        except DiskFullError as exc:
            raise CliError(f"{exc}; {_save_after_failure(document)}") from None
        for task in tasks.values():
            progress.update(task, completed=1000, status="")
    console.print(
        f"wrote {output} — {report.seconds:.1f} s, {report.frames} frames, {report.lines} dialogue lines; "
        f"{plural(report.generated, 'shot')} generated, {report.cached} from cache"
        + (f", {report.placeholders} placeholders" if report.placeholders else "")
        + f" ({time.monotonic() - started:.1f} s)"
        + (f"; {report.overflow_note()}" if report.overflowing else "")
        + (f"; {plural(len(report.missing_voices), 'voice')} not installed, the bundled voice spoke instead"
           if report.missing_voices else ""),
        soft_wrap=True,
    )
    from .voice_cmd import warn_missing_voices

    warn_missing_voices(report.missing_voices)  # the slate says it too
    for number, reason in report.placeholder_shots:
        console_err.print(f"placeholder: shot {number}: {reason}", markup=False, highlight=False, soft_wrap=True)
    if document.dirty:  # new takes were recorded; a render that changed nothing writes nothing
        document.save()
    if report.generation_failed and not args.allow_placeholders:
        console_err.print(f"error: {report.placeholders} shot(s) are placeholders because generation failed "
                          "(--allow-placeholders accepts that)", markup=False, highlight=False, soft_wrap=True)
        return EXIT_FAILURE
    return EXIT_OK


def _save_after_failure(document) -> str:  # noqa: ANN001
    """Keep takes generated before the export failed; say whether the project was saved."""
    if not document.dirty:
        return "the project is unchanged (nothing to save)"
    try:
        document.save()
    except OSError as exc:
        return f"the project could NOT be saved ({exc.strerror or exc}): generated takes are not recorded"
    return "the project was saved (the takes generated before the failure are kept)"


@contextlib.contextmanager
def _shutting_down(service):  # noqa: ANN001, ANN202
    """Shut a command's own generation service down however the command ends."""
    try:
        yield
    finally:
        if service is not None:
            service.shutdown()
