"""``storyboard-app``: the headless CLI on the same core as the desktop app.

Each command group lives in its own module with a ``register(subparsers)`` function; add new
modules to ``COMMAND_MODULES``. Exit codes: 0 ok, 1 failure, 2 usage error or invalid project.
Errors print as one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from .. import __version__
from .common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError, console_err

# CliError is re-exported so callers can catch CLI failures without knowing the module layout.
__all__ = ["COMMAND_MODULES", "CliError", "build_parser", "main"]

COMMAND_MODULES = [
    "storyboard_app.cli.project_cmds",
    "storyboard_app.cli.generate_cmd",
    "storyboard_app.cli.voice_cmd",
    "storyboard_app.cli.render_cmd",
    "storyboard_app.cli.gui_cmd",
    "storyboard_app.cli.models_cmd",
    "storyboard_app.cli.trash_cmd",
    "storyboard_app.cli.export_cmd",  # issue 17: PDF deck, edits, subtitles, stills
    "storyboard_app.cli.import_cut_cmd",  # issue 17: an editor's cut back into the boards
    "storyboard_app.cli.style_cmd",  # issue 18: style tests and the style presets
    "storyboard_app.cli.auth_cmd",  # issue 14: API keys of remote generators (OS keyring)
    "storyboard_app.cli.script_cmd",  # issue 16: import a screenplay or shot list; script to animatic
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storyboard-app",
        description="Write a sequence as shots, generate previz clips, export the animatic.",
    )
    parser.add_argument("--version", action="version", version=f"storyboard-app {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command module not written yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with _sigterm_as_interrupt():
            return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/]")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        if args.debug:
            raise
        from ..model import ProjectError

        default = EXIT_USAGE if isinstance(exc, ProjectError) else EXIT_FAILURE
        code = getattr(exc, "exit_code", default)  # e.g. ProjectLocked: a valid project, exit 1
        message = exc.summary() if isinstance(exc, ProjectError) else str(exc) or type(exc).__name__
        console_err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
        return code
    finally:
        from ..model.lock import release_all

        release_all()  # a command's project lock ends with the command


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service manager, ``kill``) gets the same cleanup as Ctrl-C: KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
