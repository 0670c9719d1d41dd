"""What a character's description says about how they look, in words a previz artist would read.

The sketch generator draws each character from their description first and their seed second:
every trait the description names is drawn as named, and the seed fills only what it leaves open
(so "a woman in a red coat" is always in a red coat, and two undescribed extras still differ).

Vocabulary (case-insensitive, whole words; documented for users in docs/sketch-vocabulary.md):

* **Colours**: red, crimson, scarlet, maroon, burgundy, orange, amber, yellow, mustard, gold,
  golden, green, olive, emerald, lime, teal, turquoise, cyan, blue, navy, purple, violet, lilac,
  magenta, pink, brown, chocolate, tan, camel, beige, khaki, cream, black, white, grey/gray,
  silver, charcoal, blonde/blond, ginger, auburn, copper; modifiers bright, light, pale, dark,
  deep. "dark" with no colour after it means near-black.
* **A colour applies to the garment or feature it comes before**, within one phrase (phrases end
  at "and", "with", "in", "wearing", commas...): "a bright yellow raincoat", "dark trench coat",
  "red hair", "grey beard", "a white apron".
* **Upper garment** (the coat colour): coat, jacket, raincoat, trench coat, overcoat, parka,
  oilskin, peacoat, slicker, gown, fleece, overalls (and more: ``UPPER``),
  anorak, hoodie, sweater, jumper, cardigan, shirt, blouse, dress, cloak, cape, poncho, uniform,
  suit, robe, blazer, tunic, kimono, top, vest, mac. **Lower**: trousers, pants, jeans, skirt,
  shorts, leggings, slacks. **Accent**: scarf, tie, bandana, shawl, collar. **Apron**: apron.
* **Hair**: "<colour> hair", blonde, brunette, redhead, ginger, "grey-haired"; length: short,
  cropped, long, ponytail, braid, bun, bald, shaved.
* **Face**: beard, bearded, goatee, stubble, moustache; glasses, spectacles, sunglasses.
* **Headwear**: hat, fedora, bowler (a hat); wide-brimmed, sombrero, cowboy, straw hat (a wide
  hat); cap, baseball cap; beanie, woolly hat; hood, hooded.
* **Skin** (only where the description names it): "<word>-skinned", "<word> skin",
  "<word> complexion" with pale, fair, light, olive, tan, tanned, golden, medium, brown, dark,
  deep, black.
* **Build and age**: tall, lanky; short, small, petite (not before "hair"); child, kid, boy,
  girl, toddler; teen, teenager; old, elderly, aged, older (grey hair unless a colour is named);
  stocky, broad, burly, heavy, heavyset, stout, big; thin, slim, skinny, slender, wiry.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "red": (205, 38, 38), "crimson": (175, 22, 52), "scarlet": (222, 36, 28), "maroon": (112, 26, 36),
    "burgundy": (118, 24, 44), "orange": (236, 128, 30), "amber": (230, 160, 30), "yellow": (240, 205, 40),
    "mustard": (205, 165, 40), "gold": (215, 172, 50), "golden": (215, 172, 50), "green": (48, 150, 70),
    "olive": (112, 116, 52), "emerald": (30, 140, 90), "lime": (150, 210, 60), "teal": (28, 128, 128),
    "turquoise": (50, 190, 190), "cyan": (40, 200, 220), "blue": (44, 88, 205), "navy": (30, 40, 92),
    "purple": (120, 50, 160), "violet": (140, 80, 200), "lilac": (190, 160, 220), "magenta": (210, 40, 160),
    "pink": (236, 132, 172), "brown": (116, 74, 44), "chocolate": (90, 55, 35), "tan": (192, 158, 110),
    "camel": (192, 150, 96), "beige": (208, 192, 152), "khaki": (182, 166, 110), "cream": (240, 230, 200),
    "black": (28, 28, 30), "white": (238, 238, 234), "grey": (135, 135, 138), "gray": (135, 135, 138),
    "silver": (190, 190, 196), "charcoal": (54, 54, 60), "blonde": (226, 196, 122), "blond": (226, 196, 122),
    "ginger": (184, 84, 36), "auburn": (140, 56, 32), "copper": (184, 100, 50),
}
MODIFIERS = ("bright", "light", "pale", "dark", "deep")

UPPER = {"coat", "jacket", "raincoat", "trench", "trenchcoat", "overcoat", "parka", "anorak", "hoodie",
         "sweater", "jumper", "cardigan", "shirt", "blouse", "dress", "cloak", "cape", "poncho",
         "uniform", "suit", "robe", "blazer", "tunic", "kimono", "top", "vest", "mac", "waistcoat",
         # screenplay wardrobe: "in a yellow oilskin", "a navy peacoat" were drawn in a random colour
         "oilskin", "oilskins", "peacoat", "slicker", "mackintosh", "greatcoat", "overcoats", "gown", "frock",
         "smock", "fleece", "windbreaker", "cagoule", "gilet", "overalls", "jumpsuit", "boilersuit",
         "tracksuit", "sweatshirt", "pullover", "turtleneck", "jersey", "tee", "duffel", "duffle", "kaftan",
         "sari", "cassock", "habit", "labcoat", "housecoat", "raincoats", "coats", "jackets"}
LOWER = {"trousers", "pants", "jeans", "skirt", "shorts", "leggings", "slacks"}
ACCENT = {"scarf", "tie", "bandana", "shawl", "collar"}
HAIR = {"hair", "haired"}
BEARD = {"beard", "bearded", "goatee", "stubble", "moustache", "mustache"}
HATS = {"hat": "hat", "fedora": "hat", "bowler": "hat", "sombrero": "wide_hat", "stetson": "wide_hat",
        "cap": "cap", "beanie": "beanie", "hood": "hood", "hooded": "hood", "helmet": "cap"}
WIDE_HAT_WORDS = {"wide", "brimmed", "wide-brimmed", "straw", "cowboy", "sun"}
SKIN = {"pale": (243, 206, 172), "fair": (241, 200, 165), "light": (236, 192, 152),
        "olive": (198, 150, 100), "tan": (190, 136, 90), "tanned": (190, 136, 90), "golden": (205, 150, 95),
        "medium": (200, 145, 100), "brown": (150, 95, 60), "dark": (100, 62, 42), "deep": (92, 58, 40),
        "black": (86, 54, 38)}
#: phrase boundaries: a colour never jumps over these to reach a garment
BOUNDARY = {"and", "with", "in", "wearing", "under", "over", "holding", "carrying", "who", "on", "at",
            "of", "has", "is", "but", "plus", ",", ";", ".", "(", ")"}

_TOKENS = re.compile(r"[a-z]+(?:-[a-z]+)*|[,;.()]")


@dataclass(frozen=True)
class Traits:
    """What the description fixes; ``None`` (or ``False``) leaves it to the seed."""

    coat: RGB | None = None
    trousers: RGB | None = None
    accent: RGB | None = None
    apron: RGB | None = None
    hair: RGB | None = None
    hair_style: str | None = None  # "short" | "long" | "bun" | "bald"
    hat: str | None = None  # "hat" | "wide_hat" | "cap" | "beanie" | "hood" | "none"
    hat_colour: RGB | None = None
    beard: RGB | None = None
    has_beard: bool = False
    glasses: str | None = None  # "glasses" | "sunglasses"
    skin: RGB | None = None
    height: float | None = None
    build: float | None = None
    age: str | None = None  # "child" | "teen" | "old"


def _apply(colour: RGB, modifiers: list[str]) -> RGB:
    if not modifiers:
        return colour
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    for m in modifiers:
        if m == "bright":
            s, v = min(1.0, s * 1.15 + 0.05), min(1.0, v * 1.1 + 0.05)
        elif m in ("light", "pale"):
            s, v = s * 0.55, min(1.0, v * 0.6 + 0.4)
        elif m == "dark":
            v *= 0.5
        elif m == "deep":
            s, v = min(1.0, s * 1.1), v * 0.72
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _phrase_colour(words: list[str]) -> RGB | None:
    """The colour the words before a noun name (nearest colour word wins), with its modifiers."""
    for i in range(len(words) - 1, -1, -1):
        parts = words[i].split("-")  # "dark-green", "silver-grey"
        for part in reversed(parts):
            if part in COLOURS:
                mods = [p for p in parts if p in MODIFIERS] + [w for w in words[max(0, i - 2):i] if w in MODIFIERS]
                return _apply(COLOURS[part], mods)
    if any(w in ("dark", "deep") for w in words):
        return COLOURS["charcoal"]
    if any(w in ("light", "pale") for w in words):
        return (215, 212, 205)
    return None


def read_description(description: str) -> Traits:
    """Traits named in ``description``; see the module docstring for the vocabulary."""
    tokens = _TOKENS.findall(description.lower())
    found: dict[str, object] = {}

    def before(index: int) -> list[str]:
        words: list[str] = []
        for tok in reversed(tokens[:index]):
            if tok in BOUNDARY:
                break
            words.insert(0, tok)
        return words

    def after(index: int, n: int = 3) -> list[str]:
        words: list[str] = []
        for tok in tokens[index + 1:index + 1 + n]:
            if tok in BOUNDARY:
                break
            words.append(tok)
        return words

    def first(key: str, value: object) -> None:
        if value is not None:
            found.setdefault(key, value)

    for i, tok in enumerate(tokens):
        parts = tok.split("-")
        head = parts[-1]
        lead = before(i) + parts[:-1]
        if head in UPPER:
            first("coat", _phrase_colour(lead))
        elif head in LOWER:
            first("trousers", _phrase_colour(lead))
        elif head in ACCENT:
            first("accent", _phrase_colour(lead))
        elif head == "apron":
            found.setdefault("apron", _phrase_colour(lead) or COLOURS["white"])
        elif head in HAIR:
            first("hair", _phrase_colour(lead))
            for w in lead:
                if w in ("short", "cropped", "buzzed"):
                    first("hair_style", "short")
                elif w in ("long", "flowing"):
                    first("hair_style", "long")
        elif head in BEARD:
            found["has_beard"] = True
            first("beard", _phrase_colour(lead))
        elif head in HATS:
            style = HATS[head]
            if style == "hat" and (set(lead) | set(parts)) & WIDE_HAT_WORDS:
                style = "wide_hat"
            first("hat", style)
            first("hat_colour", _phrase_colour([w for w in lead if w not in WIDE_HAT_WORDS]))
        elif head in ("glasses", "spectacles", "goggles", "bespectacled"):
            first("glasses", "sunglasses" if "sun" in lead else "glasses")
        elif head == "sunglasses":
            first("glasses", "sunglasses")
        elif head in ("skin", "skinned", "complexion"):
            for w in reversed(lead):
                if w in SKIN:
                    first("skin", SKIN[w])
                    break
        elif head in ("blonde", "blond", "brunette", "redhead", "ginger") and not (after(i) and after(i)[0] in UPPER | LOWER | HAIR | BEARD | set(HATS)):
            first("hair", {"brunette": (70, 45, 25), "redhead": COLOURS["ginger"]}.get(head, COLOURS.get(head)))
        elif tok in ("ponytail", "braid", "braids", "plait", "plaits"):
            first("hair_style", "long")
        elif tok == "bun":
            first("hair_style", "bun")
        elif tok in ("bald", "shaved", "shaven") and "beard" not in after(i):
            first("hair_style", "bald")
        elif tok in ("tall", "lanky"):
            first("height", 1.13)
            if tok == "lanky":
                first("build", 0.82)
        elif tok in ("short", "small", "petite", "little") and not set(after(i)) & (HAIR | {"sleeves", "skirt", "coat", "jacket"}):
            first("height", 0.88)
        elif tok in ("child", "kid", "boy", "girl", "toddler", "children"):
            first("age", "child")
        elif tok in ("teen", "teenager", "teenage", "adolescent"):
            first("age", "teen")
        elif tok in ("old", "elderly", "aged", "older", "grandmother", "grandfather", "grandma", "grandpa"):
            first("age", "old")
        elif tok in ("stocky", "broad", "burly", "heavy", "heavyset", "stout", "big", "broad-shouldered", "hulking"):
            first("build", 1.25)
        elif tok in ("thin", "slim", "skinny", "slender", "wiry"):
            first("build", 0.82)
    if found.get("has_beard") and "beard" not in found and "hair" in found:
        found["beard"] = found["hair"]
    return Traits(**found)  # type: ignore[arg-type]
