"""Fonts for the PDF deck: DejaVu Sans for Latin, Cyrillic and Greek, plus any bundled font that
covers CJK as a per-glyph fallback (fpdf2's ``set_fallback_fonts``).

The CJK font is not named here: whatever ``.ttf``/``.otf`` in the fonts folder has glyphs for
common Chinese, Japanese and Korean characters is used, so the file bundled for CJK can change
without code changes. fpdf2 embeds static TrueType or CFF fonts only (not variable fonts or
``.ttc`` collections), so those are skipped; a font is also skipped when fontTools cannot read it.

Fonts are found through ``importlib.resources`` (``storyboard_app/resources/fonts`` in a wheel or
frozen bundle) and, in a source checkout, in the repository's ``resources/fonts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"

#: a font covers CJK when it has all of these: 東 (Han), あ and ア (kana), 한 (Hangul)
CJK_PROBE = (0x6771, 0x3042, 0x30A2, 0xD55C)
#: ...or at least the Han and kana ones (a Japanese/Chinese-only subset)
CJK_PROBE_MIN = (0x6771, 0x3042)


def font_dirs() -> list[Path]:
    """Folders that may hold bundled fonts, most specific first; only those that exist."""
    candidates: list[Path] = []
    try:
        packaged = files("storyboard_app") / "resources" / "fonts"
        candidates.append(Path(str(packaged)))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a zip import: no plain path
        pass
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "fonts")
    seen: list[Path] = []
    for folder in candidates:
        if folder.is_dir() and folder not in seen:
            seen.append(folder)
    return seen


@dataclass(frozen=True)
class DeckFonts:
    regular: Path
    bold: Path | None
    cjk: tuple[Path, ...]  # fallback fonts that cover CJK, best first


def find_deck_fonts(extra_dirs: Iterable[Path] = ()) -> DeckFonts:
    """The text fonts and CJK fallbacks; raises FileNotFoundError when DejaVu Sans is missing."""
    dirs = [*map(Path, extra_dirs), *font_dirs()]
    regular = _first(dirs, REGULAR)
    if regular is None:
        raise FileNotFoundError(f"{REGULAR}: bundled font not found in {', '.join(map(str, dirs))}")
    cjk: list[Path] = []
    for folder in dirs:
        for candidate in sorted(folder.iterdir()):
            if candidate.suffix.lower() in {".ttf", ".otf"} and candidate not in cjk and covers_cjk(candidate):
                cjk.append(candidate)
    return DeckFonts(regular, _first(dirs, BOLD), tuple(cjk))


def _first(dirs: list[Path], name: str) -> Path | None:
    return next((d / name for d in dirs if (d / name).is_file()), None)


@cache
def covers_cjk(path: Path) -> bool:
    """True when fpdf2 can embed ``path`` and it has glyphs for Han and kana characters."""
    try:
        from fontTools.ttLib import TTFont

        with TTFont(str(path), lazy=True) as font:
            if "fvar" in font or "CFF2" in font:  # variable fonts: fpdf2 cannot embed them
                return False
            cmap = font.getBestCmap() or {}
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a usable fallback
        return False
    return all(cp in cmap for cp in CJK_PROBE_MIN)


def missing_glyphs(text: str, fonts: DeckFonts) -> set[str]:
    """Characters of ``text`` that no deck font can draw (they would print as empty boxes)."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for path in (fonts.regular, *fonts.cjk):
        with TTFont(str(path), lazy=True) as font:
            covered.update((font.getBestCmap() or {}).keys())
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in covered}
