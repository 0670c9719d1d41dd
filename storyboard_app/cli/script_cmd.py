"""``import`` (a Fountain screenplay or shot-list CSV into a project) and ``animatic`` (a script
to a voiced MP4 in one command)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..model import Document, Project, bundle_path_for
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
    p = subparsers.add_parser(
        "import", help="import a Fountain screenplay or a shot-list CSV (re-import updates the project)")
    p.add_argument("project")
    p.add_argument("script", help="SCRIPT.fountain or SHOTS.csv")
    p.add_argument("--new", action="store_true", help="create the project bundle (it must not exist yet)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    p.add_argument("--fps", type=int, default=24, help="with --new: frames per second (default 24)")
    p.add_argument("--size", default="1280x720", help="with --new: WIDTHxHEIGHT (default 1280x720)")
    add_wait_flag(p)
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser(
        "animatic", help="a script to a voiced animatic MP4: import, generate, voice, fit, render")
    p.add_argument("script", help="SCRIPT.fountain or SHOTS.csv")
    p.add_argument("-o", "--output", required=True, help="the MP4 to write")
    p.add_argument("--project", help="the bundle to import into (default: OUTPUT's name with .sbproj, "
                                     "next to it); an existing one is re-imported, keeping its takes")
    p.add_argument("--size", help="WIDTHxHEIGHT of a new project and the MP4 (default 1280x720)")
    p.add_argument("--fps", type=int, help="frames per second of a new project (default 24)")
    p.add_argument("--preset", choices=["preview", "delivery"], default="preview")
    p.add_argument("--no-burnins", action="store_true", help="no shot labels, timecode, subtitles or slate")
    p.add_argument("--jobs", type=int, help="parallel generation jobs (default: CPU count)")
    p.add_argument("--allow-placeholders", action="store_true",
                   help="exit 0 even when shots whose generation failed are drawn as placeholders")
    add_executor_flags(p)
    p.set_defaults(func=cmd_animatic)


def _load(path: str):  # noqa: ANN202 - ScriptDraft
    from ..script import ScriptError, load_script

    try:
        return load_script(path)
    except ScriptError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def cmd_import(args: argparse.Namespace) -> int:
    from ..script import plan_import

    script = Path(args.script)
    if not script.is_file():
        raise CliError(f"{script}: no such file", EXIT_USAGE)
    draft = _load(args.script)
    root = bundle_path_for(args.project)
    if args.new:
        if root.exists() and any(root.iterdir()):
            raise CliError(f"{root} already exists and is not empty (drop --new to re-import into it)", EXIT_USAGE)
        width, height = parse_size(args.size)
        if not 1 <= args.fps <= 240:
            raise CliError(f"--fps must be between 1 and 240 (got {args.fps})", EXIT_USAGE)
        document = Document(Project(title=draft.title or root.stem, fps=args.fps, width=width, height=height), root)
    else:
        if not root.is_dir():
            raise CliError(f"{root}: no such project (use --new to create it)", EXIT_USAGE)
        document = open_document_for_writing(root, wait=args.wait)
    plan = plan_import(document.project, draft)
    _print_changes(plan)
    console.print(("would import: " if args.dry_run else "imported: ") + plan.summary(), soft_wrap=True)
    if args.dry_run:
        return EXIT_OK
    document.apply(plan.command)
    document.save()
    console.print(f"saved {document.paths.root}", markup=False, soft_wrap=True)
    return EXIT_OK


def _print_changes(plan) -> None:  # noqa: ANN001 - ImportPlan
    rows = [c for c in plan.changes if c.action != "keep"]
    if not rows:
        return
    table = Table(title="Changes", title_justify="left", expand=False)
    for col in ("", "scene", "shot", "text"):
        table.add_column(col)
    colours = {"add": "green", "add character": "green", "update": "yellow", "update character": "yellow",
               "remove": "red"}
    for change in rows[:200]:
        colour = colours.get(change.action, "white")
        table.add_row(f"[{colour}]{change.action}[/]", escape(change.scene), escape(change.number),
                      escape(change.text))
    console.print(table)
    if len(rows) > 200:
        console.print(f"... and {len(rows) - 200} more")


def cmd_animatic(args: argparse.Namespace) -> int:
    """Exit 0 only when every shot has a generated take and every line was voiced."""
    from ..render.burnins import BurnIns
    from ..render.export import ExportOptions
    from ..script.animatic import STAGES, script_to_animatic

    script = Path(args.script)
    if not script.is_file():
        raise CliError(f"{script}: no such file", EXIT_USAGE)
    output = Path(args.output)
    if output.suffix.lower() != ".mp4":
        raise CliError(f"the output must be an .mp4 file (got {output})", EXIT_USAGE)
    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1", EXIT_USAGE)
    if args.fps is not None and not 1 <= args.fps <= 240:
        raise CliError(f"--fps must be between 1 and 240 (got {args.fps})", EXIT_USAGE)
    size = parse_size(args.size) if args.size else None
    _load(args.script)  # a bad script is a usage error before anything is created
    bundle = bundle_path_for(args.project) if args.project else output.with_suffix(".sbproj")
    burnins = BurnIns.none() if args.no_burnins else BurnIns()
    options = ExportOptions(preset=args.preset, width=size[0] if size else None,
                            height=size[1] if size else None, burnins=burnins)
    # None for the default local workers: the pipeline then makes its own service and shuts it
    # down when generation ends (so the workers' CPU is counted in the generate stage)
    service = generation_service(args, bundle)
    started = time.monotonic()
    try:
        with progress_bar() as progress:
            tasks = {stage: progress.add_task(stage, total=1000, status="") for stage in STAGES}

            def on_progress(stage: str, fraction: float, message: str) -> None:
                progress.update(tasks[stage], completed=int(min(max(fraction, 0.0), 1.0) * 1000),
                                status=escape(message[:50]))

            report = script_to_animatic(script, output, bundle, options=options, size=size, fps=args.fps,
                                        jobs=args.jobs, service=service, progress=on_progress)
    finally:
        if service is not None:
            service.shutdown()
    export = report.export
    assert export is not None
    console.print(f"imported {report.plan.summary()}", soft_wrap=True, markup=False)
    console.print(
        f"wrote {output} — {export.seconds:.1f} s, {report.plan.shots} shots, {export.lines} dialogue lines; {report.generated} generated, {report.cached} from cache, "
        f"{report.fitted} fitted to their voice ({time.monotonic() - started:.1f} s); project {report.bundle}",
        soft_wrap=True, markup=False)
    split = ", ".join(f"{name} {report.stages[name]:.1f} s" + (f" (cpu {report.cpu[name]:.1f} s)" if name in report.cpu else "")
                      for name in ("import", "generate", "voice", "render", "total") if name in report.stages)
    python = (f"; render cpu in python {report.cpu['render_python']:.1f} s, the rest in ffmpeg"
              if "render_python" in report.cpu else "")
    console.print(f"stages: {split}; voice runs during generate{python}", markup=False, soft_wrap=True)
    for number, reason in report.failed:
        console_err.print(f"failed: shot {number}: {reason}", markup=False, highlight=False, soft_wrap=True)
    for error in report.voice_errors:
        console_err.print(f"voice: {error}", markup=False, highlight=False, soft_wrap=True)
    if report.voice_errors or (report.failed and not args.allow_placeholders):
        return EXIT_FAILURE
    return EXIT_OK
