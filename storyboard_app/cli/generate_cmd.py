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
    p.add_argument("--model", metavar="PRESET",
                   help="model preset of a remote generator (fal, replicate): see README \"Remote generators\"")
    p.add_argument("--max-cost", type=float, metavar="USD",
                   help="refuse to start when the batch's estimated cost is over USD (or unknown)")
    p.add_argument("--rerun-expired", action="store_true",
                   help="re-run a paid remote job whose result expired before it was downloaded (pays again)")
    add_executor_flags(p)
    add_wait_flag(p)
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser("generators", help="list installed generators and whether each runs here "
                                                 "(remote: key set, server answers)")
    p.add_argument("project", nargs="?", help="check with this project's generator settings (e.g. its ComfyUI url)")
    p.set_defaults(func=cmd_generators)


def cmd_generate(args: argparse.Namespace) -> int:
    """Exit 0 only when every shot has a finished take; 1 on any failure or cancel; 130 when
    interrupted (Ctrl-C or SIGTERM), after saving the takes that finished before the interrupt."""
    from ..generation.registry import UnknownGenerator
    from ..generation.service import generate_shots

    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs must be at least 1", EXIT_USAGE)
    if args.max_cost is not None and args.max_cost < 0:
        raise CliError("--max-cost must not be negative", EXIT_USAGE)
    document = open_document_for_writing(args.project, wait=args.wait)
    shots = select_shots(document.project, args.shots)
    _print_prompt_warnings(document.project, shots, args.generator)
    before = _done_takes(document)
    settings = _model_setting(args, document)
    service = generation_service(args, document.paths.root)  # None: the default local service
    if service is None:  # made here (not by generate_shots) to plan first and show the cost
        from ..generation.service import GenerationService

        service = GenerationService(document.paths.root)
    try:
        planned = _plan_within_budget(service, document, shots, args, settings)

        def saved_on_acceptance(event) -> None:  # noqa: ANN001
            # a remote service accepted a paid job: save now, so a crash resumes it, never re-pays
            document.save()

        with progress_bar() as progress:
            task = progress.add_task("generating", total=len(shots), status="")
            fractions: dict[str, float] = {}
            concluded: set[str] = set()

            def on_event(event) -> None:  # noqa: ANN001
                fractions[event.job_key] = 1.0 if event.outcome else event.fraction
                if event.outcome:
                    concluded.add(event.shot_id)
                progress.update(task, completed=sum(fractions.values()),
                                status=f"shot {event.shot_number}: {event.message}"[:60])

            report = generate_shots(document, shots, generator_id=args.generator, reroll=args.reroll,
                                    jobs=args.jobs, on_event=on_event, service=service, planned=planned,
                                    on_remote_accepted=saved_on_acceptance)
            progress.update(task, completed=len(shots), status="")
    except UnknownGenerator as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except KeyboardInterrupt:  # Ctrl-C / SIGTERM: the batch has wound down; keep what finished
        saved = _save_finished(document, before)
        console_err.print(f"interrupted: {saved} finished take(s) saved", highlight=False)
        return EXIT_INTERRUPTED
    finally:
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


def _model_setting(args: argparse.Namespace, document) -> dict | None:  # noqa: ANN001
    """``{"model": PRESET}`` for ``--model``, checked against the remote generator's presets."""
    if not args.model:
        return None
    from ..generation.registry import DEFAULT_GENERATOR, generator_spec, load_generator_class
    from ..generation.remote.presets import PresetError

    generator_id = args.generator or document.project.generator or DEFAULT_GENERATOR
    try:
        cls = load_generator_class(generator_spec(generator_id))
    except KeyError:
        return None  # the unknown generator is reported by planning, with the installed ones
    presets = getattr(cls, "presets", None)
    if presets is None:
        raise CliError(f"--model is for remote generators (fal, replicate); {generator_id!r} has no model presets",
                       EXIT_USAGE)
    try:
        known = presets()
    except PresetError as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    if args.model not in known:
        raise CliError(f"no {generator_id} model preset {args.model!r} (known: {', '.join(sorted(known))})",
                       EXIT_USAGE)
    return {"model": args.model}


def _plan_within_budget(service, document, shots: list[Shot], args: argparse.Namespace,  # noqa: ANN001
                        settings: dict | None) -> list:
    """Plan the batch, show its estimated cost when it spends money, and refuse it (before any
    submission) when the estimate is over ``--max-cost`` or unknown while a cap is set."""
    from ..generation.registry import UnknownGenerator
    from ..generation.remote.cost import CostCapExceeded, enforce_cap, estimate

    run_options = {"rerun_expired": True} if args.rerun_expired else None
    try:
        planned = service.plan(document.project, shots, args.generator, args.reroll, settings, run_options)
    except UnknownGenerator as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    found = estimate(planned)
    if found.paid_shots or found.resumed:
        cap = f" (cap ${args.max_cost:.2f})" if args.max_cost is not None else ""
        console_err.print(found.describe() + cap, markup=False, highlight=False)
    try:
        enforce_cap(found, args.max_cost)
    except CostCapExceeded as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    return planned


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

    settings = None
    if getattr(args, "project", None):
        from .common import open_document

        settings = dict(open_document(args.project).project.generator_settings)
    table = Table(title="generators", title_justify="left")
    for col in ("id", "version", "output", "gpu", "runs", "usable", "detail"):
        table.add_column(col)
    for info in installed_generators(settings):
        caps = info.generator.capabilities if info.generator is not None else None
        table.add_row(
            info.id, info.version, caps.output if caps else "?",
            ("needs" if caps.needs_gpu else "no") if caps else "?",
            ("remote" if caps.remote else "here") if caps else "?",
            "yes" if info.availability.usable else "no", info.availability.detail,
        )
    console.print(table)
    return EXIT_OK
