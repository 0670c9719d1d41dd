"""``voice`` and ``voices``: temp voiceover from the command line.

``voice PROJECT`` voices every dialogue line (cached in the bundle), prints each shot's
voiceover length against its picture length and flags the ones that run long; ``--fit``
extends those shots to their dialogue plus a tail and saves the project (one undo step in
the GUI's terms). ``voices`` lists the installed engines and their voices; ``voices list``
browses the Piper catalogue, ``voices pull NAME`` / ``voices rm NAME`` add and remove voices
(downloads happen only here, on request), ``voices refresh`` updates the catalogue from the hub.
A project naming a voice that is not installed is voiced with the bundled one, with a warning
that names the character and the pull command.
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

    p = subparsers.add_parser(
        "voices", help="the installed voices; the Piper voice catalogue; pull and remove voices",
        description="Without a subcommand: the installed engines and voices.")
    p.set_defaults(func=cmd_voices)
    sub = p.add_subparsers(dest="voices_command", metavar="SUBCOMMAND")
    q = sub.add_parser("list", help="the Piper voice catalogue (language, gender, quality, licence, size)")
    q.add_argument("--language", default="", help="language prefix, e.g. en, en_GB, de")
    q.add_argument("--gender", choices=["female", "male", "mixed"], help="only voices of this gender")
    q.add_argument("--installed", action="store_true", help="only voices installed here (bundled or pulled)")
    q.set_defaults(func=cmd_voices_list)
    q = sub.add_parser("pull", help="download a catalogue voice (resumable, checksum-checked)")
    q.add_argument("name", help="a voice key (en_US-amy-medium), alias, or name (amy)")
    q.set_defaults(func=cmd_voices_pull)
    q = sub.add_parser("rm", help="remove a pulled voice")
    q.add_argument("name")
    q.set_defaults(func=cmd_voices_rm)
    q = sub.add_parser("refresh", help="download the current voice catalogue from the hub")
    q.set_defaults(func=cmd_voices_refresh)


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
    warn_missing_voices(report.missing)

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


def warn_missing_voices(missing) -> None:  # noqa: ANN001 - list[MissingVoice]
    """One warning per missing voice: who uses it, what speaks instead, the command to fetch it."""
    for item in missing:
        console_err.print(f"warning: {item.message()}", markup=False, highlight=False, soft_wrap=True)


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def cmd_voices_list(args: argparse.Namespace) -> int:
    from ..voice.catalogue import load_catalogue
    from ..voice.manager import installed_voices, partial_pulls

    catalogue = load_catalogue()
    installed = installed_voices()
    partial = partial_pulls()
    voices = catalogue.select(language=args.language, gender=args.gender or "")
    if args.installed:
        voices = [v for v in voices if v.key in installed]
    table = Table(title=f"Piper voices ({catalogue.source})", title_justify="left", expand=False)
    for col in ("voice", "language", "quality", "gender", "speakers", "size", "licence", "here"):
        table.add_column(col, no_wrap=col in ("voice", "here"), overflow="fold")
    for v in voices:
        info = installed.get(v.key)
        here = ("bundled" if info.bundled else "installed") if info is not None else (
            f"partial ({_size(partial[v.key])})" if v.key in partial else "")
        table.add_row(v.key, v.language, v.quality, v.gender or "?",
                      str(v.num_speakers), _size(v.download_size), v.licence or "see MODEL_CARD", here)
    if args.installed:  # voices installed here that the catalogue does not list (dropped in by hand)
        listed = {v.key for v in voices}
        lang = args.language.replace("-", "_").lower()
        for info in installed.values():
            if info.id not in listed and info.language.lower().startswith(lang) and not args.gender:
                table.add_row(info.id, info.language, "", "?", str(len(info.speakers) or 1), "",
                              "", "bundled" if info.bundled else "installed")
    if not table.row_count:
        console.print("no voice matches")
        return EXIT_OK
    console.print(table)
    if not args.installed:
        console.print("Fetch one with: storyboard-app voices pull VOICE")
    return EXIT_OK


def cmd_voices_pull(args: argparse.Namespace) -> int:
    from ..voice.engine import VoiceError
    from ..voice.manager import pull_voice, voice_dir

    with progress_bar(transient=True) as bar:
        task = bar.add_task("pull", total=None, status=args.name)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, status=what)

        try:
            result = pull_voice(args.name, progress=progress)
        except VoiceError as exc:
            raise CliError(str(exc)) from None
    voice = result.voice
    if not result.downloaded:
        where = f"in {voice_dir()}" if result.model.parent == voice_dir() else "bundled with the app"
        console.print(f"{voice.key} is already installed ({where})")
    else:
        console.print(f"pulled {voice.key} ({_size(voice.download_size)}) into {voice_dir()}")
    if voice.licence:
        console.print(f"licence of its training data: {voice.licence}")
    else:
        console.print("licence not recorded here: read its MODEL_CARD on the hub before publishing with it")
    return EXIT_OK


def cmd_voices_rm(args: argparse.Namespace) -> int:
    from ..voice.engine import VoiceError
    from ..voice.manager import remove_voice

    try:
        removed = remove_voice(args.name)
    except VoiceError as exc:
        raise CliError(str(exc)) from None
    console.print(f"removed {args.name} ({len(removed)} file{'s' if len(removed) != 1 else ''})")
    return EXIT_OK


def cmd_voices_refresh(args: argparse.Namespace) -> int:
    from ..voice.catalogue import refresh_catalogue
    from ..voice.engine import VoiceError

    try:
        catalogue = refresh_catalogue()
    except VoiceError as exc:
        raise CliError(str(exc)) from None
    console.print(f"{len(catalogue.voices)} voices in the catalogue ({catalogue.source})")
    return EXIT_OK
