"""``gui [PROJECT]``: open the desktop app (Qt is imported only here, so the CLI starts fast)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("gui", help="open the desktop app")
    p.add_argument("project", nargs="?", help="a project bundle to open")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from ..ui.app import run

    return run(args.project)
