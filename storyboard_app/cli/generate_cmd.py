"""``generate`` (takes for shots, with a progress bar) and ``generators`` (what is installed)."""

from __future__ import annotations

import argparse

from rich.table import Table

from ..model import Shot
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
    p = subparsers.add_parser("generate", help="generate a take for each shot (cached clips are reused)")
    p.add_argument("project")
    p.add_argument("--shots", help="comma-separated shot numbers or ids (default: all)")
    p.add_argument("--generator", help="generator id (default: the project's generator)")
    p.add_argument("--reroll", action="store_true", help="new random seeds (recorded on the takes)")
    p.add_argument("--jobs", type=int, help="parallel jobs for CPU generators (default: CPU count)")
    add_executor_flags(p)
    add_wait_flag(p)
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser("generators", help="list installed generators and whether each runs here")
    p.set_defaults(func=cmd_generators)


def cmd_generate(args: argparse.Namespace) -> int:
    """Exit 0 only when every shot has a finished take; 1 on any failure or cancel; 130 when
    interrupted (Ctrl-C or SIGTERM), after saving the takes that finished before the interrupt."""
    from ..generation.registry import UnknownGenerator
    from ..generation.service import generate_shots

    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1", EXIT_USAGE)
    document = open_document_for_writing(args.project, wait=args.wait)
    shots = select_shots(document.project, args.shots)
    _print_prompt_warnings(document.project, shots, args.generator)
    before = _done_takes(document)
    service = generation_service(args, document.paths.root)  # None: the default local service
    try:
        with progress_bar() as progress:
            task = progress.add_task("generating", total=len(shots), status="")
            fractions: dict[str, float] = {}
            concluded: set[str] = set()

            def on_event(event) -> None:  # noqa: ANN001
                fractions[event.shot_id] = 1.0 if event.outcome else event.fraction
                if event.outcome:
                    concluded.add(event.shot_id)
                progress.update(task, completed=sum(fractions.values()),
                                status=f"shot {event.shot_number}: {event.message}"[:60])

            report = generate_shots(document, shots, generator_id=args.generator, reroll=args.reroll,
                                    jobs=args.jobs, on_event=on_event, service=service)
            progress.update(task, completed=len(shots), status="")
    except UnknownGenerator as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: the batch has wound down; keep what finished
        saved = _save_finished(document, before)
        console_err.print(f"interrupted: {saved} finished take(s) saved", highlight=False)
        return EXIT_INTERRUPTED
    finally:
        if service is not None:
            service.shutdown()
    unreported = unreported_shots(shots, concluded)
    failed = list(report.failed) + unreported
    console.print(report.summary() + (f", {len(unreported)} without a result" if unreported else "")
                  + f" in {report.seconds:.1f} s")
    for number, error in failed:
        setup = " (setup problem, no take recorded)" if number in report.setup_failures else ""
        console.print(f"  shot {number}: {error}{setup}", markup=False, soft_wrap=True)
    if document.dirty:  # the takes recorded, failed ones included; nothing changed: no write
        document.save()
    # 0 only when every requested shot has a usable take: a batch that stopped early (its
    # thread died, a write failed) leaves shots without an outcome, and those are failures.
    return EXIT_FAILURE if failed or report.cancelled else EXIT_OK


def _print_prompt_warnings(project, shots: list[Shot], generator_id: str | None) -> None:  # noqa: ANN001
    """Before generating: each shot whose composed prompt the selected model would cut (or chunk)."""
    from ..generation.prompt_tokens import prompt_check_for_shot

    for shot in shots:
        check = prompt_check_for_shot(project, shot, generator_id)
        if check is not None and check.message():
            console.print(f"warning: shot {shot.number or shot.id}: {check.message()}", markup=False, soft_wrap=True)


def unreported_shots(shots: list[Shot], concluded: set[str]) -> list[tuple[str, str]]:
    """(number, reason) for requested shots the batch never concluded (it stopped early)."""
    return [(s.number or s.id, "no result: the generation batch stopped before this shot finished")
            for s in shots if s.id not in concluded]


def _done_takes(document) -> int:  # noqa: ANN001
    from ..model import TakeStatus

    return sum(1 for shot in document.project.all_shots() for take in shot.takes if take.status == TakeStatus.DONE)


def _save_finished(document, before: int) -> int:  # noqa: ANN001
    """Save the takes recorded before an interrupt (their files exist already); how many."""
    if not document.dirty:
        return 0
    try:
        document.save()
    except Exception as exc:  # noqa: BLE001 - report, then finish the interrupted exit
        console_err.print(f"error: could not save the finished takes: {exc}", markup=False, highlight=False)
        return 0
    return _done_takes(document) - before


def cmd_generators(args: argparse.Namespace) -> int:
    from ..generation.registry import installed_generators

    table = Table(title="generators", title_justify="left")
    for col in ("id", "version", "output", "gpu", "usable", "detail"):
        table.add_column(col)
    for info in installed_generators():
        caps = info.generator.capabilities if info.generator is not None else None
        table.add_row(
            info.id, info.version, caps.output if caps else "?",
            ("needs" if caps.needs_gpu else "no") if caps else "?",
            "yes" if info.availability.usable else "no", info.availability.detail,
        )
    console.print(table)
    return EXIT_OK
