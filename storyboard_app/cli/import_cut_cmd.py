"""``import-cut``: an editor's reordered, trimmed cut back into the boards, as one undo step."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, EXIT_USAGE, CliError, console, open_document


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-cut", help="apply an editor's cut (.otio, .edl, .xml, .fcpxml): order, durations, removals")
    p.add_argument("project")
    p.add_argument("edit", help="the edited cut")
    p.add_argument("--rate", help="the EDL's frame rate (an EDL does not say; default: the project's fps)")
    p.add_argument("--dry-run", action="store_true", help="report what would change; save nothing")
    p.set_defaults(func=cmd_import_cut)


def cmd_import_cut(args: argparse.Namespace) -> int:
    from ..model.commands import apply_edited_cut
    from ..render.interchange import InterchangeError, parse_rate, read_cut
    from ..render.stills import stable_shot_names

    document = open_document(args.project)
    project = document.project
    try:
        rate = parse_rate(args.rate, project.frame_rate) if args.rate else None
        clips = read_cut(args.edit, project, rate)
    except InterchangeError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    command, report = apply_edited_cut(project, clips, stable_shot_names(project))
    for line in report.lines():
        console.print(line, soft_wrap=True, markup=False)
    if command is None:
        console.print("the boards already match the cut", soft_wrap=True)
        return EXIT_OK
    if args.dry_run:
        console.print("dry run: nothing saved", soft_wrap=True)
        return EXIT_OK
    document.apply(command)
    document.save()
    console.print(f"applied the cut from {args.edit} (one undo step: 'Import edited cut')", soft_wrap=True)
    return EXIT_OK
