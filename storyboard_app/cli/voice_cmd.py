"""``voice`` and ``voices``: temp voiceover from the command line.

``voice PROJECT`` voices every dialogue line (cached in the bundle), prints each shot's
voiceover length against its picture length and flags the ones that run long; ``--fit``
extends those shots to their dialogue plus a tail and saves the project (one undo step in
the GUI's terms). ``voices`` lists the installed engines and their voices.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from ..model import format_duration
from ..model.timecode import plural
from ..voice import DEFAULT_TAIL_FRAMES, VoiceService, fit_shots_to_dialogue, installed_engines
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
    select_shots,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "voice", help="synthesise temp voiceover for dialogue lines and check it fits the shots"
    )
    p.add_argument("project")
    p.add_argument("--shots", help="comma-separated shot numbers or ids (default: all)")
    p.add_argument("--fit", action="store_true",
                   help="extend shots whose voiceover is longer than the shot, then save")
    p.add_argument("--tail", type=int, default=DEFAULT_TAIL_FRAMES,
                   help=f"frames kept after the last line when fitting (default {DEFAULT_TAIL_FRAMES})")
    add_wait_flag(p)
    p.set_defaults(func=cmd_voice)

    p = subparsers.add_parser("voices", help="list the installed voice engines and their voices")
    p.set_defaults(func=cmd_voices)


def cmd_voice(args: argparse.Namespace) -> int:
    if args.tail < 0:
        raise CliError("--tail must not be negative", EXIT_USAGE)
    doc = open_document_for_writing(args.project, wait=args.wait)
    project = doc.project
    shots = select_shots(project, args.shots)
    service = VoiceService(doc.paths)
    with progress_bar(transient=True) as bar:
        task = bar.add_task("voice", total=None, status="")

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, status=what)

        report = service.synthesize(project, shots, progress=progress)

    fps = project.fps
    table = Table(title="Voiceover per shot", title_justify="left", expand=False)
    for col in ("shot", "lines", "VO", "shot length", ""):
        table.add_column(col)
    for timing in report.shots:
        if not timing.lines:
            continue
        flag = (f"[red]too long by {format_duration(timing.excess_frames, fps)}[/]"
                if timing.overlong else "ok")
        table.add_row(timing.number or timing.shot_id, str(timing.lines),
                      format_duration(timing.vo_frames, fps),
                      format_duration(timing.shot_frames, fps), flag)
    if table.row_count:
        console.print(table)
    for error in report.errors:
        console_err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"{report.synthesized} synthesized, {report.cached} from cache")

    overlong = report.overlong
    if overlong and args.fit:
        command = fit_shots_to_dialogue(project, overlong, tail=args.tail)
        if command is not None:
            doc.apply(command)
            doc.save()
            fitted = ", ".join(t.number or t.shot_id for t in overlong)
            console.print(f"fitted shots {fitted} to their dialogue (+{args.tail} frames); saved")
    elif overlong:
        console.print(f"{plural(len(overlong), 'shot')} {'has' if len(overlong) == 1 else 'have'} "
                      "voiceover longer than the shot; "
                      "--fit extends them")
    return EXIT_FAILURE if report.errors else EXIT_OK


def cmd_voices(args: argparse.Namespace) -> int:
    entries = installed_engines()
    if not entries:
        raise CliError("no voice engines installed (expected piper-tts)")
    table = Table(expand=False)
    for col in ("engine", "voice", "language", "rate", "details"):
        table.add_column(col)
    for entry in entries:
        if entry.engine is None:
            table.add_row(entry.name, "—", "", "", f"[red]{entry.error}[/]")
            continue
        voices = entry.engine.voices()
        if not voices:
            table.add_row(entry.name, "—", "", "", f"{entry.engine.version}: no voices installed")
        for info in voices:
            table.add_row(entry.name, info.id, info.language,
                          f"{info.sample_rate} Hz" if info.sample_rate else "",
                          f"{entry.engine.version}; {info.description}")
    console.print(table)
    return EXIT_OK
