"""``models``: the diffusers presets and whether each model is present on this machine."""

from __future__ import annotations

import argparse

from rich.table import Table

from .common import EXIT_OK, console


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="list diffusers model presets and which are present locally")
    p.set_defaults(func=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from generators.diffusers_local.loading import model_present
    from generators.diffusers_local.presets import PRESETS

    table = Table(title="diffusers presets (settings: model / video_model)", title_justify="left")
    for col in ("preset", "model", "kind", "steps", "guidance", "present", "note"):
        table.add_column(col)
    for preset in PRESETS.values():
        present = model_present(preset.model_id)
        table.add_row(preset.name, preset.model_id, preset.kind, str(preset.steps), f"{preset.guidance:g}",
                      "yes" if present else "no", preset.note)
    console.print(table)
    console.print("A missing model: `huggingface-cli download MODEL` once, or set 'model' to a local folder.")
    return EXIT_OK
