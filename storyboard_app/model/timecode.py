"""Reading and writing times: integer frames at the project rate, shown one unambiguous way.

Time in the model is always a whole number of frames (OpenTimelineIO's value-plus-rate idea with
the rate held by the project). People read and type it in several forms, so parsing and
formatting live here, once, pure and tested, and every view (inspector, timeline, status bar,
CLI tables) shows the same form:

* ``"timecode"`` mode (the default): durations as ``4s 12f`` (``1m 04s 12f`` from a minute up,
  ``1h 02m 04s 12f`` from an hour up) and positions as SMPTE ``00:00:04:12`` with hours, so
  ``3:00`` can never be misread as three minutes;
* ``"frames"`` mode: ``108f`` for both.

Typed durations accept ``4:12`` (seconds:frames), ``1:04:12`` (minutes:seconds:frames),
``00:01:04:12`` (SMPTE), ``4s12f`` / ``4s 12f`` / ``1m 4s`` / ``12f``, decimal seconds ``4.5s``
and a bare number of frames ``108``. Whatever was typed, the field then shows the formatted
value, so the reading is confirmed back to the user.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction


class TimeFormat(StrEnum):
    """How times are shown: readable seconds+frames (with SMPTE positions) or plain frames."""

    TIMECODE = "timecode"
    FRAMES = "frames"


class TimeParseError(ValueError):
    """Text that is not a duration; the message says what is accepted."""


ACCEPTED = "type 4s 12f, 4:12 (seconds:frames), 108f, 4.5s or 108 (frames)"

_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|f)", re.IGNORECASE)
_UNIT_SEQUENCE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[hmsf]\s*)+", re.IGNORECASE)
_SECONDS = {"h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, fps: int) -> int:
    """Frames for ``text`` at ``fps``; raises TimeParseError (with what is accepted) otherwise.

    Decimal seconds round to the nearest frame (half up), so ``4.5s`` at 24 fps is 108 frames.
    The result is never negative; zero is returned as 0 and left for the caller to refuse.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    body = text.strip().lower()
    if not body:
        raise TimeParseError(f"empty duration: {ACCEPTED}")
    if body.isdigit():
        return int(body)
    if ":" in body:
        return _parse_colons(body, fps)
    if _UNIT_SEQUENCE.fullmatch(body):
        return _parse_units(body, fps)
    raise TimeParseError(f"{text.strip()!r} is not a duration: {ACCEPTED}")


def _parse_colons(body: str, fps: int) -> int:
    parts = [p.strip() for p in body.split(":")]
    if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        raise TimeParseError(f"{body!r} is not a duration: {ACCEPTED}")
    *clock, frames = (int(p) for p in parts)
    if frames >= fps:
        raise TimeParseError(f"{body!r}: the frame field must be below {fps} at {fps} fps")
    seconds = 0
    for value in clock:  # [h, m, s] / [m, s] / [s]: each earlier field is 60 of the next
        seconds = seconds * 60 + value
    return seconds * fps + frames


def _parse_units(body: str, fps: int) -> int:
    seen: set[str] = set()
    total = Decimal(0)
    for number, unit in _UNIT.findall(body):
        unit = unit.lower()
        if unit in seen:
            raise TimeParseError(f"{body!r}: {unit!r} given twice: {ACCEPTED}")
        seen.add(unit)
        try:
            value = Decimal(number)
        except InvalidOperation:  # pragma: no cover - the regex only lets digits through
            raise TimeParseError(f"{body!r} is not a duration: {ACCEPTED}") from None
        if unit == "f":
            if value != value.to_integral_value():
                raise TimeParseError(f"{body!r}: frames are whole numbers")
            total += value
        else:
            total += value * _SECONDS[unit] * fps
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_duration(frames: int, fps: int, mode: TimeFormat | str = TimeFormat.TIMECODE) -> str:
    """A length as people read it: ``4s 12f`` / ``1m 04s 12f`` (or ``108f`` in frames mode)."""
    frames = max(int(frames), 0)
    if TimeFormat(mode) is TimeFormat.FRAMES:
        return f"{frames}f"
    seconds, ff = divmod(frames, fps)
    minutes, ss = divmod(seconds, 60)
    hours, mm = divmod(minutes, 60)
    if hours:
        return f"{hours}h {mm:02d}m {ss:02d}s {ff:02d}f"
    if minutes:
        return f"{minutes}m {ss:02d}s {ff:02d}f"
    return f"{seconds}s {ff:02d}f"


def format_timecode(frames: int, fps: int) -> str:
    """SMPTE non-drop ``HH:MM:SS:FF`` (hours always shown, so it never reads as minutes)."""
    seconds, ff = divmod(max(int(frames), 0), fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


def format_position(frame: int, fps: int, mode: TimeFormat | str = TimeFormat.TIMECODE) -> str:
    """A point on the timeline (ruler ticks, playhead): SMPTE, or ``108f`` in frames mode."""
    if TimeFormat(mode) is TimeFormat.FRAMES:
        return f"{max(int(frame), 0)}f"
    return format_timecode(frame, fps)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 shot``, ``2 shots``, ``0 shots``: counts in labels read as English."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


# --------------------------------------------------------------------------- frame rates
#: timebases that have an NTSC form (x 1000/1001): 23.976, 29.97 and 59.94. Timecode at an NTSC
#: rate is non-drop (it counts frames at the integer timebase); drop-frame is not supported.
NTSC_TIMEBASES = (24, 30, 60)
#: the rates the project settings offer, as (label, timebase, ntsc)
COMMON_RATES = (("23.976", 24, True), ("24", 24, False), ("25", 25, False), ("29.97", 30, True),
                ("30", 30, False), ("50", 50, False), ("59.94", 60, True), ("60", 60, False))


def frame_rate(fps: int, ntsc: bool = False) -> Fraction:
    """The real rate of a timebase: 24 → 24, 24 NTSC → 24000/1001 (exact, never 23.976 as a float)."""
    return Fraction(fps * 1000, 1001) if ntsc else Fraction(fps)


def rate_label(fps: int, ntsc: bool = False) -> str:
    """"23.976", "29.97", "59.94", "24": how editors write the rate."""
    return format_rate(frame_rate(fps, ntsc))


def format_rate(rate: Fraction | int) -> str:
    """24 → "24", 24000/1001 → "23.976", 30000/1001 → "29.97"."""
    rate = Fraction(rate)
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def parse_frame_rate(text: str) -> tuple[int, bool]:
    """(timebase, ntsc) for "24", "23.976", "23.98", "29.97", "59.94", "24000/1001"; ValueError
    (saying what is accepted) otherwise. Only 24, 30 and 60 have NTSC forms."""
    key = str(text).strip()
    try:
        rate = Fraction(key)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{text!r} is not a frame rate (e.g. 24, 25, 23.976, 29.97)") from None
    if rate.denominator == 1:
        return int(rate), False  # the range (1..240) is the project validation's to say
    for fps in NTSC_TIMEBASES:
        if abs(float(rate) - float(frame_rate(fps, True))) < 0.006:
            return fps, True
    raise ValueError(f"{text!r}: a frame rate is a whole number or 23.976, 29.97 or 59.94")
