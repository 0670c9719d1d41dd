"""Reading a shot prompt the way a previz artist would: where, when, what weather, what set.

Keyword matching, deliberately simple and predictable: the director can steer the sketch by
writing "interior", "night", "rain", "alley" in the prompt, and the same words always give the
same picture.
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
    return Scene(
        interior=interior_hits > exterior_hits,
        time=time,
        rain=bool(words & {"rain", "raining", "rainy", "drizzle", "storm", "wet", "downpour"}),
        snow=bool(words & {"snow", "snowing", "snowy", "blizzard"}),
        fog=bool(words & {"fog", "foggy", "mist", "misty", "haze", "steam"}),
        sets=sets,
    )
