"""Finding generators: the ``storyboard_app.generators`` entry-point group, plus registrations.

Generators are named by a "module:Class" spec string rather than passed as objects, so a spawned
worker process can import the same class by name. ``register_generator`` adds one at run time
(tests, plugins under development); an installed package adds one with an entry point.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

from .protocol import Availability, Generator

GROUP = "storyboard_app.generators"
DEFAULT_GENERATOR = "sketch"

_registered: dict[str, str] = {}


class UnknownGenerator(KeyError):
    def __str__(self) -> str:
        known = ", ".join(sorted(generator_specs())) or "none"
        return f"no generator named {self.args[0]!r} is installed (installed: {known})"


def register_generator(generator_id: str, spec: str) -> None:
    """Make ``spec`` ("package.module:Class") available as ``generator_id``."""
    _registered[generator_id] = spec


def unregister_generator(generator_id: str) -> None:
    _registered.pop(generator_id, None)


@cache
def _installed_specs() -> tuple[tuple[str, str], ...]:
    """The entry points, scanned once per process: ``entry_points()`` reads every installed
    distribution's metadata (~50 ms), and planning a batch asks for a spec per shot."""
    return tuple((ep.name, ep.value) for ep in entry_points(group=GROUP))


def generator_specs() -> dict[str, str]:
    specs = dict(_installed_specs())
    specs.update(_registered)
    return specs


class GeneratorLoadError(RuntimeError):
    """An installed generator whose code cannot be imported (a broken or incompatible plugin)."""


def load_generator_class(spec: str) -> type[Generator]:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except Exception as exc:  # noqa: BLE001 - any plugin failure becomes one clear message
        raise GeneratorLoadError(f"generator {spec} could not be loaded: {exc}") from exc


def generator_spec(generator_id: str) -> str:
    try:
        return generator_specs()[generator_id]
    except KeyError:
        raise UnknownGenerator(generator_id) from None


def create_generator(generator_id: str) -> Generator:
    return load_generator_class(generator_spec(generator_id))()


@dataclass(frozen=True)
class GeneratorInfo:
    id: str
    spec: str
    version: str
    label: str
    availability: Availability
    generator: Generator | None = None


def installed_generators(settings_by_id: dict[str, dict] | None = None) -> list[GeneratorInfo]:
    """Every installed generator and whether it can run here; a broken plugin is listed, not fatal.
    ``settings_by_id`` (a project's ``generator_settings``) reach a ``check`` that takes settings,
    so a ComfyUI check asks the server the project names."""
    infos = []
    for generator_id, spec in sorted(generator_specs().items()):
        try:
            gen = load_generator_class(spec)()
            available = (gen.check((settings_by_id or {}).get(generator_id) or {})
                         if "settings" in inspect.signature(gen.check).parameters else gen.check())
            infos.append(GeneratorInfo(generator_id, spec, gen.version, getattr(gen, "label", generator_id), available, gen))
        except Exception as exc:  # noqa: BLE001 - a plugin that fails to load is reported, not raised
            infos.append(GeneratorInfo(generator_id, spec, "?", generator_id, Availability(False, f"failed to load: {exc}")))
    return infos
