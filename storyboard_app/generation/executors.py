"""Choosing the executor a ``GenerationService`` runs its jobs on: local worker processes or Ray.

The choice comes from ``--executor``/``--ray-address`` on the CLI, ``RAY_ADDRESS`` in the
environment, or the app's preferences; it only picks the ``executor_factory`` given to
``GenerationService`` (nothing above the executor changes). The Ray connection is made here,
eagerly, so an unreachable cluster is one clear error before a batch starts, rather than a batch
of failed shots; with ``fallback`` the batch runs on local worker processes instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from .jobs import EventCallback, Executor, LocalProcessExecutor

ExecutorKind = Literal["local", "ray"]
EXECUTOR_KINDS: tuple[str, ...] = ("local", "ray")
ExecutorFactory = Callable[[EventCallback], Executor]


@dataclass(frozen=True)
class ExecutorChoice:
    kind: ExecutorKind = "local"
    #: ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``; None: ``RAY_ADDRESS`` or a local instance
    address: str | None = None
    #: run on local worker processes when the Ray cluster cannot be reached
    fallback: bool = False


def resolve_choice(kind: str | None = None, address: str | None = None, fallback: bool = False,
                   environ: Mapping[str, str] | None = None) -> ExecutorChoice:
    """The executor to use: an explicit ``kind`` wins; else ``ray`` when an address is given or
    ``RAY_ADDRESS`` is set; else ``local``."""
    environ = os.environ if environ is None else environ
    address = address or environ.get("RAY_ADDRESS") or None
    if kind is None:
        kind = "ray" if address else "local"
    if kind not in EXECUTOR_KINDS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTOR_KINDS)} (got {kind!r})")
    return ExecutorChoice(kind, address if kind == "ray" else None, fallback)  # type: ignore[arg-type]


def executor_factory(choice: ExecutorChoice, warn: Callable[[str], None] | None = None) -> ExecutorFactory:
    """A factory for ``GenerationService(executor_factory=...)``.

    For Ray this connects now: ``RayUnavailable`` (naming the address) when the cluster cannot be
    reached or ray is not installed, unless ``choice.fallback``, which calls ``warn`` with the
    reason and returns the local factory.
    """
    if choice.kind == "local":
        return LocalProcessExecutor
    from .ray_executor import RayUnavailable, connect

    try:
        connect(choice.address)
    except RayUnavailable as exc:
        if not choice.fallback:
            raise
        if warn is not None:
            warn(f"{exc}; running on local worker processes instead")
        return LocalProcessExecutor

    def make(on_event: EventCallback) -> Executor:
        from .ray_executor import RayExecutor

        return RayExecutor(on_event, choice.address)

    return make


def lazy_executor_factory(choice: ExecutorChoice, warn: Callable[[str], None] | None = None) -> ExecutorFactory:
    """Like ``executor_factory``, but connects only when the service makes its executor, which it
    does on its batch thread: the GUI's thread never waits for a cluster. An unreachable cluster
    then falls back to local workers (``choice.fallback``, with ``warn``) or raises there, which the
    service reports on the batch's shots."""
    if choice.kind == "local":
        return LocalProcessExecutor

    def make(on_event: EventCallback) -> Executor:
        from .ray_executor import RayExecutor, RayUnavailable

        try:
            return RayExecutor(on_event, choice.address)
        except RayUnavailable as exc:
            if not choice.fallback:
                raise
            if warn is not None:
                warn(f"{exc}; running on local worker processes instead")
            return LocalProcessExecutor(on_event)

    return make
