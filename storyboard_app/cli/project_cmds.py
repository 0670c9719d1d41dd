"""``new``, ``info`` and ``validate``: creating and inspecting project bundles."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..model import (
    BundlePaths,
    Document,
    Project,
    ProjectError,
    Sequence,
    bundle_path_for,
    format_duration,
    new_id,
)
from ..model.bundle import load_project
from ..model.timecode import parse_frame_rate, plural
from ..model.validation import semantic_problems
from .common import EXIT_OK, EXIT_USAGE, CliError, console, console_err


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("new", help="create an empty project bundle")
    p.add_argument("project", help="NAME or NAME.sbproj")
    p.add_argument("--title", help="project title (default: the bundle name)")
    p.add_argument("--fps", default="24",
                   help="frame rate: 24, 25, 30, 50, 60, ... or NTSC 23.976, 29.97, 59.94 (default 24)")
    p.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    p.set_defaults(func=cmd_new)

    p = subparsers.add_parser("info", help="summarise scenes, shots, characters and takes")
    p.add_argument("project")
    p.set_defaults(func=cmd_info)

    p = subparsers.add_parser("validate", help="check a project; exit 2 with the problems if invalid")
    p.add_argument("project")
    p.add_argument("--deep", action="store_true",
                   help="also decode every take and cache entry with ffmpeg; exit 2 if any is damaged "
                        "(unreadable, or fewer frames than recorded)")
    p.set_defaults(func=cmd_validate)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise CliError(f"--size must look like 1280x720 (got {text!r})", EXIT_USAGE) from None
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise CliError(f"--size needs even, positive width and height (got {text!r})", EXIT_USAGE)
    return w, h


def cmd_new(args: argparse.Namespace) -> int:
    root = bundle_path_for(args.project)
    if root.exists() and any(root.iterdir()):
        raise CliError(f"{root} already exists and is not empty", EXIT_USAGE)
    width, height = parse_size(args.size)
    try:
        fps, ntsc = parse_frame_rate(args.fps)
    except ValueError as exc:
        raise CliError(f"--fps: {exc}", EXIT_USAGE) from None
    title = args.title or root.stem
    project = Project(title=title, fps=fps, ntsc=ntsc, width=width, height=height)
    project.sequences.append(Sequence(id=new_id("seq"), name="Scene 1"))
    problems = semantic_problems(project, str(root / "project.json"))
    if problems:
        raise ProjectError(problems)
    Document(project, root).save()
    # soft_wrap: a path must stay on one line for scripts; markup off: paths may hold "[...]".
    console.print(f"created {root}", markup=False, soft_wrap=True)
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    root = bundle_path_for(args.project)
    project = load_project(root)
    fps = project.fps
    console.print(
        f"[bold]{escape(project.title)}[/]  {project.width}x{project.height} @ {project.rate_label} fps  "
        f"generator: {project.generator}  total {format_duration(project.total_frames, fps)} "
        f"({project.total_frames} frames)",
        soft_wrap=True,
    )
    if project.characters:
        chars = ", ".join(f"{escape(c.name)} (seed {c.seed})" for c in project.characters)
        console.print(f"characters: {chars}")
    style = project.style(project.style_id).name if project.style_id else "none"
    console.print(f"style: {escape(style)}")
    names = {c.id: escape(c.name) for c in project.characters}
    paths = BundlePaths(root)
    for seq in project.sequences:
        seq_frames = sum(s.duration for s in seq.shots)
        table = Table(title=f"{escape(seq.name)} — {plural(len(seq.shots), 'shot')}, {format_duration(seq_frames, fps)}",
                      title_justify="left", expand=False)
        for col in ("shot", "size", "move", "duration", "in", "characters", "lines", "takes", "selected"):
            table.add_column(col)
        for shot in seq.shots:
            take = shot.selected_take
            selected = "—"
            if take is not None:
                ok = take.media_path and paths.media_path(take.media_path).exists()
                selected = escape(f"{take.generator_id} seed {take.seed}") + ("" if ok else " (missing)")
            table.add_row(
                escape(shot.number or shot.id),
                shot.size.value,
                shot.camera_move.value,
                format_duration(shot.duration, fps),
                shot.transition_in.kind.value,
                ", ".join(names.get(c, escape(c)) for c in shot.characters),
                str(len(shot.dialogue)),
                str(len(shot.takes)),
                selected,
            )
        console.print(table)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    root = bundle_path_for(args.project)
    try:
        project = load_project(root)
    except ProjectError as exc:
        for problem in exc.problems:
            console_err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_USAGE
    warnings = _missing_media(project, root) + _unknown_generators(project)
    for path in warnings:
        console_err.print(f"warning: {root / 'project.json'}: {path}", markup=False,
                          highlight=False, soft_wrap=True)
    if getattr(args, "deep", False) and _report_damaged_media(project, root):
        return EXIT_USAGE
    shots = len(project.all_shots())
    console.print(f"ok: {root} — {plural(len(project.sequences), 'scene')}, {plural(shots, 'shot')}, "
                  f"{format_duration(project.total_frames, project.fps)}",
                  markup=False, soft_wrap=True)
    return EXIT_OK


def _unknown_generators(project: Project) -> list[str]:
    """Generators the project names that are not installed here (a warning: the project still
    opens and renders its existing takes; generating needs the plugin)."""
    from ..generation.registry import generator_specs

    known = generator_specs()
    out = []
    if project.generator not in known:
        out.append(f"$.generator: generator {project.generator!r} is not installed "
                   f"(installed: {', '.join(sorted(known)) or 'none'})")
    for name in project.generator_settings:
        if name not in known and name != project.generator:
            out.append(f"$.generator_settings.{name}: generator {name!r} is not installed")
    return out


def _report_damaged_media(project: Project, root: Path) -> int:
    """``validate --deep``: decode every take and cache entry; print each damaged one; count them."""
    from ..generation.cache import ClipCache, default_cache_root
    from ..generation.integrity import deep_scan

    damaged = deep_scan(project, root, ClipCache(default_cache_root(root)))
    for damage in damaged:
        console_err.print(f"error: {root}: damaged media: {damage}", markup=False, highlight=False, soft_wrap=True)
    if damaged:
        console_err.print(f"{len(damaged)} damaged media file{'s' * (len(damaged) > 1)}: `generate` gives a shot "
                          "whose take is truncated a new take and evicts truncated cache entries; delete damaged "
                          "takes you no longer need (cache/ is always safe to delete)", markup=False,
                          highlight=False, soft_wrap=True)
    return len(damaged)


def _missing_media(project: Project, root: Path) -> list[str]:
    """Referenced media files that are absent (a warning: takes can be regenerated)."""
    paths = BundlePaths(root)
    out = []
    for qi, seq in enumerate(project.sequences):
        for hi, shot in enumerate(seq.shots):
            for ti, take in enumerate(shot.takes):
                if take.media_path and not paths.media_path(take.media_path).exists():
                    out.append(f"$.sequences[{qi}].shots[{hi}].takes[{ti}].media_path: "
                               f"file {take.media_path} is missing")
            for li, line in enumerate(shot.dialogue):
                if line.audio and not paths.media_path(line.audio).exists():
                    out.append(f"$.sequences[{qi}].shots[{hi}].dialogue[{li}].audio: "
                               f"file {line.audio} is missing")
    return out

