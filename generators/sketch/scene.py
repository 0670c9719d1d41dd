"""Reading a shot prompt the way a previz artist would: where, when, what weather, what set.

Keyword matching, deliberately simple and predictable: the director can steer the sketch by
writing "interior", "night", "rain", "alley" in the prompt, and the same words always give the
same picture.

A scene's heading ("EXT. NIGHT MARKET - NIGHT") sets the scene's place, time and weather for all
of its shots (``read_setting``): a shot that does not mention the night is still at night; words
in the shot itself override the heading ("interior of the stall", "dawn", "dry").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORDS = re.compile(r"[a-z']+")

TIME_WORDS = {
    "night": ("night", "midnight", "moonlight", "moonlit", "dark", "neon"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "golden hour"),
    "dawn": ("dawn", "sunrise", "morning"),
    "day": ("day", "noon", "afternoon", "sunny", "daylight"),
}
INTERIOR_WORDS = ("interior", "inside", "room", "kitchen", "office", "corridor", "hall", "bar",
                  "shop", "apartment", "bedroom", "studio", "car interior")
EXTERIOR_WORDS = ("exterior", "outside", "street", "alley", "market", "rooftop", "rooftops",
                  "harbour", "harbor", "city", "field", "forest", "beach", "sky", "road", "park")
SET_WORDS = {
    "stalls": ("market", "stall", "stalls", "awning", "vendor"),
    "alley": ("alley", "corridor", "passage", "lane"),
    "buildings": ("city", "rooftop", "rooftops", "buildings", "street", "skyline", "town"),
    "water": ("harbour", "harbor", "sea", "ocean", "river", "lake", "tide"),
    "lanterns": ("lantern", "lanterns", "neon", "sign", "lights", "lamp"),
    "counter": ("counter", "table", "desk", "bar"),
    "trees": ("forest", "tree", "trees", "park", "woods"),
}


@dataclass(frozen=True)
class Scene:
    interior: bool = False
    time: str = "day"
    rain: bool = False
    snow: bool = False
    fog: bool = False
    sets: frozenset[str] = field(default_factory=frozenset)
    #: which of "time", "place" (interior/exterior) the text named itself; the rest are defaults
    said: frozenset[str] = field(default_factory=frozenset, compare=False)


def _has(text: str, words: set[str], phrase: str) -> bool:
    return phrase in text if " " in phrase else phrase in words


def read_scene(prompt: str) -> Scene:
    text = prompt.lower()
    words = set(_WORDS.findall(text))
    time = "day"
    for name, keys in TIME_WORDS.items():
        if any(_has(text, words, k) for k in keys):
            time = name
            break
    interior_hits = sum(_has(text, words, k) for k in INTERIOR_WORDS)
    exterior_hits = sum(_has(text, words, k) for k in EXTERIOR_WORDS)
    sets = frozenset(name for name, keys in SET_WORDS.items() if any(k in words for k in keys))
    said = {"time"} if any(_has(text, words, k) for keys in TIME_WORDS.values() for k in keys) else set()
    if interior_hits or exterior_hits:
        said.add("place")
    return Scene(
        said=frozenset(said),
        interior=interior_hits > exterior_hits,
        time=time,
        rain=bool(words & {"rain", "raining", "rainy", "drizzle", "storm", "wet", "downpour"}),
        snow=bool(words & {"snow", "snowing", "snowy", "blizzard"}),
        fog=bool(words & {"fog", "foggy", "mist", "misty", "haze", "steam"}),
        sets=sets,
    )


_HEADING_PLACE = re.compile(r"\b(int\.?\s*/\s*ext|ext\.?\s*/\s*int|i/e|int|ext)\b\.?")
#: words in a shot that cancel the heading's weather
DRY_WORDS = {"dry", "clear", "cloudless", "sunny", "sunshine"}


def read_heading(heading: str) -> Scene:
    """A scene heading: ``INT.``/``EXT.`` decide the place; its words give time, weather, sets."""
    scene = read_scene(heading)
    match = _HEADING_PLACE.search(heading.lower())
    if match is None:
        return scene
    interior = match.group(1).startswith("int") and "/" not in match.group(1)
    return Scene(interior=interior, time=scene.time, rain=scene.rain, snow=scene.snow, fog=scene.fog,
                 sets=scene.sets, said=scene.said | {"place"})


def read_setting(shot_prompt: str, heading: str = "") -> Scene:
    """The shot's setting: its scene heading's, overridden by what the shot's own words say.

    * time of day: the shot's time word if it has one, else the heading's, else day;
    * interior/exterior: the shot's words if they decide it, else the heading's INT./EXT.;
    * weather carries from the heading to exterior shots unless the shot says "dry"/"clear";
      the shot's own weather words always add;
    * sets (stalls, alley, ...): the shot's, plus the heading's when both are on the same side
      of the door.
    """
    shot = read_scene(shot_prompt)
    if not heading.strip():
        return shot
    head = read_heading(heading)
    words = set(_WORDS.findall(shot_prompt.lower()))
    time = shot.time if "time" in shot.said else head.time
    interior = shot.interior if "place" in shot.said else head.interior
    carry = not interior and not words & DRY_WORDS
    same_side = interior == head.interior
    return Scene(
        interior=interior,
        time=time,
        rain=shot.rain or (carry and head.rain),
        snow=shot.snow or (carry and head.snow),
        fog=shot.fog or (carry and head.fog),
        sets=shot.sets | head.sets if same_side else shot.sets,
        said=shot.said | head.said,
    )
