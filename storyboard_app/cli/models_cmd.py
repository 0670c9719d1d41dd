"""``models``: the diffusers presets, what is on disk, and fetching/removing models on request.

    storyboard-app models [list]          presets + other cached pipelines: present/missing/partial, size
    storyboard-app models pull PRESET|ID  download into the Hugging Face cache (resumable, checked)
    storyboard-app models rm PRESET|ID    delete it from the cache

Generation never downloads; this is the one command that does (honouring HF_HOME, HF_TOKEN and
HF_ENDPOINT).
"""

from __future__ import annotations

import argparse

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from .common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError, console


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="diffusers models: list what is present, pull or remove one")
    p.set_defaults(func=cmd_list)
    sub = p.add_subparsers(dest="models_command")
    sub.add_parser("list", help="presets and cached models: present / missing / partial, size on disk") \
        .set_defaults(func=cmd_list)
    pull = sub.add_parser("pull", help="download a preset or a Hugging Face model id (resumable)")
    pull.add_argument("name", help="preset name (see `models list`) or owner/name")
    pull.set_defaults(func=cmd_pull)
    rm = sub.add_parser("rm", help="delete a downloaded model from the Hugging Face cache")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_rm)


def cmd_list(args: argparse.Namespace) -> int:
    from generators.diffusers_local import hub

    table = Table(title=f"diffusers models (cache: {hub.cache_dir()})", title_justify="left")
    for col in ("preset", "model", "kind", "native", "state", "size", "note"):
        table.add_column(col)
    for preset, status in hub.model_rows():
        state = {"present": "[green]present[/]", "partial": "[yellow]partial[/]"}.get(status.state, "missing")
        table.add_row(preset.name if preset else "", status.repo_id, preset.kind if preset else "",
                      "x".join(map(str, preset.native_size)) if preset else "", state,
                      hub.human_size(status.size) if status.size else "", status.detail or (preset.note if preset else ""))
    console.print(table)
    console.print("Fetch one with `storyboard-app models pull PRESET` (or a model id); generation never downloads.")
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    from generators.diffusers_local import hub

    try:
        plan_name = hub.resolve_name(args.name)[0]
    except hub.HubError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[file]}"))
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"pull {plan_name}", total=None, file="")

            def report(done: int, total: int, file: str) -> None:
                progress.update(task, completed=done, total=total or None, file=file[-40:])

            path = hub.pull(args.name, progress=report)
    except KeyboardInterrupt:
        console.print("interrupted: the partial download stays; pull again to resume", highlight=False)
        return EXIT_INTERRUPTED
    except hub.HubError as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    status = hub.model_status(args.name)
    console.print(f"{status.repo_id}: {status.state}, {hub.human_size(status.size)} in {path}", highlight=False)
    return EXIT_OK if status.state == "present" else EXIT_FAILURE


def cmd_rm(args: argparse.Namespace) -> int:
    from generators.diffusers_local import hub

    try:
        freed = hub.remove(args.name)
        repo_id = hub.resolve_name(args.name)[0]
    except hub.HubError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not freed:
        console.print(f"{repo_id} is not in the cache ({hub.cache_dir()})", highlight=False)
        return EXIT_OK
    console.print(f"removed {repo_id}: {hub.human_size(freed)} freed", highlight=False)
    return EXIT_OK
