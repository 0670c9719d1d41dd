"""``--executor local|ray``, ``--ray-address`` and ``--ray-fallback``, shared by the commands that
generate (``generate``, ``render``), and the ``GenerationService`` they select."""

from __future__ import annotations

import argparse

from .common import EXIT_FAILURE, CliError, console_err


def add_executor_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=["local", "ray"],
                        help="where generators run: local worker processes, or a Ray cluster "
                             "(default: ray when --ray-address or RAY_ADDRESS is set, else local)")
    parser.add_argument("--ray-address", metavar="ADDRESS",
                        help="the Ray cluster: auto, HOST:PORT or ray://HOST:PORT (default: RAY_ADDRESS, "
                             "else a local Ray instance)")
    parser.add_argument("--ray-fallback", action="store_true",
                        help="if the Ray cluster cannot be reached, run on local worker processes instead of failing")


def generation_service(args: argparse.Namespace, bundle_root):  # noqa: ANN001, ANN201
    """A ``GenerationService`` on the executor the flags choose; None for the default (local)
    executor, so callers keep their own default service. Connects to Ray now: an unreachable
    cluster is a ``CliError`` naming the address (or a warning, with ``--ray-fallback``)."""
    from ..generation.executors import executor_factory, resolve_choice
    from ..generation.service import GenerationService

    choice = resolve_choice(getattr(args, "executor", None), getattr(args, "ray_address", None),
                            bool(getattr(args, "ray_fallback", False)))
    if choice.kind == "local":
        return None
    from ..generation.ray_executor import RayUnavailable

    def warn(message: str) -> None:
        console_err.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)

    try:
        factory = executor_factory(choice, warn)
    except RayUnavailable as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    return GenerationService(bundle_root, executor_factory=factory)
