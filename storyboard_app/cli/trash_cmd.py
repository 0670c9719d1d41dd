"""``trash PROJECT``: list the bundle's trash (deleted takes' files); ``--empty`` deletes them.

Deleted takes' files are moved to ``.trash/`` inside the bundle so undo can bring them back,
even after a save; this command is the explicit way to reclaim the space (batches older than
the retention period also go on a later save from the app). Files that a take of the saved
project still refers to are restored, never deleted.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from ..model.bundle import load_project
from ..model.trash import RETENTION_DAYS, list_trash, purge_trash, trash_size
from .common import EXIT_OK, EXIT_USAGE, CliError, console


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "trash", help=f"list deleted takes kept for undo; --empty deletes them (kept {RETENTION_DAYS} days)"
    )
    p.add_argument("project")
    p.add_argument("--empty", action="store_true", help="delete the trashed files for good")
    p.add_argument("--older-than", type=float, metavar="DAYS",
                   help="with --empty: only files trashed more than DAYS days ago")
    p.set_defaults(func=cmd_trash)


def cmd_trash(args: argparse.Namespace) -> int:
    from ..model import bundle_path_for

    if args.older_than is not None and (args.older_than < 0 or not args.empty):
        raise CliError("--older-than needs --empty and a number of days >= 0", EXIT_USAGE)
    root = bundle_path_for(args.project)
    project = load_project(root)  # refuses a bundle it cannot read; its takes are protected
    entries = list_trash(root)
    if not args.empty:
        for entry in entries:
            console.print(f"{entry.trashed_at:%Y-%m-%d %H:%M}  {entry.size:>10}  {entry.relative}",
                          markup=False, soft_wrap=True)
        console.print(f"{len(entries)} file(s), {trash_size(entries)} bytes in {root / '.trash'}",
                      markup=False, soft_wrap=True)
        return EXIT_OK
    older = timedelta(days=args.older_than) if args.older_than is not None else None
    removed = purge_trash(root, project, older_than=older)
    console.print(f"deleted {len(removed)} file(s), {trash_size(removed)} bytes from the trash",
                  markup=False, soft_wrap=True)
    return EXIT_OK
