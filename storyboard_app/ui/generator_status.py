"""The generator picker's status words for remote generators, found without blocking the UI.

fal and Replicate only need to know whether a key is set (environment or keyring: quick), so
their label is computed at once. A self-hosted server (ComfyUI) is only known by asking it
(``check(settings)``, up to a few seconds for an unreachable host): that runs on the thread pool
and the picker's item is updated when the answer arrives; until then it says "checking…".
"""

from __future__ import annotations

import inspect
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from ..generation.protocol import Availability
from ..generation.registry import generator_spec, load_generator_class
from .remote_keys import generator_label
from .workers import Worker, run_in_background


def needs_probe(generator_id: str) -> bool:
    """A remote generator whose status is only known by asking its server (no key of ours)."""
    from ..generation.remote import secrets

    if generator_id in secrets.SERVICES:
        return False
    try:
        cls = load_generator_class(generator_spec(generator_id))
    except Exception:  # noqa: BLE001 - a broken plugin: nothing to ask
        return False
    return bool(getattr(cls.capabilities, "remote", False))


def probe(generator_id: str, settings: dict[str, Any]) -> Availability:
    """``check`` of ``generator_id`` with the project's settings for it, when it takes them (so
    the server the project names is the one asked). Runs on a pool thread: may block."""
    generator = load_generator_class(generator_spec(generator_id))()
    if "settings" in inspect.signature(generator.check).parameters:
        return generator.check(settings)
    return generator.check()


def _probe_tagged(generator_id: str, generation: int, settings: dict[str, Any]) -> tuple[str, int, Availability]:
    try:
        return generator_id, generation, probe(generator_id, settings)
    except Exception as exc:  # noqa: BLE001 - a plugin's check that raises is "not usable"
        return generator_id, generation, Availability(False, f"check failed: {type(exc).__name__}: {exc}")


def probe_label(generator_id: str, availability: Availability) -> str:
    return f"{generator_id} — {'reachable' if availability.usable else 'not reachable'}"


class GeneratorStatus(QObject):
    """Labels for the picker; ``checked(generator_id, label, detail)`` arrives (UI thread) when a
    server probe returns. One probe per generator at a time; a late answer for settings that were
    replaced by a newer refresh is dropped."""

    checked = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._workers: dict[str, Worker] = {}
        self._generation = 0

    def label(self, generator_id: str) -> str:
        """The label to show now: key status, or "checking…" while a probe is under way."""
        if generator_id in self._workers:
            return f"{generator_id} — checking…"
        return generator_label(generator_id)

    def refresh(self, generator_ids: list[str], settings_by_id: dict[str, dict[str, Any]]) -> list[str]:
        """Start a background probe for each generator in ``generator_ids`` that needs one;
        returns those started."""
        self._generation += 1
        started = []
        for generator_id in generator_ids:
            if not needs_probe(generator_id):
                continue
            worker = Worker(_probe_tagged, generator_id, self._generation,
                            dict(settings_by_id.get(generator_id) or {}))
            # a slot of this QObject: the answer is handled on the UI thread (queued)
            worker.signals.finished.connect(self._done)
            self._workers[generator_id] = worker
            run_in_background(worker)
            started.append(generator_id)
        return started

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    @Slot(object)
    def _done(self, answer: tuple[str, int, Availability]) -> None:
        generator_id, generation, availability = answer
        if generation != self._generation:
            return  # settings changed since: a newer probe answers
        self._workers.pop(generator_id, None)
        self.checked.emit(generator_id, probe_label(generator_id, availability), availability.detail)
