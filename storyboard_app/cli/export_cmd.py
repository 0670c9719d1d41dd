"""``export``: the deliverables other than the animatic MP4 — the PDF deck, the edit for an
editor's tool (OTIO, EDL, FCP 7 XML, FCPX XML), subtitles, stills and a contact sheet."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import EXIT_OK, EXIT_USAGE, CliError, console, open_document

FORMATS = ("pdf", "otio", "edl", "fcp7xml", "fcpxml", "srt", "vtt", "stills", "contact-sheet")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export", help="export a PDF deck, an edit (OTIO/EDL/XML), subtitles or stills")
    p.add_argument("project")
    p.add_argument("--format", "-f", required=True, choices=FORMATS)
    p.add_argument("-o", "--output", required=True,
                   help="the file to write (a folder for --format stills)")
    deck = p.add_argument_group("pdf")
    deck.add_argument("--layout", default="3x2", help="panels per page: 1, 2, 2x2, 3x2, 4x3 (default 3x2)")
    deck.add_argument("--paper", default="a4", choices=["a4", "letter"])
    deck.add_argument("--portrait", action="store_true", help="portrait pages (default landscape)")
    deck.add_argument("--logline", default="", help="one sentence under the title (default: the project's notes)")
    deck.add_argument("--deck-version", default="", help="version shown on the title page")
    deck.add_argument("--characters", action="store_true", help="add character sheet pages")
    deck.add_argument("--jpeg-quality", type=int, default=85)
    deck.add_argument("--dpi", type=int, default=250, help="image resolution at printed size")
    deck.add_argument("--frame", action="append", default=[], metavar="SHOT=FRAME",
                      help="show this frame of a shot instead of its middle frame (repeatable)")
    edit = p.add_argument_group("otio, edl, fcp7xml, fcpxml")
    edit.add_argument("--rate", help="edit rate, e.g. 24, 25, 23.976 (default: the project's fps)")
    edit.add_argument("--no-media", action="store_true", help="do not write the conformed media files")
    edit.add_argument("--no-voice", action="store_true", help="no voiceover audio track or markers timing")
    edit.add_argument("--handles", type=int, default=12, help="held frames before/after each clip's media")
    subs = p.add_argument_group("srt, vtt")
    subs.add_argument("--no-slate", action="store_true",
                      help="times for an MP4 rendered with --no-slate (default: after the 2 s slate)")
    subs.add_argument("--slate-seconds", type=float, default=2.0)
    p.set_defaults(func=cmd_export)


def _frames(project, specs: list[str]) -> dict[str, int]:  # noqa: ANN001
    from .common import select_shots

    out: dict[str, int] = {}
    for spec in specs:
        shot_key, sep, frame = spec.partition("=")
        if not sep or not frame.strip().lstrip("-").isdigit():
            raise CliError(f"--frame {spec!r}: expected SHOT=FRAME, e.g. 3A=12", EXIT_USAGE)
        shot = select_shots(project, shot_key.strip())[0]
        out[shot.id] = int(frame)
    return out


def cmd_export(args: argparse.Namespace) -> int:
    document = open_document(args.project)
    project, bundle = document.project, document.paths.root
    output = Path(args.output)
    fmt = args.format
    if fmt == "pdf":
        from ..render.deck import DeckError, DeckOptions, build_deck

        options = DeckOptions(layout=args.layout, paper=args.paper,
                              orientation="portrait" if args.portrait else "landscape",
                              jpeg_quality=args.jpeg_quality, dpi=args.dpi, logline=args.logline,
                              version=args.deck_version, character_pages=args.characters,
                              frames=_frames(project, args.frame))
        try:
            options.validate()
        except DeckError as exc:
            option, _, reason = str(exc).partition(": ")
            raise CliError(f"--{option.replace('_', '-')}: {reason}", EXIT_USAGE) from None
        report = build_deck(project, bundle, output, options)
        console.print(f"wrote {output} — {report.pages} pages, {report.shots} shots, "
                      f"{report.images} images", soft_wrap=True)
        if report.missing_glyphs:
            console.print(f"warning: no bundled font draws {''.join(sorted(report.missing_glyphs))}",
                          soft_wrap=True)
    elif fmt in {"otio", "edl", "fcp7xml", "fcpxml"}:
        from ..render.interchange import FORMATS as EDIT_FORMATS
        from ..render.interchange import (
            InterchangeError,
            InterchangeOptions,
            export_interchange,
            parse_rate,
        )

        suffix = EDIT_FORMATS[fmt][1]
        if output.suffix.lower() != suffix:
            raise CliError(f"{output}: a {fmt} export must end in {suffix}", EXIT_USAGE)
        try:
            rate = parse_rate(args.rate, project.frame_rate)
        except InterchangeError as exc:
            raise CliError(f"--{exc}", EXIT_USAGE) from None  # "rate: ..." → "--rate: ..."
        if args.handles < 0:
            raise CliError("--handles must be 0 or more", EXIT_USAGE)
        options = InterchangeOptions(rate=rate, media=not args.no_media, voice=not args.no_voice,
                                     handles=args.handles)
        try:
            report = export_interchange(project, bundle, output, fmt, options)
        except InterchangeError as exc:
            raise CliError(str(exc)) from None
        media = f", media in {report.media_dir}" if report.media_dir else ""
        console.print(f"wrote {output} — {report.clips} clips, {report.audio_clips} voice clips{media}",
                      soft_wrap=True)
        for note in report.notes:
            console.print(f"note: {note}", soft_wrap=True)
    elif fmt in {"srt", "vtt"}:
        from ..render.subtitles import export_subtitles

        if output.suffix.lower() != f".{fmt}":
            raise CliError(f"{output}: a {fmt} export must end in .{fmt}", EXIT_USAGE)
        slate = 0 if args.no_slate else int(round(args.slate_seconds * project.frame_rate))
        path, count = export_subtitles(project, bundle, output, fmt, slate_frames=slate)
        console.print(f"wrote {path} — {count} subtitles", soft_wrap=True)
    elif fmt == "stills":
        from ..render.stills import export_stills

        if output.suffix:
            raise CliError(f"{output}: stills go into a folder (no file suffix)", EXIT_USAGE)
        report = export_stills(project, bundle, output, _frames(project, args.frame))
        console.print(f"wrote {len(report.files)} PNGs to {output}"
                      + (f" ({report.placeholders} placeholders)" if report.placeholders else ""),
                      soft_wrap=True)
    else:  # contact-sheet
        from ..render.stills import contact_sheet

        if output.suffix.lower() != ".png":
            raise CliError(f"{output}: a contact sheet is a .png file", EXIT_USAGE)
        contact_sheet(project, bundle, output, frames=_frames(project, args.frame))
        console.print(f"wrote {output}", soft_wrap=True)
    return EXIT_OK
