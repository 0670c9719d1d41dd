"""Workflows in ComfyUI's API format, and the mapping from our request fields into them.

A workflow is what ComfyUI's "Export (API)" writes: ``{node_id: {"class_type", "inputs"}}``.
A mapping is a small JSON file beside it (``NAME.mapping.json``) that says where each request
field goes (``"node_id.inputs.field"``, or a list of such targets) and the model's rules:

    {
      "output": "clip",                      # "clip" (a video) or "still" (animated by our camera move)
      "inputs": {"prompt": "6.inputs.text", "negative": "7.inputs.text", "seed": "3.inputs.seed",
                 "width": "5.inputs.width", "height": "5.inputs.height",
                 "frames": "5.inputs.length", "fps": ["9.inputs.frame_rate"], "image": "12.inputs.image"},
      "size": {"max_pixels": 393216, "multiple": 32},   # the model's native pixel budget and step
      "frames": {"step": 8, "offset": 1, "min": 9, "max": 257},   # LTX-Video: 8n+1 frames
      "fps": 24,                             # the rate the model generates at
      "result": "9"                          # optional: the output node to download
    }

Real models are not tiny models: a checkpoint has a native resolution and a frame-count rule, so
both live in the mapping and the adapter conforms the result to the shot (size, rate, length).
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyboard_app.assets import resource_path
from storyboard_app.generation.protocol import GenerationError

FIELDS = ("prompt", "negative", "seed", "width", "height", "frames", "fps", "image")
ALIASES = {"negative_prompt": "negative", "reference": "image", "first_frame": "image", "length": "frames"}
DEFAULT_WORKFLOW = "still_sd15"


class WorkflowError(GenerationError):
    """A workflow or mapping file that cannot be used: the message names the file and field."""

    setup_error = True  # a property of the installation, not of the shot


@dataclass(frozen=True)
class Target:
    node: str
    field: str

    def __str__(self) -> str:
        return f"{self.node}.inputs.{self.field}"


@dataclass(frozen=True)
class Workflow:
    name: str
    source: str  # where it came from, for messages
    graph: dict[str, Any]
    targets: dict[str, tuple[Target, ...]]
    output: str = "clip"
    max_pixels: int = 512 * 512
    multiple: int = 8
    frame_step: int = 1
    frame_offset: int = 0
    min_frames: int = 1
    max_frames: int | None = None
    fps: int = 24
    result_node: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_image(self) -> bool:
        return "image" in self.targets

    def class_type(self, node: str) -> str:
        return str((self.graph.get(node) or {}).get("class_type", "?"))

    # --- the model's rules ---
    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The shot's aspect ratio at the model's native pixel budget, in the model's step."""
        scale = math.sqrt(self.max_pixels / max(width * height, 1))
        m = self.multiple
        return (max(m, int(round(width * scale / m)) * m), max(m, int(round(height * scale / m)) * m))

    def frames_for(self, seconds: float) -> int:
        """Frames the model should make for ``seconds``: the smallest count that follows its rule
        (``step * n + offset``) and covers the shot, capped at its maximum (the clip then holds
        its last frame)."""
        if self.output == "still":
            return 1
        needed = max(int(math.ceil(seconds * self.fps - 1e-9)), self.min_frames, 1)
        n = max(math.ceil((needed - self.frame_offset) / self.frame_step), 0)
        frames = n * self.frame_step + self.frame_offset
        if self.max_frames is not None and frames > self.max_frames:
            frames = self.frame_offset + ((self.max_frames - self.frame_offset) // self.frame_step) * self.frame_step
        return max(frames, 1)

    def fill(self, values: dict[str, Any]) -> dict[str, Any]:
        """A copy of the graph with each mapped field set (fields without a value stay as exported)."""
        graph = copy.deepcopy(self.graph)
        for name, targets in self.targets.items():
            if name not in values or values[name] is None:
                continue
            for target in targets:
                graph[target.node]["inputs"][target.field] = values[name]
        return graph


# --------------------------------------------------------------------------- loading


def shipped_workflows() -> list[str]:
    """Names of the workflows shipped in resources/comfyui/."""
    folder = resource_path("comfyui")
    return sorted(p.name.removesuffix(".json") for p in folder.glob("*.json") if not p.name.endswith(".mapping.json"))


def load_workflow(workflow: str | None, mapping: str | dict[str, Any] | None = None) -> Workflow:
    """A shipped workflow by name, or an API-format file by path; its mapping from ``mapping``
    (a path or an inline object) or from ``NAME.mapping.json`` beside the workflow."""
    workflow = workflow or DEFAULT_WORKFLOW
    path = Path(workflow).expanduser()
    if path.suffix != ".json" and "/" not in workflow and "\\" not in workflow:
        shipped = resource_path("comfyui") / f"{workflow}.json"
        if not shipped.is_file():
            raise WorkflowError(f"no shipped ComfyUI workflow named {workflow!r} (shipped: "
                                f"{', '.join(shipped_workflows())}; or give the path of an API-format export)")
        path = shipped
    graph = _read_json(path, "workflow")
    _check_graph(graph, path)
    if mapping is None:
        mapping_path = path.with_name(path.name.removesuffix(".json") + ".mapping.json")
        if not mapping_path.is_file():
            raise WorkflowError(f"{path}: no mapping for this workflow: write {mapping_path.name} beside it "
                                "or set 'mapping' (see the README's ComfyUI section)")
        data, source = _read_json(mapping_path, "mapping"), str(mapping_path)
    elif isinstance(mapping, dict):
        data, source = mapping, "settings 'mapping'"
    else:
        mapping_path = Path(mapping).expanduser()
        data, source = _read_json(mapping_path, "mapping"), str(mapping_path)
    return _parse_mapping(data, source, graph, path.name.removesuffix(".json"), str(path))


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkflowError(f"{path}: ComfyUI {what} file not found") from None
    except OSError as exc:
        raise WorkflowError(f"{path}: cannot read the ComfyUI {what} ({exc.strerror or exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def _check_graph(graph: Any, path: Path) -> None:
    if not isinstance(graph, dict) or not graph:
        raise WorkflowError(f"{path}: not a ComfyUI workflow in API format (expected an object of nodes)")
    if "nodes" in graph and "links" in graph:
        raise WorkflowError(f"{path}: this is a UI workflow; export it with 'Export (API)' in ComfyUI")
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str) \
                or not isinstance(node.get("inputs"), dict):
            raise WorkflowError(f"{path}: node {node_id}: needs 'class_type' and 'inputs' (API format)")


def _parse_mapping(data: Any, source: str, graph: dict[str, Any], name: str, graph_source: str) -> Workflow:
    if not isinstance(data, dict):
        raise WorkflowError(f"{source}: a mapping must be a JSON object")
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise WorkflowError(f"{source}: inputs: missing (an object from request fields to node_id.inputs.field)")
    targets: dict[str, tuple[Target, ...]] = {}
    for key, value in inputs.items():
        field_name = ALIASES.get(key, key)
        if field_name not in FIELDS:
            raise WorkflowError(f"{source}: inputs.{key}: unknown request field (known: {', '.join(FIELDS)})")
        items = value if isinstance(value, list) else [value]
        parsed = []
        for item in items:
            target = _parse_target(item, f"{source}: inputs.{key}")
            node = graph.get(target.node)
            if node is None:
                raise WorkflowError(f"{source}: inputs.{key}: workflow {graph_source} has no node {target.node!r}")
            if target.field not in node["inputs"]:
                have = ", ".join(sorted(node["inputs"]))
                raise WorkflowError(f"{source}: inputs.{key}: node {target.node} ({node['class_type']}) has no "
                                    f"input {target.field!r} (it has: {have})")
            parsed.append(target)
        targets[field_name] = tuple(parsed)
    output = data.get("output", "clip")
    if output not in ("clip", "still"):
        raise WorkflowError(f"{source}: output: must be \"clip\" or \"still\", not {output!r}")
    size = data.get("size", {})
    frames = data.get("frames", {})
    if not isinstance(size, dict) or not isinstance(frames, dict):
        raise WorkflowError(f"{source}: size and frames must be objects")
    result = data.get("result")
    if result is not None and str(result) not in graph:
        raise WorkflowError(f"{source}: result: workflow {graph_source} has no node {result!r}")
    return Workflow(
        name=name, source=graph_source, graph=graph, targets=targets, output=output,
        max_pixels=_int(size, "max_pixels", 512 * 512, source, "size.", low=64 * 64),
        multiple=_int(size, "multiple", 8, source, "size.", low=1),
        frame_step=_int(frames, "step", 1, source, "frames.", low=1),
        frame_offset=_int(frames, "offset", 0, source, "frames.", low=0),
        min_frames=_int(frames, "min", 1, source, "frames.", low=1),
        max_frames=_int(frames, "max", None, source, "frames.", low=1),
        fps=_int(data, "fps", 24, source, "", low=1),
        result_node=str(result) if result is not None else None,
        description=str(data.get("description", "")),
    )


def _parse_target(item: Any, where: str) -> Target:
    if not isinstance(item, str):
        raise WorkflowError(f"{where}: expected \"node_id.inputs.field\", got {item!r}")
    parts = item.split(".")
    if len(parts) == 3 and parts[1] == "inputs" and parts[0] and parts[2]:
        return Target(parts[0], parts[2])
    if len(parts) == 2 and all(parts):  # "node_id.field" is accepted too
        return Target(parts[0], parts[1])
    raise WorkflowError(f"{where}: expected \"node_id.inputs.field\", got {item!r}")


def _int(data: dict[str, Any], key: str, default: int | None, source: str, prefix: str, low: int) -> Any:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise WorkflowError(f"{source}: {prefix}{key}: must be a whole number >= {low}, not {value!r}")
    return value
