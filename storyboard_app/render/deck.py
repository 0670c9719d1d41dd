"""The PDF storyboard / pitch deck (fpdf2): what producers read and print.

Pages: a title page (title, logline, date, version, shot count and running time, a key frame),
then the shots as panels in a grid (1, 2, 3x2, 4x3 ... per page; A4 or US Letter; landscape or
portrait), each with its number, a frame of the selected take, duration, shot size and camera
move, action text, dialogue with speaker names and notes; optional character sheet pages. Every
page has the project title and "page n of N" in the footer.

Print-minded choices:
* Text is real text in embedded (subset) fonts: DejaVu Sans for Latin, Cyrillic and Greek, and
  any bundled CJK font as a per-glyph fallback (``deck_fonts``), so the PDF is searchable and
  selectable in every script the boards are written in.
* Images are JPEG at ``jpeg_quality``, sized for ``dpi`` at the size they are printed (never
  upscaled), and each distinct image is stored once: fpdf2 keys images by a hash of their bytes,
  and a shot's frame is encoded once per export, so the same frame on a panel and a character
  page is one object in the file.
* Black text on white, thin grey frame rules, no full-bleed fills: cheap to print and legible in
  greyscale. Text that does not fit a panel is cut with an ellipsis rather than spilling over the
  next panel.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from ..model import BundlePaths, Character, Project, Shot, format_duration
from ..model.timecode import plural
from .deck_fonts import DeckFonts, find_deck_fonts, missing_glyphs
from .stills import shot_frame
from .timeline import selected_media

PAPERS = {"a4": "A4", "letter": "Letter"}
LAYOUTS = ("1", "2", "2x2", "3x2", "4x3")
MM_PER_INCH = 25.4
FAMILY = "deck"

#: progress(done, total, what)
DeckProgress = Callable[[int, int, str], None]


class DeckError(ValueError):
    """Bad deck options (unknown paper, layout...): the message names the option."""


@dataclass
class DeckOptions:
    layout: str = "3x2"  # columns x rows in landscape; swapped in portrait ("1", "2" also accepted)
    paper: str = "a4"  # a4 | letter
    orientation: str = "landscape"  # landscape | portrait
    jpeg_quality: int = 85
    dpi: int = 250  # image resolution at printed size (capped at the source's own resolution)
    logline: str = ""
    version: str = ""
    date: str = ""  # default: today, ISO 8601
    character_pages: bool = False
    frames: Mapping[str, int] = field(default_factory=dict)  # shot id → frame to show (default: middle)
    font_dirs: tuple[Path, ...] = ()  # extra folders searched for fonts before the bundled ones

    def grid(self) -> tuple[int, int]:
        """(columns, rows) of panels per page for this layout and orientation."""
        text = self.layout.lower().replace("×", "x").strip()
        if text in {"1", "2"}:
            cols, rows = (int(text), 1)
        else:
            try:
                cols, rows = (int(part) for part in text.split("x"))
            except ValueError:
                raise DeckError(f"layout: {self.layout!r} is not one of {', '.join(LAYOUTS)} or COLSxROWS") from None
        if not (1 <= cols <= 6 and 1 <= rows <= 6):
            raise DeckError(f"layout: {self.layout!r} must have 1 to 6 columns and rows")
        return (cols, rows) if self.orientation == "landscape" else (rows, cols)

    def validate(self) -> None:
        if self.paper.lower() not in PAPERS:
            raise DeckError(f"paper: {self.paper!r} is not one of {', '.join(PAPERS)}")
        if self.orientation not in {"landscape", "portrait"}:
            raise DeckError(f"orientation: {self.orientation!r} is not landscape or portrait")
        if not 1 <= self.jpeg_quality <= 100:
            raise DeckError(f"jpeg_quality: {self.jpeg_quality} is not between 1 and 100")
        if not 72 <= self.dpi <= 600:
            raise DeckError(f"dpi: {self.dpi} is not between 72 and 600")
        self.grid()


@dataclass(frozen=True)
class DeckReport:
    output: Path
    pages: int
    shots: int
    images: int  # distinct images embedded
    missing_glyphs: frozenset[str] = frozenset()  # characters no bundled font can draw


def expected_pages(project: Project, options: DeckOptions) -> int:
    """Title page + shot pages + character pages (two characters a page)."""
    cols, rows = options.grid()
    shots = len(project.all_shots())
    pages = 1 + max(1, math.ceil(shots / (cols * rows)))
    if options.character_pages and project.characters:
        pages += math.ceil(len(project.characters) / 2)
    return pages


class _DeckPDF(FPDF):
    """FPDF with the deck's footer: project title left, page n of N right."""

    footer_title = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.footer_title, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


class _Images:
    """JPEG bytes per source image, encoded once; fpdf2 then stores each distinct JPEG once."""

    def __init__(self, quality: int, dpi: int):
        self.quality, self.dpi = quality, dpi
        self._jpegs: dict[str, tuple[int, bytes]] = {}

    def jpeg(self, key: str, image: Image.Image, width_mm: float) -> io.BytesIO:
        """The JPEG for ``key``; a later, smaller use of the same image reuses the first one
        (the printer scales it down), so one picture is one object in the file."""
        pixels = max(16, min(image.width, round(width_mm / MM_PER_INCH * self.dpi)))
        cached = self._jpegs.get(key)
        if cached is None or cached[0] < pixels:
            scaled = image if image.width == pixels else image.resize(
                (pixels, max(1, round(image.height * pixels / image.width))), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            scaled.convert("RGB").save(buffer, "JPEG", quality=self.quality, optimize=True)
            cached = self._jpegs[key] = (pixels, buffer.getvalue())
        return io.BytesIO(cached[1])

    @property
    def distinct(self) -> int:
        return len({data for _, data in self._jpegs.values()})


def build_deck(project: Project, bundle: Path | str, output: Path | str,
               options: DeckOptions | None = None, progress: DeckProgress | None = None) -> DeckReport:
    """Write the deck PDF to ``output`` (atomically: a failed export leaves no partial file)."""
    options = options or DeckOptions()
    options.validate()
    paths = BundlePaths(bundle)
    text = _all_text(project, options)
    with tempfile.TemporaryDirectory(prefix="storyboard-deck-") as work:
        fonts = find_deck_fonts(options.font_dirs, text=text, workdir=Path(work))
        pdf = _new_pdf(project, options, fonts)
        images = _Images(options.jpeg_quality, options.dpi)
        frames: dict[str, Image.Image] = {}
        shots = project.all_shots()
        report = progress or (lambda done, total, what: None)

        def frame_of(shot: Shot) -> Image.Image:
            if shot.id not in frames:
                report(len(frames), len(shots), f"frame of shot {shot.number or shot.id}")
                frames[shot.id] = shot_frame(project, paths, shot, options.frames.get(shot.id))
            return frames[shot.id]

        _title_page(pdf, project, bundle, options, images, frame_of)
        _shot_pages(pdf, project, options, images, frame_of)
        if options.character_pages and project.characters:
            _character_pages(pdf, project, paths, images, frame_of)
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.partial")
        try:
            pdf.output(str(partial))
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        missing = frozenset(missing_glyphs(text, fonts))
    report(len(shots), len(shots), "done")
    return DeckReport(output, pdf.pages_count, len(shots), images.distinct, missing)


# ----------------------------------------------------------------------------------- the pages


def _new_pdf(project: Project, options: DeckOptions, fonts: DeckFonts) -> _DeckPDF:
    pdf = _DeckPDF(orientation="L" if options.orientation == "landscape" else "P", unit="mm",
                   format=PAPERS[options.paper.lower()])
    pdf.footer_title = project.title
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(False)
    pdf.add_font(FAMILY, "", str(fonts.regular))
    pdf.add_font(FAMILY, "B", str(fonts.bold or fonts.regular))
    fallbacks = []
    for i, path in enumerate(fonts.cjk):
        name = f"cjk{i}"
        pdf.add_font(name, "", str(path))
        fallbacks.append(name)
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    pdf.set_title(project.title)
    pdf.set_creator("storyboard-app")
    pdf.set_subject("Storyboard")
    pdf.alias_nb_pages()
    return pdf


def _title_page(pdf: _DeckPDF, project: Project, bundle: Path | str, options: DeckOptions, images: _Images,
                frame_of: Callable[[Shot], Image.Image]) -> None:
    pdf.add_page()
    width = pdf.epw
    pdf.set_y(24)
    pdf.set_font(FAMILY, "B", 30)
    pdf.multi_cell(width, 13, project.title, align="C", new_x="LMARGIN", new_y="NEXT")
    logline = options.logline or project.notes  # the project's notes unless the export overrides
    if logline:
        pdf.ln(3)
        pdf.set_font(FAMILY, "", 14)
        pdf.set_text_color(60, 60, 60)
        pdf.multi_cell(width, 7, logline, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 11)
    shots = project.all_shots()
    facts = [options.date or _dt.date.today().isoformat()]
    if options.version:
        facts.append(f"Version {options.version}")
    facts.append(f"{plural(len(shots), 'shot')} · {format_duration(project.total_frames, project.fps)} at {project.rate_label} fps")
    pdf.multi_cell(width, 6, "   ·   ".join(facts), align="C", new_x="LMARGIN", new_y="NEXT")
    paths = BundlePaths(bundle)
    key = next((s for s in shots if selected_media(paths, s)[0] is not None), None)
    if key is None:  # no pictures yet: a big grey placeholder would only waste toner
        return
    top = pdf.get_y() + 8
    room_h = pdf.h - 22 - top
    img_w = min(width * 0.7, room_h * project.width / project.height)
    img_h = img_w * project.height / project.width
    x = pdf.l_margin + (width - img_w) / 2
    pdf.image(images.jpeg(key.id, frame_of(key), img_w), x=x, y=top, w=img_w, h=img_h)
    _frame_rule(pdf, x, top, img_w, img_h)


def _shot_pages(pdf: _DeckPDF, project: Project, options: DeckOptions, images: _Images,
                frame_of: Callable[[Shot], Image.Image]) -> None:
    cols, rows = options.grid()
    per_page = cols * rows
    gap = 6.0
    top, bottom = pdf.t_margin + 7, 16.0  # page header line, footer room
    panel_w = (pdf.epw - gap * (cols - 1)) / cols
    panel_h = (pdf.h - top - bottom - gap * (rows - 1)) / rows
    placed = [(seq.name, shot) for seq in project.sequences for shot in seq.shots]
    for page_start in range(0, max(len(placed), 1), per_page):
        pdf.add_page()
        chunk = placed[page_start : page_start + per_page]
        scenes = list(dict.fromkeys(name for name, _ in chunk if name))
        pdf.set_xy(pdf.l_margin, pdf.t_margin - 2)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(pdf.epw / 2, 5, project.title, align="L")
        pdf.set_font(FAMILY, "", 9)
        pdf.cell(pdf.epw / 2, 5, " / ".join(scenes), align="R")
        for i, (_, shot) in enumerate(chunk):
            row, col = divmod(i, cols)
            x = pdf.l_margin + col * (panel_w + gap)
            y = top + row * (panel_h + gap)
            _panel(pdf, project, shot, x, y, panel_w, panel_h, images, frame_of(shot))


def _panel(pdf: _DeckPDF, project: Project, shot: Shot, x: float, y: float, w: float, h: float,
           images: _Images, frame: Image.Image) -> None:
    """One shot: the frame, then a headline and the text blocks (image left of the text when the
    panel is wide enough for that to leave the text more room)."""
    aspect = project.height / project.width
    side_by_side = w > 1.9 * h
    size = 11 if w > 120 else 9 if w > 70 else 8
    body = max(size - 2, 6.5)
    blocks, kinds = _panel_blocks(project, shot)
    if side_by_side:
        img_w = min(w * 0.62, h / aspect)
        text_x, text_y, text_w, text_h = x + img_w + 5, y, w - img_w - 5, h
    else:
        img_w = min(w, h * 0.72 / aspect)
        # the picture gives up height (down to 40% of the panel) before any dialogue is cut
        needed = size * 0.5 + 3 + _text_height(pdf, blocks, kinds, w, MIN_BODY_PT, MIN_BODY_PT * 0.45)
        if h - img_w * aspect - 2 < needed:
            img_w = max(h * 0.4, h - 2 - needed) / aspect
        text_x, text_y, text_w = x, y + img_w * aspect + 2, w
        text_h = y + h - text_y
    img_h = img_w * aspect
    pdf.image(images.jpeg(shot.id, frame, img_w), x=x, y=y, w=img_w, h=img_h)
    _frame_rule(pdf, x, y, img_w, img_h)
    line_h = body * 0.45
    pdf.set_xy(text_x, text_y)
    pdf.set_font(FAMILY, "B", size)
    number_w = pdf.get_string_width(shot.number or "—") + 2
    pdf.cell(number_w, size * 0.5, shot.number or "—")
    pdf.set_font(FAMILY, "", body)
    facts = f"{format_duration(shot.duration, project.fps)}  ·  {shot.size.value}  ·  {_move(shot)}"
    pdf.cell(text_w - number_w, size * 0.5, facts, align="R", new_x="LMARGIN", new_y="NEXT")
    _text_blocks(pdf, blocks, text_x, text_y + size * 0.5 + 1, text_w, text_y + text_h, body, line_h, kinds)


#: the smallest body text a printed panel may use (points); below it, the action text is cut
MIN_BODY_PT = 5.5


def _wrap(pdf: _DeckPDF, text: str, style: str, size: float, w: float, line_h: float) -> list[str]:
    pdf.set_font(FAMILY, style, size)
    return pdf.multi_cell(w, line_h, text, dry_run=True, output="LINES")


def _panel_blocks(project: Project, shot: Shot) -> tuple[list[tuple[str, str, tuple[int, int, int]]], list[str]]:
    """The panel's text: action, each dialogue line with its speaker, notes; and their kinds."""
    blocks: list[tuple[str, str, tuple[int, int, int]]] = []
    kinds: list[str] = []
    action = " — ".join(part for part in (shot.title.strip(), shot.prompt.strip()) if part)
    if action:
        blocks.append((action, "", (0, 0, 0)))
        kinds.append("action")
    for line in shot.dialogue:
        if line.text.strip():
            blocks.append((f"{_speaker(project, line.speaker).upper()}: {line.text.strip()}", "B", (0, 0, 0)))
            kinds.append("dialogue")
    if shot.notes.strip():
        blocks.append((f"Note: {shot.notes.strip()}", "", (95, 95, 95)))
        kinds.append("note")
    return blocks, kinds


def _text_height(pdf: _DeckPDF, blocks: list[tuple[str, str, tuple[int, int, int]]], kinds: list[str],
                 w: float, size: float, line_h: float) -> float:
    """Height of the dialogue and notes at ``size`` plus one line of action (what must fit)."""
    total = 0.0
    for (text, style, _), kind in zip(blocks, kinds, strict=True):
        lines = len(_wrap(pdf, text, style, size, w, line_h))
        total += (min(lines, 1) if kind == "action" else lines) * line_h
        total += 0.35 * line_h
    return total


def _text_blocks(pdf: _DeckPDF, blocks: list[tuple[str, str, tuple[int, int, int]]], x: float,
                 y: float, w: float, bottom: float, size: float, line_h: float,
                 kinds: list[str] | None = None) -> None:
    """Write the blocks top-down so that all of them fit: first the text gets smaller (down to
    ``MIN_BODY_PT``), then the least important block is cut with an ellipsis (the action before
    the notes before the dialogue), so a line of dialogue is never silently lost."""
    kinds = kinds or ["action"] * len(blocks)
    ratio = line_h / size
    gap = 0.35
    wrapped: list[list[str]] = []
    while True:
        line_h = size * ratio
        wrapped = [_wrap(pdf, text, style, size, w, line_h) for text, style, _ in blocks]
        need = sum(len(lines) + gap for lines in wrapped) * line_h
        if need <= bottom - y or size <= MIN_BODY_PT:
            break
        size = max(size - 0.5, MIN_BODY_PT)
    room = int((bottom - y) // line_h - gap * len(blocks))
    counts = [len(lines) for lines in wrapped]
    # take lines from the least important blocks first; keep a first line of each while possible
    for kind, floor in (("action", 1), ("note", 1), ("action", 0), ("note", 0), ("dialogue", 0)):
        for i in reversed(range(len(blocks))):
            while kinds[i] == kind and sum(counts) > room and counts[i] > floor:
                counts[i] -= 1
    for (_, style, colour), lines, count in zip(blocks, wrapped, counts, strict=True):
        if count <= 0:
            continue
        pdf.set_font(FAMILY, style, size)
        pdf.set_text_color(*colour)
        shown = lines[:count]
        if count < len(lines):
            shown[-1] = _ellipsize(pdf, shown[-1], w)
        for line in shown:
            pdf.set_xy(x, y)
            pdf.cell(w, line_h, line)
            y += line_h
        y += line_h * gap
    pdf.set_text_color(0, 0, 0)


def _ellipsize(pdf: _DeckPDF, line: str, w: float) -> str:
    while line and pdf.get_string_width(line + "…") > w:
        line = line[:-1]
    return line.rstrip() + "…"


def _character_pages(pdf: _DeckPDF, project: Project, paths: BundlePaths, images: _Images,
                     frame_of: Callable[[Shot], Image.Image]) -> None:
    """Two characters a page: name, description, voice, reference image, a frame from a shot."""
    shots = project.all_shots()
    for start in range(0, len(project.characters), 2):
        pdf.add_page()
        pdf.set_xy(pdf.l_margin, pdf.t_margin - 2)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(pdf.epw, 5, f"{project.title} — characters")
        block_h = (pdf.h - pdf.t_margin - 7 - 16 - 6) / 2
        for i, character in enumerate(project.characters[start : start + 2]):
            y = pdf.t_margin + 7 + i * (block_h + 6)
            _character_block(pdf, project, character, paths, images, frame_of, shots, y, block_h)


def _character_block(pdf: _DeckPDF, project: Project, character: Character, paths: BundlePaths,
                     images: _Images, frame_of: Callable[[Shot], Image.Image], shots: list[Shot],
                     y: float, h: float) -> None:
    x = pdf.l_margin
    aspect = project.height / project.width
    # the two pictures (square reference box + frame) take at most 62% of the width: text gets the rest
    img_h = min(h - 4, 70.0, (pdf.epw * 0.62 - 12) / (1 + 1 / aspect))
    ref_w = img_h  # references are shown in a square box
    appears = [s for s in shots if character.id in s.characters
               or any(line.speaker == character.id for line in s.dialogue)]
    reference = _reference_image(paths, character)
    if reference is not None:
        fit_w = min(ref_w, img_h * reference.width / reference.height)
        fit_h = fit_w * reference.height / reference.width
        pdf.image(images.jpeg(f"ref:{character.id}", reference, fit_w), x=x, y=y, w=fit_w, h=fit_h)
        _frame_rule(pdf, x, y, fit_w, fit_h)
    else:
        pdf.set_draw_color(170, 170, 170)
        pdf.rect(x, y, ref_w, img_h)
        pdf.set_xy(x, y + img_h / 2 - 3)
        pdf.set_font(FAMILY, "", 8)
        pdf.cell(ref_w, 6, "no reference image", align="C")
    frame_x = x + ref_w + 6
    frame_w = img_h / aspect
    portrait = _portrait_shot(appears, paths)
    if portrait is not None:
        pdf.image(images.jpeg(portrait.id, frame_of(portrait), frame_w), x=frame_x, y=y, w=frame_w,
                  h=frame_w * aspect)
        _frame_rule(pdf, frame_x, y, frame_w, frame_w * aspect)
    text_x = frame_x + (frame_w + 6 if portrait is not None else 0)
    text_w = pdf.w - pdf.r_margin - text_x
    pdf.set_xy(text_x, y)
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(text_w, 8, character.name, new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    lines = []
    if character.description:
        lines.append(character.description)
    lines.append(f"Voice: {character.voice.voice}")
    numbers = ", ".join(s.number or s.id for s in appears)
    lines.append(f"In shots: {numbers}" if numbers else "Not in any shot yet")
    _text_blocks(pdf, [(t, "", (0, 0, 0)) for t in lines], text_x, pdf.get_y() + 1, text_w, y + h, 10, 5)


#: closest first: a character sheet shows the character as close as the boards have them
_CLOSENESS = ["ECU", "CU", "MCU", "MS", "OTS", "POV", "WS", "EWS", "insert"]


def _portrait_shot(appears: list[Shot], paths: BundlePaths) -> Shot | None:
    """The closest shot of the character that has a picture; else their first shot."""
    with_picture = [s for s in appears if selected_media(paths, s)[0] is not None]
    if not with_picture:
        return appears[0] if appears else None
    return min(with_picture, key=lambda s: _CLOSENESS.index(s.size.value) if s.size.value in _CLOSENESS else 99)


def _reference_image(paths: BundlePaths, character: Character) -> Image.Image | None:
    for relative in character.reference_images:
        try:
            with Image.open(paths.media_path(relative)) as opened:
                return opened.convert("RGB")
        except (OSError, ValueError):
            continue
    return None


# ----------------------------------------------------------------------------------- helpers


def _frame_rule(pdf: _DeckPDF, x: float, y: float, w: float, h: float) -> None:
    pdf.set_draw_color(140, 140, 140)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)


def _move(shot: Shot) -> str:
    return shot.camera_move.value.replace("_", " ")


def _speaker(project: Project, speaker: str) -> str:
    if not speaker:
        return "Narrator"
    try:
        return project.character(speaker).name
    except KeyError:
        return speaker


def _all_text(project: Project, options: DeckOptions) -> str:
    """Every character the deck may print (for the CJK subset and the missing-glyph check)."""
    parts = [project.title, options.logline, project.notes, options.version, "…—·"]
    for shot in project.all_shots():
        parts += [shot.number, shot.title, shot.prompt, shot.notes, *(line.text for line in shot.dialogue)]
    names = {c.id: c.name for c in project.characters}
    parts += [names.get(line.speaker, line.speaker).upper() for shot in project.all_shots() for line in shot.dialogue]
    parts += [c.name + c.description for c in project.characters]
    return "".join(parts)
