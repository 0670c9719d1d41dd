"""The Fountain reader, one spec feature at a time (https://fountain.io/syntax)."""

from __future__ import annotations

from storyboard_app.script.fountain import parse, strip_emphasis


def kinds(text: str) -> list[str]:
    return [e.kind for e in parse(text).elements]


def only(text: str, kind: str):  # noqa: ANN201
    found = [e for e in parse(text).elements if e.kind == kind]
    assert len(found) == 1, found
    return found[0]


def test_scene_heading_prefixes():
    for prefix in ("INT.", "EXT.", "EST.", "INT./EXT.", "INT/EXT", "I/E", "int.", "EXT"):
        heading = only(f"{prefix} HARBOUR - NIGHT\n\nWaves.\n", "heading")
        assert heading.text == f"{prefix} HARBOUR - NIGHT"


def test_a_heading_needs_a_blank_line_before_it():
    elements = parse("She reads the sign:\nINT. HOUSE - DAY\n").elements
    assert [e.kind for e in elements] == ["action"]


def test_forced_heading_and_scene_numbers():
    heading = only(".INSIDE THE LANTERN #12#\n\nDark.\n", "heading")
    assert (heading.text, heading.scene_number) == ("INSIDE THE LANTERN", "12")
    heading = only("EXT. PIER - NIGHT #I-1.A#\n\nRain.\n", "heading")
    assert (heading.text, heading.scene_number) == ("EXT. PIER - NIGHT", "I-1.A")
    heading = only("INT. HALL #12345678901234567#\n\nDust.\n", "heading")  # too long for a number
    assert (heading.text, heading.scene_number) == ("INT. HALL #12345678901234567#", "")
    assert kinds("...and then\n") == ["action"]  # an ellipsis is not a forced heading
    assert kinds(". A full stop\n") == ["action"]  # a forced heading starts with a letter or digit


def test_character_extensions_parentheticals_and_dialogue():
    block = only("MAREN (V.O.) (CONT'D)\n(quietly)\nNobody comes here.\nNot any more.\n", "dialogue")
    assert block.character == "MAREN"
    assert block.extensions == ["V.O.", "CONT'D"]
    assert [(p.kind, p.text) for p in block.parts] == [
        ("parenthetical", "quietly"), ("line", "Nobody comes here. Not any more.")]


def test_a_character_cue_needs_dialogue_after_it_and_a_blank_line_before():
    assert kinds("\nTHE DOOR SLAMS.\nSilence follows.\n") == ["action"]  # a cue never ends in "."
    assert kinds("Rain.\nBRAM\nHello.\n") == ["action"]


def test_forced_character_and_lowercase_extension():
    block = only("@McCLANE (on the radio)\nCome out.\n", "dialogue")
    assert (block.character, block.extensions) == ("McCLANE", ["on the radio"])


def test_dual_dialogue_caret():
    elements = parse("BRAM\nThree hours.\n\nMAREN ^\nThree hours.\n").elements
    assert [(e.character, e.dual) for e in elements] == [("BRAM", False), ("MAREN", True)]


def test_two_spaces_keep_a_dialogue_block_together():
    block = only("MAREN\nFirst.\n  \nSecond.\n", "dialogue")
    assert block.parts[0].text == "First. Second."


def test_transitions_standard_and_forced():
    assert only("Rain.\n\nCUT TO:\n\nINT. HOUSE - DAY\n", "transition").text == "CUT TO:"
    assert only("Rain.\n\n> SLOW FADE\n\nSun.\n", "transition").text == "SLOW FADE"
    assert only("Rain.\n\nFADE OUT.\n", "transition").text == "FADE OUT."


def test_centred_text_is_action_marked_centred():
    element = only("> THE END <\n", "action")
    assert (element.text, element.centered) == ("THE END", True)


def test_lyrics_sections_synopses_and_page_breaks():
    elements = parse("~Keep the light,\n~keep it.\n\n## ACT TWO\n\n= She waits.\n\n===\n\nWind.\n").elements
    assert [(e.kind, e.text) for e in elements] == [
        ("lyrics", "Keep the light,\nkeep it."), ("section", "ACT TWO"), ("synopsis", "She waits."),
        ("page_break", ""), ("action", "Wind.")]
    assert elements[1].level == 2


def test_notes_are_kept_and_attached_boneyard_is_dropped():
    elements = parse("Rain [[mood: grey]] falls.\n\n[[A note\nover two lines]]\n\n/* cut\n\nBRAM\nGone. */\n\nSun.\n").elements
    assert [(e.kind, e.text, e.notes) for e in elements] == [
        ("action", "Rain falls.", ["mood: grey"]), ("note", "A note over two lines", []), ("action", "Sun.", [])]


def test_emphasis_is_stripped_and_escapes_honoured():
    assert strip_emphasis("***both*** **bold** *it* _under_ \\*literal\\*") == "both bold it under *literal*"
    assert only("She is *not* _happy_.\n", "action").text == "She is not happy."


def test_forced_action_is_not_a_cue():
    assert kinds("!SCANNING THE HORIZON\nNothing.\n") == ["action"]


def test_title_page_with_indented_values_and_body_after_it():
    screenplay = parse("Title: _The Keeper_\nAuthor: Ines\nContact:\n    Calder Pictures\n    ines@example.org\n\n"
                       "INT. ROOM - DAY\n\nDust.\n")
    assert screenplay.title_page == {"title": "The Keeper", "author": "Ines",
                                     "contact": "Calder Pictures\nines@example.org"}
    assert [e.kind for e in screenplay.elements] == ["heading", "action"]


def test_fade_in_at_the_top_is_not_a_title_page():
    screenplay = parse("FADE IN:\n\nEXT. SEA - DAY\n\nWaves.\n")
    assert screenplay.title_page == {}
    assert [e.kind for e in screenplay.elements] == ["transition", "heading", "action"]


def test_windows_line_endings_tabs_and_bom():
    screenplay = parse("\ufeffEXT. SEA - DAY\r\n\r\n\tWaves.\r\n")
    assert [(e.kind, e.text) for e in screenplay.elements] == [("heading", "EXT. SEA - DAY"), ("action", "Waves.")]


def test_line_numbers_point_into_the_file():
    elements = parse("EXT. SEA - DAY\n\nWaves.\n\nMAREN\nHi.\n").elements
    assert [e.line for e in elements] == [1, 3, 5]
