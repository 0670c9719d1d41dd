"""Model presets: how a ``ShotRequest`` becomes one hosted model's input, read from data files.

Each service has one JSON file in ``resources/remote_presets/`` (``fal.json``, ``replicate.json``)
listing its models. Models change faster than code, so a preset is data: the endpoint (and the
image-to-video endpoint used when the shot has a first-frame image), which of our fields go to
which input names, the durations the model accepts and how it spells them (``5``, ``"5"``,
``"8s"``), its aspect ratios and resolutions, whether it honours a seed, fixed extra inputs, where
the video URL is in the result, and its price per second (as published when the preset was
written; "unknown" when absent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ...assets import resource
from ..request import ShotRequest

DURATION_FORMATS = ("int", "str", "s")  # 5, "5", "5s"
FIELDS = ("prompt", "negative_prompt", "seed", "duration", "aspect_ratio", "resolution", "image")


class PresetError(ValueError):
    """A preset file that is not usable; the message names the file and the field."""


@dataclass(frozen=True)
class Preset:
    id: str
    service: str
    label: str
    endpoint: str  # fal: the model id; Replicate: "owner/name"
    inputs: dict[str, str]  # our field -> the model's input name
    durations: tuple[int, ...]
    duration_format: str = "int"
    image_endpoint: str | None = None
    aspect_ratios: tuple[str, ...] = ()
    resolutions: dict[str, int] = field(default_factory=dict)  # name -> height in pixels
    supports_seed: bool = True
    requires_image: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)
    output: str = "video.url"  # a dotted path into the result JSON ("" : the output itself)
    price_per_second: float | dict[str, float] | None = None
    notes: str = ""

    # --- choosing values ---
    def duration_for(self, seconds: float) -> int:
        """The shortest allowed duration that covers ``seconds`` (the clip is trimmed to the shot),
        else the longest (the clip's last frame is held)."""
        for value in sorted(self.durations):
            if value >= seconds - 1e-6:
                return value
        return max(self.durations)

    def format_duration(self, value: int) -> Any:
        return {"int": value, "str": str(value), "s": f"{value}s"}[self.duration_format]

    def aspect_for(self, width: int, height: int) -> str | None:
        if not self.aspect_ratios:
            return None

        def ratio(text: str) -> float:
            a, _, b = text.partition(":")
            return float(a) / float(b)

        return min(self.aspect_ratios, key=lambda r: abs(ratio(r) - width / height))

    def resolution_for(self, width: int, height: int) -> str | None:
        """The smallest resolution at least as large as the shot's short side, else the largest."""
        if not self.resolutions:
            return None
        short = min(width, height)
        fitting = [name for name, px in self.resolutions.items() if px >= short]
        if fitting:
            return min(fitting, key=lambda n: self.resolutions[n])
        return max(self.resolutions, key=lambda n: self.resolutions[n])

    def price_for(self, resolution: str | None) -> float | None:
        price = self.price_per_second
        if isinstance(price, dict):
            return price.get(resolution or "", price.get("default"))
        return price

    # --- the request ---
    def billed_seconds(self, request: ShotRequest) -> int:
        return self.duration_for(request.frames / request.fps)

    def estimate_cost(self, request: ShotRequest) -> float | None:
        price = self.price_for(self.resolution_for(request.width, request.height))
        return None if price is None else round(price * self.billed_seconds(request), 4)

    def endpoint_for(self, has_image: bool) -> str:
        return self.image_endpoint if has_image and self.image_endpoint else self.endpoint

    def build_input(self, request: ShotRequest, image: str | None) -> dict[str, Any]:
        """The model's input for ``request``; ``image`` is the first frame already in the form the
        service takes (a URL or a data URI), or None."""
        if self.requires_image and image is None:
            from ..protocol import GenerationError

            raise GenerationError(f"model preset {self.id!r} needs a first-frame image: give the shot's "
                                  "characters a reference image, or pick a text-to-video preset")
        values: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            "seed": request.seed if self.supports_seed else None,
            "duration": self.format_duration(self.billed_seconds(request)),
            "aspect_ratio": self.aspect_for(request.width, request.height),
            "resolution": self.resolution_for(request.width, request.height),
            "image": image,
        }
        out = dict(self.fixed)
        for ours, theirs in self.inputs.items():
            if values.get(ours) is not None:
                out[theirs] = values[ours]
        return out

    def output_url(self, result: Any) -> str | None:
        """The video URL in a finished job's result (a dotted path; a list takes its first item)."""
        value = result
        for part in [p for p in self.output.split(".") if p]:
            if isinstance(value, list):
                value = value[0] if value else None
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("url")
        return value if isinstance(value, str) and value else None


def _parse(service: str, data: Any, where: str) -> Preset:
    if not isinstance(data, dict):
        raise PresetError(f"{where}: must be an object")

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        value = data.get(key)
        if not isinstance(value, kind):
            raise PresetError(f"{where}.{key}: required, {getattr(kind, '__name__', kind)}")
        return value

    known = {"id", "label", "endpoint", "image_endpoint", "inputs", "durations", "duration_format",
             "aspect_ratios", "resolutions", "seed", "requires_image", "fixed", "output", "price_per_second",
             "notes"}
    if extra := set(data) - known:
        raise PresetError(f"{where}.{sorted(extra)[0]}: unknown field")
    inputs = need("inputs", dict)
    for ours in inputs:
        if ours not in FIELDS:
            raise PresetError(f"{where}.inputs.{ours}: unknown field (known: {', '.join(FIELDS)})")
    durations = need("durations", list)
    if not durations or not all(isinstance(d, int) and d > 0 for d in durations):
        raise PresetError(f"{where}.durations: a non-empty list of positive whole seconds")
    fmt = data.get("duration_format", "int")
    if fmt not in DURATION_FORMATS:
        raise PresetError(f"{where}.duration_format: one of {', '.join(DURATION_FORMATS)} (got {fmt!r})")
    price = data.get("price_per_second")
    if price is not None and not (isinstance(price, (int, float)) and price >= 0) and not (
            isinstance(price, dict) and all(isinstance(v, (int, float)) and v >= 0 for v in price.values())):
        raise PresetError(f"{where}.price_per_second: a non-negative number, or one per resolution")
    seed = data.get("seed", True)
    if not isinstance(seed, bool):
        raise PresetError(f"{where}.seed: true or false")
    if "seed" in inputs and not seed:
        raise PresetError(f"{where}.inputs.seed: the preset says the model takes no seed")
    return Preset(
        id=need("id", str), service=service, label=data.get("label", data["id"]), endpoint=need("endpoint", str),
        inputs=dict(inputs), durations=tuple(durations), duration_format=fmt,
        image_endpoint=data.get("image_endpoint"), aspect_ratios=tuple(data.get("aspect_ratios", ())),
        resolutions=dict(data.get("resolutions", {})), supports_seed=seed,
        requires_image=bool(data.get("requires_image", False)), fixed=dict(data.get("fixed", {})),
        output=data.get("output", "video.url"), price_per_second=price, notes=data.get("notes", ""),
    )


@cache
def load_presets(service: str) -> tuple[dict[str, Preset], str]:
    """``(presets by id, default id)`` for ``service`` from ``resources/remote_presets/<service>.json``."""
    name = f"remote_presets/{service}.json"
    try:
        data = json.loads(resource("remote_presets", f"{service}.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PresetError(f"{name}: cannot be read ({exc})") from None
    items = data.get("presets") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise PresetError(f"{name}: $.presets must be a non-empty list")
    presets: dict[str, Preset] = {}
    for i, item in enumerate(items):
        preset = _parse(service, item, f"{name}: $.presets[{i}]")
        if preset.id in presets:
            raise PresetError(f"{name}: $.presets[{i}].id: duplicate id {preset.id!r}")
        presets[preset.id] = preset
    default = data.get("default", items[0].get("id"))
    if default not in presets:
        raise PresetError(f"{name}: $.default: no preset {default!r}")
    return presets, default


def preset_for(service: str, settings: dict[str, Any]) -> Preset:
    """The preset named by the ``model`` setting, else the service's default."""
    presets, default = load_presets(service)
    wanted = settings.get("model") or default
    try:
        return presets[wanted]
    except KeyError:
        from ..protocol import GeneratorSetupError

        raise GeneratorSetupError(f"no {service} model preset {wanted!r} (known: {', '.join(sorted(presets))})") from None
