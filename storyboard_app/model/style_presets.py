"""Built-in style presets and style JSON files (export/import), no Qt.

A preset is one small JSON file in ``resources/styles/presets/`` (found through
``assets.resource`` so a wheel or a frozen bundle has them too)::

    {"name": "Noir", "prompt_suffix": "...", "negative_prompt": "...",
     "palette": ["#101010", "#f2f2f2"],
     "generator_params": {"sketch": {"mono": 1.0, "contrast": 2.0, "grain": 14}}}

``generator_params`` holds one section per generator id (see
``generation.request.generator_settings``). A preset's style id is ``preset_<file stem>``, so
adding the same preset to a project twice finds the one already there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..assets import resource
from .types import Style, new_id

PRESET_PREFIX = "preset_"
_KEYS = ("name", "prompt_suffix", "negative_prompt", "palette", "generator_params")


class StyleFileError(ValueError):
    """A style JSON file that cannot be read: the message names the file and the field."""


def style_from_data(data: Any, source: str, style_id: str) -> Style:
    """A Style from decoded JSON, checked field by field (one-line errors naming the field)."""
    if not isinstance(data, dict):
        raise StyleFileError(f"{source}: expected a JSON object")
    unknown = sorted(set(data) - set(_KEYS) - {"id"})
    if unknown:
        raise StyleFileError(f"{source}: unknown field {unknown[0]!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise StyleFileError(f"{source}: field 'name' must be a non-empty string")
    for key in ("prompt_suffix", "negative_prompt"):
        if not isinstance(data.get(key, ""), str):
            raise StyleFileError(f"{source}: field {key!r} must be a string")
    palette = data.get("palette", [])
    if not isinstance(palette, list) or not all(_is_colour(c) for c in palette):
        raise StyleFileError(f"{source}: field 'palette' must be a list of colours like '#a0b0c0'")
    params = data.get("generator_params", {})
    if not isinstance(params, dict):
        raise StyleFileError(f"{source}: field 'generator_params' must be an object")
    return Style(id=style_id, name=name.strip(), prompt_suffix=data.get("prompt_suffix", ""),
                 negative_prompt=data.get("negative_prompt", ""), palette=list(palette),
                 generator_params=json.loads(json.dumps(params)))


def _is_colour(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 7 or value[0] != "#":
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


def builtin_styles() -> list[Style]:
    """Every preset in resources/styles/presets/*.json, sorted by file name."""
    folder = resource("styles", "presets")
    styles = []
    for item in sorted((p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name):
        source = f"styles/presets/{item.name}"
        try:
            data = json.loads(item.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StyleFileError(f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
        styles.append(style_from_data(data, source, PRESET_PREFIX + item.name.removesuffix(".json")))
    return styles


def find_preset(key: str) -> Style:
    """A preset by file stem ("noir"), id ("preset_noir") or name ("Noir", any case)."""
    key_l = key.strip().lower()
    for style in builtin_styles():
        stem = style.id.removeprefix(PRESET_PREFIX)
        if key_l in (stem, style.id, style.name.lower()):
            return style
    known = ", ".join(s.id.removeprefix(PRESET_PREFIX) for s in builtin_styles())
    raise KeyError(f"no style preset {key!r} (presets: {known})")


def style_to_json(style: Style) -> str:
    """A small, diff-friendly JSON file for one style (the id stays with the project)."""
    data = {"name": style.name, "prompt_suffix": style.prompt_suffix, "negative_prompt": style.negative_prompt,
            "palette": list(style.palette), "generator_params": style.generator_params}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_style(style: Style, path: Path | str) -> Path:
    path = Path(path)
    path.write_text(style_to_json(style), encoding="utf-8")
    return path


def import_style(path: Path | str, style_id: str | None = None) -> Style:
    """Read a style file written by ``export_style`` (or a preset file) as a new project style."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StyleFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise StyleFileError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return style_from_data(data, str(path), style_id or new_id("style"))


def duplicate_style(style: Style, name: str | None = None) -> Style:
    """A copy with a new id, to edit without touching the original."""
    copy = style_from_data(json.loads(style_to_json(style)), style.name, new_id("style"))
    copy.name = name or f"{style.name} copy"
    return copy
