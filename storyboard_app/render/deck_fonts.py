"""Fonts for the PDF deck: DejaVu Sans for Latin, Cyrillic and Greek, plus any bundled font that
covers CJK as a per-glyph fallback (fpdf2's ``set_fallback_fonts``).

The CJK font is not named here: whatever ``.ttf``/``.otf``/``.ttc``/``.otc`` in the fonts folder
has glyphs for common Chinese and Japanese characters (東, あ) is used, so the file bundled for
CJK can change without code changes. fpdf2 embeds static, single-face TrueType/CFF fonts only; a
variable font (``fvar``, CFF2) or a collection (``.ttc``, e.g. Noto Sans CJK's) is turned into a
small static TrueType font of just the characters the deck uses (fontTools: subset, instantiate
at Regular weight, cubic → quadratic outlines), written to a temporary folder for that export.

Fonts are found through ``importlib.resources`` (``storyboard_app/resources/fonts`` in a wheel or
frozen bundle) and, in a source checkout, in the repository's ``resources/fonts``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..assets import resource_path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}

#: a font covers CJK when it has glyphs for 東 (Han) and あ (hiragana)
CJK_PROBE_MIN = (0x6771, 0x3042)


def font_dirs() -> list[Path]:
    """Folders that may hold bundled fonts, most specific first; only those that exist."""
    candidates: list[Path] = []
    with contextlib.suppress(FileNotFoundError):  # a zip import has no plain path
        candidates.append(resource_path("fonts"))
    seen: list[Path] = []
    for folder in candidates:
        if folder.is_dir() and folder not in seen:
            seen.append(folder)
    return seen


@dataclass(frozen=True)
class DeckFonts:
    regular: Path
    bold: Path | None
    cjk: tuple[Path, ...]  # fallback fonts that cover CJK (embeddable by fpdf2), best first


@dataclass(frozen=True)
class CjkSource:
    path: Path
    face: int  # index in a collection (0 for a single font)
    embeddable: bool  # fpdf2 can embed the file as it is


def find_deck_fonts(extra_dirs: Iterable[Path] = (), text: str = "",
                    workdir: Path | None = None) -> DeckFonts:
    """The text fonts and CJK fallbacks; raises FileNotFoundError when DejaVu Sans is missing.

    A CJK font that fpdf2 cannot embed as is becomes a subset of the characters of ``text``
    written into ``workdir`` (skipped without a ``workdir`` or when ``text`` has no CJK).
    """
    dirs = [*map(Path, extra_dirs), *font_dirs()]
    regular = _first(dirs, REGULAR)
    if regular is None:
        raise FileNotFoundError(f"{REGULAR}: bundled font not found in {', '.join(map(str, dirs))}")
    cjk: list[Path] = []
    for source in cjk_sources(dirs):
        if source.embeddable:
            cjk.append(source.path)
        elif workdir is not None and _needs_fallback(text):
            target = Path(workdir) / f"cjk-subset-{len(cjk)}.ttf"
            if static_subset(source, text, target):
                cjk.append(target)
    return DeckFonts(regular, _first(dirs, BOLD), tuple(cjk))


def cjk_sources(dirs: Iterable[Path]) -> list[CjkSource]:
    """Every font file in ``dirs`` that covers CJK, embeddable ones first."""
    found: list[CjkSource] = []
    for folder in dirs:
        for candidate in sorted(Path(folder).iterdir()):
            if candidate.suffix.lower() in FONT_SUFFIXES:
                source = _cjk_source(candidate)
                if source is not None and source not in found:
                    found.append(source)
    return sorted(found, key=lambda s: not s.embeddable)


def _first(dirs: list[Path], name: str) -> Path | None:
    return next((d / name for d in dirs if (d / name).is_file()), None)


def _needs_fallback(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)  # CJK radicals onwards: not in DejaVu Sans


@cache
def _cjk_source(path: Path) -> CjkSource | None:
    try:
        from fontTools.ttLib import TTCollection, TTFont

        if path.suffix.lower() in {".ttc", ".otc"}:
            faces = TTCollection(str(path), lazy=True).fonts
            for index, face in enumerate(faces):
                if _covers(face):
                    return CjkSource(path, index, embeddable=False)
            return None
        with TTFont(str(path), lazy=True) as font:
            if not _covers(font):
                return None
            return CjkSource(path, 0, embeddable="fvar" not in font and "CFF2" not in font)
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a usable fallback
        return None


def _covers(font) -> bool:  # noqa: ANN001
    cmap = font.getBestCmap() or {}
    return all(cp in cmap for cp in CJK_PROBE_MIN)


def covers_cjk(path: Path) -> bool:
    """True when ``path`` (any font file fontTools reads) has glyphs for Han and kana."""
    return _cjk_source(Path(path)) is not None


def static_subset(source: CjkSource, text: str, target: Path) -> bool:
    """Write a static TrueType font with the glyphs of ``text`` from ``source``; False if none."""
    from fontTools import subset
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTCollection, TTFont
    from fontTools.varLib import instancer

    if source.path.suffix.lower() in {".ttc", ".otc"}:
        font = TTCollection(str(source.path), lazy=True).fonts[source.face]
    else:
        font = TTFont(str(source.path), lazy=True)
    cmap = font.getBestCmap() or {}
    wanted = "".join(sorted({ch for ch in text if ord(ch) in cmap}))
    if not wanted:
        return False
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted)
    subsetter.subset(font)
    if "fvar" in font:
        regular = {axis.axisTag: (400 if axis.axisTag == "wght" else axis.defaultValue)
                   for axis in font["fvar"].axes}
        font = instancer.instantiateVariableFont(font, regular)
    glyph_set = font.getGlyphSet()
    order = font.getGlyphOrder()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    family = str(font["name"].getDebugName(1) or "CJK")
    builder = FontBuilder(font["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(font.getBestCmap())
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: font["hmtx"][name] for name in order})
    builder.setupHorizontalHeader(ascent=font["hhea"].ascent, descent=font["hhea"].descent)
    builder.setupNameTable({"familyName": f"{family} Subset", "styleName": "Regular"})
    os2 = font["OS/2"]
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent)
    builder.setupPost()
    target.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(target))
    return True


def missing_glyphs(text: str, fonts: DeckFonts) -> set[str]:
    """Characters of ``text`` that no deck font can draw (they would print as empty boxes)."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for path in (fonts.regular, *fonts.cjk):
        with TTFont(str(path), lazy=True) as font:
            covered.update((font.getBestCmap() or {}).keys())
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in covered}
