"""The PDF deck: page count, extractable text in every script, pictures where the panels are."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from editorial_fixtures import (
    COLOURS,
    LINES,
    REFERENCE_COLOUR,
    build_editorial_document,
    cjk_font_dir,
)
from pypdf import PdfReader

from storyboard_app.render.deck import DeckError, DeckOptions, build_deck, expected_pages
from storyboard_app.render.deck_fonts import cjk_sources, covers_cjk, find_deck_fonts


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory):
    return build_editorial_document(tmp_path_factory.mktemp("deck"))


@pytest.fixture(scope="module")
def cjk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if find_deck_fonts().cjk:  # a CJK font is bundled: use it, build nothing
        return tmp_path_factory.mktemp("no-extra-fonts")
    folder = cjk_font_dir()
    if folder is None:
        pytest.skip("no CJK font bundled and the manimgx-fonts-cjk dev package is not installed")
    return folder


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)


def _render(pdf: Path, page: int, scale: float = 1.0) -> np.ndarray:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return np.asarray(document[page].render(scale=scale).to_pil().convert("RGB"))
    finally:
        document.close()


@pytest.mark.parametrize(("layout", "paper", "orientation", "characters", "pages"), [
    ("3x2", "a4", "landscape", False, 2),  # title + 5 shots on one page
    ("2x2", "letter", "landscape", False, 3),  # title + 4 + 1
    ("1", "a4", "portrait", True, 1 + 5 + 2),  # title + one shot a page + 3 characters on 2 pages
    ("4x3", "letter", "portrait", False, 2),
])
def test_page_count(doc, tmp_path, layout, paper, orientation, characters, pages) -> None:
    options = DeckOptions(layout=layout, paper=paper, orientation=orientation, character_pages=characters)
    report = build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", options)
    assert report.pages == pages == expected_pages(doc.project, options)
    reader = PdfReader(str(tmp_path / "deck.pdf"))
    assert len(reader.pages) == pages
    width_pt, height_pt = (float(v) for v in reader.pages[0].mediabox.upper_right)
    size_mm = sorted((round(width_pt / 72 * 25.4), round(height_pt / 72 * 25.4)))
    assert size_mm == ([210, 297] if paper == "a4" else [216, 279])
    assert (width_pt > height_pt) == (orientation == "landscape")


def test_text_has_every_shot_and_line_in_every_script(doc, cjk_dir, tmp_path) -> None:
    options = DeckOptions(layout="2x2", logline="A key changes hands.", version="2", date="2026-11-25",
                          character_pages=True, font_dirs=(cjk_dir,))
    report = build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", options)
    assert report.missing_glyphs == frozenset()
    text = _text(tmp_path / "deck.pdf")
    flat = re.sub(r"\s+", " ", text)
    for number in COLOURS:
        assert re.search(rf"(^|\n){number}\s", text), f"shot {number} not on a panel"
    for lines in LINES.values():
        for _, line in lines:
            assert line in flat, line
    # speaker names, including the Cyrillic and the CJK ones, on their lines
    assert "МАРИЯ: Ключ у меня." in flat
    assert "ANA: Καλά, πάμε!" in flat
    assert "山田花子: 鍵はここにある" in flat
    assert "Мария" in flat and "山田花子" in flat  # the character pages
    for expected in ("Editorial Test", "A key changes hands.", "Version 2", "2026-11-25",
                     "Note: Hold on the door before the cut", "MCU", "push in", "2s 00f"):
        assert expected in flat, expected
    assert "1 / 5" in flat and "5 / 5" in flat  # footer page numbers (title + 2 shot + 2 character pages)


def test_fonts_are_embedded_and_the_cjk_fallback_is_used(doc, cjk_dir, tmp_path) -> None:
    build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", DeckOptions(font_dirs=(cjk_dir,)))
    reader = PdfReader(str(tmp_path / "deck.pdf"))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded, not referenced
            fonts.add(str(font["/BaseFont"]))
    assert any("DejaVu" in f for f in fonts)
    assert len(fonts) >= 3, fonts  # regular, bold and the CJK fallback
    assert find_deck_fonts().cjk or any(not s.embeddable for s in cjk_sources([cjk_dir]))


def test_first_page_rasterises_and_panels_show_their_takes(doc, tmp_path) -> None:
    build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", DeckOptions(layout="3x2"))
    title = _render(tmp_path / "deck.pdf", 0)
    assert title.std() > 10 and (title < 100).mean() > 0.001  # not blank: dark text on white
    page = _render(tmp_path / "deck.pdf", 1, scale=2)
    h, w, _ = page.shape

    def share(region: np.ndarray, colour: tuple[int, int, int]) -> float:
        return float((np.abs(region.astype(int) - colour).max(axis=2) < 40).mean())

    # 3x2 landscape: shot 1 top left (red), shot 2 top middle (green), shot 4 bottom left (blue still)
    top_left = page[int(h * 0.10) : int(h * 0.35), int(w * 0.05) : int(w * 0.33)]
    top_mid = page[int(h * 0.10) : int(h * 0.35), int(w * 0.36) : int(w * 0.64)]
    bottom_left = page[int(h * 0.55) : int(h * 0.78), int(w * 0.05) : int(w * 0.33)]
    assert share(top_left, COLOURS["1"]) > 0.5
    assert share(top_mid, COLOURS["2"]) > 0.5
    assert share(bottom_left, COLOURS["4"]) > 0.5
    assert share(top_left, COLOURS["2"]) < 0.01


def test_character_page_shows_reference_and_a_frame_of_their_shot(doc, tmp_path) -> None:
    options = DeckOptions(layout="3x2", character_pages=True)
    build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", options)
    page = _render(tmp_path / "deck.pdf", 2, scale=2)  # title, shots, characters (Ana first)
    h, w, _ = page.shape
    top_half = page[: h // 2]
    purple = (np.abs(top_half.astype(int) - REFERENCE_COLOUR).max(axis=2) < 40).mean()
    red = (np.abs(top_half.astype(int) - COLOURS["1"]).max(axis=2) < 40).mean()
    assert purple > 0.03 and red > 0.05  # her reference image and a frame of shot 1, where she speaks


def test_images_are_jpeg_once_each_at_print_size(doc, tmp_path) -> None:
    options = DeckOptions(layout="3x2", dpi=200, jpeg_quality=80, character_pages=True)
    report = build_deck(doc.project, doc.paths.root, tmp_path / "deck.pdf", options)
    reader = PdfReader(str(tmp_path / "deck.pdf"))
    xobjects = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/XObject", {}).values():
            xobjects[ref.idnum] = ref.get_object()
    # five shot frames (the title's key frame and the character pages reuse them) + Ana's reference
    assert len(xobjects) == report.images == 6
    for image in xobjects.values():
        assert image["/Filter"] == "/DCTDecode"
        assert image["/Width"] <= 320  # never upscaled past the 320 px source (or 120 px reference)
    assert (tmp_path / "deck.pdf").stat().st_size < 400_000


def test_cjk_subset_is_made_from_a_collection(tmp_path) -> None:
    """A .ttc / variable CJK font (a user's own, in the fonts folder) becomes a static TrueType
    subset of just the deck's characters. The bundled CJK font is embeddable as is, so this uses
    the collection the ``manimgx-fonts-cjk`` dev package ships."""
    from fontTools.ttLib import TTFont

    cjk_dir = cjk_font_dir()
    if cjk_dir is None:
        pytest.skip("the manimgx-fonts-cjk dev package is not installed")
    sources = [s for s in cjk_sources([cjk_dir]) if not s.embeddable]
    if not sources:
        pytest.skip("the CJK font available here is embeddable as is")
    fonts = find_deck_fonts((cjk_dir,), text="鍵はここにある Ana", workdir=tmp_path)
    subset = next(p for p in fonts.cjk if p.parent == tmp_path)
    with TTFont(str(subset)) as font:
        assert "glyf" in font and "fvar" not in font
        assert {ord(ch) for ch in "鍵はここにある"} <= set(font.getBestCmap())
        assert font["maxp"].numGlyphs < 20  # just those characters, not 65,000 glyphs
    assert covers_cjk(sources[0].path)


def test_bad_options_name_the_option(doc, tmp_path) -> None:
    with pytest.raises(DeckError, match="^layout: '5y'"):
        build_deck(doc.project, doc.paths.root, tmp_path / "d.pdf", DeckOptions(layout="5y"))
    with pytest.raises(DeckError, match="^paper: 'a3'"):
        build_deck(doc.project, doc.paths.root, tmp_path / "d.pdf", DeckOptions(paper="a3"))
    assert not (tmp_path / "d.pdf").exists()
    assert math.isfinite(expected_pages(doc.project, DeckOptions()))


@pytest.mark.parametrize("layout", ["4x3", "3x2"])
def test_every_line_of_the_example_is_printed_in_small_panels(tmp_path, layout) -> None:
    """Regression: on 4x3 letter portrait, shot 5's second line used to vanish with no ellipsis."""
    from storyboard_app.model import load_project

    bundle = Path(__file__).resolve().parents[2] / "resources" / "examples" / "night_market.sbproj"
    project = load_project(bundle)
    options = DeckOptions(layout=layout, orientation="portrait", paper="letter")
    build_deck(project, bundle, tmp_path / "d.pdf", options)
    text = re.sub(r"\s+", " ", _text(tmp_path / "d.pdf"))
    for shot in project.all_shots():
        for line in shot.dialogue:
            assert " ".join(line.text.split()) in text, (shot.number, line.text)


def test_the_title_page_reads_the_projects_notes_unless_a_logline_is_given(doc, tmp_path) -> None:
    import copy

    project = copy.deepcopy(doc.project)
    project.notes = "A locksmith's apprentice inherits one last key."
    build_deck(project, doc.paths.root, tmp_path / "notes.pdf", DeckOptions(layout="3x2"))
    first = PdfReader(str(tmp_path / "notes.pdf")).pages[0].extract_text()
    assert "inherits one last key" in first
    build_deck(project, doc.paths.root, tmp_path / "given.pdf", DeckOptions(layout="3x2", logline="Keys matter."))
    first = PdfReader(str(tmp_path / "given.pdf")).pages[0].extract_text()
    assert "Keys matter." in first and "inherits one last key" not in first
