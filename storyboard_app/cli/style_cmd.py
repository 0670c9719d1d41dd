"""``style-test`` and ``styles`` (issue 18): render shots in several looks, compare, keep the test.

``style-test PROJECT --scene 1 --styles noir,watercolour,anime_cel`` adds the presets the
project lacks, keeps the test in the project by name, generates every shot x style through the
generation service (cached like any take, nothing selected), then writes ``NAME-grid.png``,
``NAME-grid.pdf`` and ``NAME-compare.mp4`` (the first 2-4 styles, or ``--compare``).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from .common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
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
from .executor_opts import add_executor_flags, generation_service


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("style-test", help="render shots in several styles: grid PNG/PDF and a comparison MP4")
    p.add_argument("project")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--shots", help="shot numbers or ids, comma-separated")
    which.add_argument("--scene", type=int, help="scene number (1 = the first scene)")
    p.add_argument("--styles", help="comma-separated presets (noir, watercolour...) or project styles; "
                                    "omitted: re-run the named test")
    p.add_argument("--name", default="", help="the test's name in the project (default: derived from the styles)")
    p.add_argument("-o", "--output", default=".", help="folder for the grid and the video (default: here)")
    p.add_argument("--jobs", type=int, default=None, help="clips generated at once (default: one per core)")
    p.add_argument("--compare", help="2-4 of the styles for the comparison video (default: the first 4)")
    p.add_argument("--no-video", action="store_true", help="write the grid only")
    p.add_argument("--generator", default=None, help="generator id (default: the project's)")
    add_wait_flag(p)
    add_executor_flags(p)
    p.set_defaults(func=cmd_style_test)

    s = subparsers.add_parser("styles", help="list the built-in style presets")
    s.set_defaults(func=cmd_styles)


def cmd_styles(args: argparse.Namespace) -> int:
    from ..model.style_presets import PRESET_PREFIX, builtin_styles

    for style in builtin_styles():
        sketch = ", ".join(f"{k}={v}" for k, v in style.generator_params.get("sketch", {}).items())
        console.print(f"{style.id.removeprefix(PRESET_PREFIX):18} {style.name:28} {' '.join(style.palette)}",
                      markup=False, highlight=False, soft_wrap=True)
        console.print(f"{'':18} {style.prompt_suffix}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"{'':18} sketch: {sketch}", markup=False, highlight=False, soft_wrap=True)
    return EXIT_OK


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "style-test"


def cmd_style_test(args: argparse.Namespace) -> int:
    from ..generation.registry import UnknownGenerator
    from ..generation.service import GenerationService
    from ..generation.style_test import (
        cell_takes,
        estimate,
        resolve_styles,
        run_style_test,
        styles_of,
    )
    from ..model import Compound, StyleTest
    from ..model.style_tests import put_style_test
    from ..render.style_compare import write_comparison
    from ..render.style_grid import grid_frames, write_grid_pdf, write_grid_png

    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1", EXIT_USAGE)
    document = open_document_for_writing(args.project, wait=args.wait)
    project = document.project
    existing = next((t for t in project.style_tests if args.name and t.name == args.name), None)
    if args.styles is None and existing is None:
        raise CliError("--styles is required (or --name of a test kept in the project)", EXIT_USAGE)
    if args.scene is not None:
        if not 1 <= args.scene <= len(project.sequences):
            raise CliError(f"--scene {args.scene}: the project has {len(project.sequences)} scene(s)", EXIT_USAGE)
        shots = project.sequences[args.scene - 1].shots
    elif args.shots:
        shots = select_shots(project, args.shots)
    elif existing is not None:
        shots = [s for s in project.all_shots() if s.id in existing.shot_ids]
    else:
        raise CliError("choose the shots: --shots 1,2,3 or --scene N", EXIT_USAGE)
    if args.styles is not None:
        try:
            style_ids, add = resolve_styles(project, args.styles.split(","))
        except KeyError as exc:
            raise CliError(f"--styles: {exc.args[0]}", EXIT_USAGE) from None
        if add:
            document.apply(Compound(add, "Add styles for a style test"))
    else:
        style_ids = list(existing.style_ids)
    if not style_ids or not shots:
        raise CliError("a style test needs at least one shot and one style", EXIT_USAGE)
    name = args.name or ", ".join(project.style(s).name for s in style_ids)[:60]
    test = StyleTest(name, [s.id for s in shots], style_ids,
                     list(existing.favourites) if existing is not None else [])
    document.apply(put_style_test(project, test))
    test = project.style_test(name)

    if args.compare:
        try:
            compare_ids, _ = resolve_styles(project, args.compare.split(","))
        except KeyError as exc:
            raise CliError(f"--compare: {exc.args[0]}", EXIT_USAGE) from None
        stray = [s.removeprefix("preset_") for s in compare_ids if s not in style_ids]
        if stray:
            raise CliError(f"--compare: {', '.join(stray)} is not in --styles", EXIT_USAGE)
    else:
        compare_ids = style_ids[:4]
    if not args.no_video and not 2 <= len(compare_ids) <= 4:
        raise CliError("the comparison video tiles 2 to 4 styles: give --compare or --no-video", EXIT_USAGE)

    try:
        n_shots, n_styles, seconds, cost = estimate(project, test, args.generator)
    except UnknownGenerator as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    console.print(f"style test {name!r}: {n_shots} shots x {n_styles} styles = {n_shots * n_styles} clips; "
                  f"estimated {seconds:.0f} s if nothing is cached; cost {cost}", markup=False, soft_wrap=True)
    started = time.monotonic()
    total = n_shots * n_styles
    try:
        chosen = generation_service(args, document.paths.root)  # a Ray cluster, or None: local workers
        with chosen or GenerationService(document.paths.root) as service, progress_bar() as progress:
            task = progress.add_task("style test", total=total, status="")
            done: set[tuple[str, str]] = set()

            def on_event(style_id: str, event) -> None:  # noqa: ANN001
                if event.outcome:
                    done.add((event.shot_id, style_id))
                progress.update(task, completed=len(done),
                                status=f"{project.style(style_id).name} {event.shot_number}: {event.message}"[:60])

            report = run_style_test(document, test, service=service, generator_id=args.generator, jobs=args.jobs,
                                    on_event=on_event)
    except KeyboardInterrupt:
        if document.dirty:
            document.save()
        console_err.print("interrupted: finished takes saved", highlight=False)
        return EXIT_INTERRUPTED
    console.print(f"{report.summary()} in {report.seconds:.1f} s", markup=False, soft_wrap=True)
    for number, style_id, error in report.failed:
        console.print(f"  shot {number} in {project.style(style_id).name}: {error}", markup=False, soft_wrap=True)
    document.save()

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    stem = _slug(name)
    cells = cell_takes(project, document.paths.root, test, args.generator)
    grid = grid_frames(project, document.paths.root, test, cells, jobs=args.jobs or 4)
    png = write_grid_png(grid, out / f"{stem}-grid.png", title=name)
    pdf = write_grid_pdf(grid, out / f"{stem}-grid.pdf", title=name)
    console.print(f"wrote {png} ({len(grid.shots)} shots x {len(styles_of(project, test))} styles)", markup=False, soft_wrap=True)
    console.print(f"wrote {pdf}", markup=False, soft_wrap=True)
    if not args.no_video:
        video = out / f"{stem}-compare.mp4"
        write_comparison(document, test, compare_ids, cells, video, jobs=args.jobs or os.cpu_count() or 1)
        console.print(f"wrote {video} ({', '.join(project.style(s).name for s in compare_ids)})", markup=False, soft_wrap=True)
    console.print(f"all done in {time.monotonic() - started:.1f} s", markup=False, soft_wrap=True)
    return EXIT_FAILURE if not report.ok else EXIT_OK
