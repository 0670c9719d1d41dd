"""Typed durations and shown times: one parser, one readable form (issue 13.1 and 13.15)."""

from __future__ import annotations

import pytest

from storyboard_app.model import format_duration as model_format_duration
from storyboard_app.model.timecode import (
    TimeFormat,
    TimeParseError,
    format_duration,
    format_position,
    format_timecode,
    parse_duration,
    plural,
)


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("4:12", 108), ("4s12f", 108), ("4s 12f", 108), ("108f", 108), ("4.5s", 108), ("108", 108),
        (" 108 ", 108), ("4S 12F", 108), ("12f", 12), ("4s", 96), ("0:05", 5), ("1:04:12", 1548),
        ("00:01:04:12", 1548), ("1m 4s 12f", 1548), ("1m", 1440), ("1h", 86400), ("0.5s", 12),
        ("1.02s", 24),  # 24.48 frames rounds to the nearest frame
        ("1.03s", 25),  # 24.72
        ("3s 00f", 72),  # what the field shows parses back to itself
    ],
)
def test_parse_duration_accepts_every_documented_form(text: str, frames: int) -> None:
    assert parse_duration(text, 24) == frames


@pytest.mark.parametrize("text", ["", "  ", "abc", "4:30", "4.5", "4s 2s", "1.5f", "4::2", ":", "-4", "4x", "4s abc"])
def test_parse_duration_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_duration(text, 24)
    assert "duration" in str(info.value) or "frame" in str(info.value) or "twice" in str(info.value)


def test_frame_field_must_be_below_the_rate() -> None:
    with pytest.raises(TimeParseError, match="below 25"):
        parse_duration("2:25", 25)
    assert parse_duration("2:24", 25) == 74


@pytest.mark.parametrize(
    ("frames", "text"),
    [(0, "0s 00f"), (5, "0s 05f"), (72, "3s 00f"), (108, "4s 12f"), (1440, "1m 00s 00f"),
     (1548, "1m 04s 12f"), (86400 + 1548, "1h 01m 04s 12f")],
)
def test_format_duration_is_unambiguous_and_round_trips(frames: int, text: str) -> None:
    assert format_duration(frames, 24) == text
    assert parse_duration(text, 24) == frames
    assert model_format_duration(frames, 24) == text  # the model's helper says the same


def test_frames_mode_and_positions() -> None:
    assert format_duration(108, 24, TimeFormat.FRAMES) == "108f"
    assert format_duration(108, 24, "frames") == "108f"
    assert parse_duration(format_duration(108, 24, "frames"), 24) == 108
    assert format_timecode(72, 24) == "00:00:03:00"  # hours shown: never "3:00"
    assert format_position(3600 * 24 + 1, 24) == "01:00:00:01"
    assert format_position(108, 24, TimeFormat.FRAMES) == "108f"


def test_plural() -> None:
    assert plural(1, "shot") == "1 shot"
    assert plural(0, "shot") == "0 shots"
    assert plural(2, "take") == "2 takes"
    assert plural(2, "child", "children") == "2 children"
