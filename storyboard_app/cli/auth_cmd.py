"""``auth set|clear|status SERVICE``: API keys of remote generators, kept in the OS keyring.

The key is read from a hidden prompt (or from stdin when it is not a terminal, for scripts:
``pass show fal | storyboard-app auth set fal``), never from the command line, where it would land
in the shell history and the process list. Nothing ever prints a key.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, console


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..generation.remote.secrets import SERVICES

    p = subparsers.add_parser("auth", help="store, remove or check the API key of a remote service (OS keyring)")
    p.add_argument("action", choices=["set", "clear", "status"])
    p.add_argument("service", choices=sorted(SERVICES), help="the remote service")
    p.set_defaults(func=cmd_auth)


def cmd_auth(args: argparse.Namespace) -> int:
    from ..generation.remote import secrets

    info = secrets.service_info(args.service)
    try:
        if args.action == "status":
            console.print(f"{info.label}: {secrets.key_status(args.service)}", markup=False)
            return EXIT_OK
        if args.action == "clear":
            removed = secrets.clear_key(args.service)
            console.print(f"{info.label}: key removed from the keyring" if removed
                          else f"{info.label}: no key in the keyring", markup=False)
            if secrets.get_key(args.service) is not None:
                console.print(f"note: {info.env} is still set in the environment", markup=False)
            return EXIT_OK
        key = _read_key(info.label)
        secrets.set_key(args.service, key)
    except secrets.KeyringUnavailable as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    console.print(f"{info.label}: key stored in the OS keyring", markup=False)
    return EXIT_OK


def _read_key(label: str) -> str:
    """From a hidden prompt on a terminal, else the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{label} API key (input hidden): ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()
