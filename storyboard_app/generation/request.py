"""From a shot to a generator's input: prompt composition, seed derivation and the request hash.

``build_request`` is the one documented way a shot becomes a ``ShotRequest``; every generator
(sketch, diffusers, remote) receives the same plain object, so a shot renders "the same way
whatever renders it", and the cache key (``request_hash``) means the same thing everywhere.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..model import CameraMove, Project, Shot, ShotSize
from ..model.bundle import BundlePaths

SEED_SPACE = 2**32

SHOT_SIZE_PHRASES: dict[ShotSize, str] = {
    ShotSize.EWS: "extreme wide shot",
    ShotSize.WS: "wide shot",
    ShotSize.MS: "medium shot",
    ShotSize.MCU: "medium close-up",
    ShotSize.CU: "close-up",
    ShotSize.ECU: "extreme close-up",
    ShotSize.OTS: "over-the-shoulder shot",
    ShotSize.POV: "point-of-view shot",
    ShotSize.INSERT: "insert shot of a detail",
}

CAMERA_MOVE_PHRASES: dict[CameraMove, str] = {
    CameraMove.STATIC: "static camera",
    CameraMove.PAN_LEFT: "camera pans left",
    CameraMove.PAN_RIGHT: "camera pans right",
    CameraMove.TILT_UP: "camera tilts up",
    CameraMove.TILT_DOWN: "camera tilts down",
    CameraMove.PUSH_IN: "slow push in",
    CameraMove.PULL_OUT: "slow pull out",
    CameraMove.TRUCK_LEFT: "camera trucks left",
    CameraMove.TRUCK_RIGHT: "camera trucks right",
    CameraMove.CRANE_UP: "camera cranes up",
    CameraMove.CRANE_DOWN: "camera cranes down",
    CameraMove.HANDHELD: "handheld camera",
}


@dataclass(frozen=True)
class CharacterSpec:
    id: str
    name: str
    description: str
    seed: int
    reference_images: tuple[str, ...] = ()  # absolute paths inside the bundle


@dataclass(frozen=True)
class ShotRequest:
    """Everything a generator needs for one shot: plain data, picklable, JSON-able."""

    shot_id: str
    shot_number: str
    prompt: str  # composed: framing, characters, shot action, style (compose_prompt)
    negative_prompt: str
    seed: int
    width: int
    height: int
    #: the project's integer timebase (24 for a 23.976 project): generators and their presets
    #: count whole frames per second, and the exporter plays the clip frame for frame at the
    #: project's real rate (pull-down), so NTSC never changes a clip or its cache key
    fps: int
    frames: int
    camera_move: str
    camera_strength: float
    shot_size: str
    shot_prompt: str = ""  # the raw shot prompt (the sketch generator parses its setting)
    #: the scene's heading (its name, e.g. "EXT. MARKET - NIGHT"): time of day, weather and place
    #: carry from it to every shot of the scene unless the shot's own words say otherwise
    scene_heading: str = ""
    characters: tuple[CharacterSpec, ...] = ()
    reference_images: tuple[str, ...] = ()
    style_name: str = ""
    style_palette: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    #: a remote job this shot already has (service, endpoint, job id... as the adapter reported it
    #: through ``report_remote_job``): a remote adapter resumes following it instead of submitting
    #: again, so a restart never pays twice. Not part of the cache key.
    remote_job: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    #: choices the user made for this run that do not change the picture (consent to re-run a
    #: paid remote job whose result expired before it was downloaded): not part of the cache key
    run_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def seconds(self) -> float:
        """Length at the timebase (what the generator renders), not the NTSC playback length."""
        return self.frames / self.fps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShotRequest:
        data = dict(data)
        data["characters"] = tuple(
            CharacterSpec(**{**c, "reference_images": tuple(c.get("reference_images", ()))})
            for c in data.get("characters", ())
        )
        for key in ("reference_images", "style_palette"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)


# --------------------------------------------------------------------------- seeds


def _mix(*parts: object) -> int:
    """A stable 32-bit number from parts (blake2b; Python's hash() is salted per process)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SEED_SPACE


def derive_seed(project: Project, shot: Shot) -> int:
    """The seed a shot renders with, unless the user rerolls.

    1. A shot with ``seed_locked`` uses ``shot.seed``.
    2. A shot with characters: one character → exactly that character's seed, so the same person
       gets the same seed (and so the same look) in every shot they carry alone; several →
       a mix of their seeds in sorted order, so the pairing is stable whatever the billing order.
    3. Otherwise a mix of the project seed and the shot's stable id, so each empty shot differs
       but keeps its seed across sessions and reorders.
    """
    if shot.seed_locked:
        return shot.seed % SEED_SPACE
    seeds = []
    for character_id in shot.characters:
        try:
            seeds.append(project.character(character_id).seed)
        except KeyError:
            continue
    if len(seeds) == 1:
        return seeds[0] % SEED_SPACE
    if seeds:
        return _mix("cast", *sorted(seeds))
    return _mix("shot", project.seed, shot.id)


def reroll_seed() -> int:
    """A fresh random seed; recorded on the take so the result can be reproduced or locked."""
    return secrets.randbelow(SEED_SPACE)


# --------------------------------------------------------------------------- prompts


def compose_prompt(project: Project, shot: Shot) -> str:
    """Most important first, because CLIP-based models read only the first 77 tokens:
    framing (shot size, camera move), then each character as "Name, description", then the
    shot's action and the scene's setting, then the style suffix. A cut long prompt loses style words, never the
    framing or who is in the shot (``prompt_tokens`` warns when that happens).

    Characters come in the shot's billing order; a character whose name the prompt already
    mentions is still described, because the description is what keeps the look consistent.
    """
    parts = [f"{SHOT_SIZE_PHRASES[shot.size]}, {CAMERA_MOVE_PHRASES[shot.camera_move]}"]
    for character_id in shot.characters:
        try:
            ch = project.character(character_id)
        except KeyError:
            continue
        parts.append(f"{ch.name}, {ch.description.strip()}" if ch.description.strip() else ch.name)
    parts.append(shot.prompt.strip())
    parts.append(_setting(project, shot))  # the scene's place and time belong with the action
    style = project.effective_style(shot)
    if style is not None and style.prompt_suffix.strip():
        parts.append(style.prompt_suffix.strip())
    return "; ".join(p for p in parts if p)


def _setting(project: Project, shot: Shot) -> str:
    """"setting: lighthouse - lantern room, night" from the shot's scene (a script import fills
    location and time of day); "" for scenes without them, so other prompts are unchanged."""
    try:
        scene = project.find_shot(shot.id)[0]
    except KeyError:
        return ""
    where = ", ".join(p for p in (scene.location.strip().lower(), scene.time_of_day.strip().lower()) if p)
    return f"setting: {where}" if where else ""


def compose_negative_prompt(project: Project, shot: Shot) -> str:
    style = project.effective_style(shot)
    parts = [shot.negative_prompt.strip(), style.negative_prompt.strip() if style else ""]
    return ", ".join(p for p in parts if p)


def generator_settings(project: Project, shot: Shot, generator_id: str) -> dict[str, Any]:
    """Project settings for the generator, overridden by the effective style's parameters.

    A style's ``generator_params`` may hold plain keys (applied to every generator) and
    per-generator sections keyed by a generator id (``{"sketch": {"lines": 0.9}}``): only the
    section of ``generator_id`` applies, so a sketch look never reaches a diffusers pipeline.
    """
    from .registry import generator_specs

    settings = dict(project.generator_settings.get(generator_id, {}))
    style = project.effective_style(shot)
    if style is not None:
        known = set(generator_specs())
        for key, value in style.generator_params.items():
            if isinstance(value, dict) and (key in known or key == generator_id):
                if key == generator_id:
                    settings.update(value)
            else:
                settings[key] = value
    return settings


def build_request(
    project: Project,
    shot: Shot,
    bundle_root: Path | str | None,
    generator_id: str,
    *,
    seed: int | None = None,
) -> ShotRequest:
    """The request for ``shot``: the one place prompt, seed, size and references are decided."""
    paths = BundlePaths(bundle_root) if bundle_root is not None else None

    def absolute(refs: list[str]) -> tuple[str, ...]:
        if paths is None:
            return tuple(refs)
        return tuple(str(paths.media_path(r)) for r in refs)

    characters = []
    for character_id in shot.characters:
        try:
            ch = project.character(character_id)
        except KeyError:
            continue
        characters.append(
            CharacterSpec(ch.id, ch.name, ch.description, ch.seed, absolute(ch.reference_images))
        )
    style = project.effective_style(shot)
    try:
        scene_heading = project.find_shot(shot.id)[0].name
    except KeyError:  # a shot not (yet) in the project: no scene to carry a setting from
        scene_heading = ""
    return ShotRequest(
        shot_id=shot.id,
        shot_number=shot.number,
        prompt=compose_prompt(project, shot),
        negative_prompt=compose_negative_prompt(project, shot),
        seed=derive_seed(project, shot) if seed is None else seed % SEED_SPACE,
        width=project.width,
        height=project.height,
        fps=project.fps,
        frames=shot.duration,
        camera_move=shot.camera_move.value,
        camera_strength=shot.camera_strength,
        shot_size=shot.size.value,
        shot_prompt=shot.prompt,
        scene_heading=scene_heading,
        characters=tuple(characters),
        reference_images=tuple(r for c in characters for r in c.reference_images),
        style_name=style.name if style else "",
        style_palette=tuple(style.palette) if style else (),
        settings=generator_settings(project, shot, generator_id),
    )


def request_hash(
    request: ShotRequest, generator_id: str, generator_version: str, settings: dict[str, Any] | None = None
) -> str:
    """The cache key: sha256 over the request (minus shot identity), generator id, version, settings.

    Shot id and number are left out so two shots that ask for the same picture share one clip.
    Reference images are hashed by content, so replacing a file invalidates the clip.
    """
    data = request.to_dict()
    data.pop("shot_id")
    data.pop("shot_number")
    data.pop("remote_job", None)
    data.pop("run_options", None)
    data["reference_images"] = [_file_digest(p) for p in request.reference_images]
    for ch in data["characters"]:
        ch["reference_images"] = [_file_digest(p) for p in ch["reference_images"]]
    payload = {
        "request": data,
        "generator": generator_id,
        "version": generator_version,
        "settings": settings if settings is not None else request.settings,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return f"missing:{Path(path).name}"
